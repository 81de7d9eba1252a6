package servertest

import (
	"slices"
	"testing"
)

// A file kept by mistake is one problem, whether the disk (-root) or the wire (a LIST, a
// RESTORE) shows it: the leftover the disk finds is attached to what the wire shows.
func TestKeptFileIsOneProblem(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault string
		cases []string
		want  []string
	}{
		// The upload's temporary file left in the user's folder, seen in every LIST.
		{"temp-kept", []string{"backup/new", "list/after-backups", "list/after-delete"}, []string{"server-file-listed"}},
		// What came of a cut upload, kept in the user's folder and given back by RESTORE.
		{"partial-kept", truncatedBackupCases("in-payload", "before-payload"), []string{"partial-upload-kept"}},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			rep, got := realZooProblems(t, tc.fault, tc.cases...)
			for _, p := range rep.Problems {
				t.Logf("%s: fails %q, consequences %q", p.ID, p.Cases, p.Consequences)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
			}
			p := rep.Problem(tc.want[0])
			if p == nil || !slices.ContainsFunc(p.Consequences, func(c string) bool { return len(c) > 12 && c[:12] == "on the disk:" }) {
				t.Errorf("the disk's finding is not attached to %s: %+v", tc.want[0], p)
			}
			for _, r := range rep.Results {
				if r.Problem != "" && rep.Problem(r.Problem) == nil {
					t.Errorf("%s names problem %s, which the report does not hold", r.ID, r.Problem)
				}
			}
		})
	}
}
