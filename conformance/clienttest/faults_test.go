package clienttest

import (
	"regexp"
	"slices"
	"testing"
)

// A client's problems are its faults, by name: one fault met by several cases and checks is one
// problem, and two faults under one check are two problems with names of their own, never
// numbered copies.
func TestZooProblemsAreFaults(t *testing.T) {
	numbered := regexp.MustCompile(`-[0-9]+$`)
	for _, tc := range []struct {
		fault string
		cases []string
		want  []string
	}{
		// The one read misreads responses cut into pieces and leaves the rest unread: one fault.
		{"one-recv", []string{"response/split-reads", "response/read-whole"}, []string{"reads-response-in-one-read"}},
		// A crash on an error status and a crash when the server fails: two faults.
		{"crash-on-error", []string{"status/server-error", "robust/close-without-answer", "robust/cut-response"},
			[]string{"client-crash", "crashes-on-error-status"}},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			cfg := zooConfig(badclient(t, tc.fault, "-timeout", "10s"))
			cfg.Run = exactly(tc.cases...)
			rep := mustRun(t, cfg)
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.ID)
				if numbered.MatchString(p.ID) || p.Summary == "" || p.Fix == "" {
					t.Errorf("problem %q: summary %q, fix %q", p.ID, p.Summary, p.Fix)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
				t.Log(details(rep))
			}
		})
	}
}
