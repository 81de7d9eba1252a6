package servertest

import (
	"slices"
	"testing"
)

// Problems are faults: on a mutant, the report's problems are its faults by ID, however many
// cases meet them and under whatever rule; what follows from a fault is attached to it.
func TestZooProblemsAreFaults(t *testing.T) {
	for _, tc := range []struct {
		mutant string
		cases  []string
		want   []string
	}{
		// The name let out of its folder shows in the victim's listing and in the user's
		// own: consequences of the one unchecked name.
		{"unsafe-name-accepted", append([]string{"security/traversal-cross-user-write", "list/after-backups"}, backupNameCases...),
			[]string{"unsafe-names-accepted"}},
		// A cut 212 and 1001, and unchecked names: a traversal answered by a cut 212 is the
		// unchecked name, and B's file read or deleted through it is too.
		{"real-cut-unchecked-names", []string{"security/traversal-cross-user-write", "security/traversal-cross-user-read",
			"security/traversal-cross-user-delete", "security/backup-name-slash", "security/backup-name-empty",
			"transport/fields-212-backup", "transport/fields-1001", "backup/new", "restore/missing-1001"},
			[]string{"cut-1001", "cut-212", "unsafe-names-accepted"}},
		// The death is the fault; the cases it ends are blocked by it.
		{"dies-on-unknown-op", []string{"security/unknown-op", "transport/fields-1003", "backup/new", "list/after-backups"},
			[]string{"dies-on-unknown-op"}},
		// One listing, one problem, whichever rule each listing case checks: a file no request
		// named is the server's own.
		{"list-shows-temp-file", []string{"list/after-backups", "list/after-delete", "list/no-temp-files", "security/isolation-restore"},
			[]string{"server-file-listed"}},
		{"list-shows-listing", []string{"list/no-listing-files", "list/name-format", "list/empty-after-delete-all"}, []string{"server-file-listed"}},
		// A deleted name listed, another user's: names requests carried, the listing's own fault.
		{"list-stale-after-delete", []string{"list/no-listing-files", "list/empty-after-delete-all", "list/after-delete"}, []string{"r-4-4-listing"}},
		{"list-other-users", []string{"list/other-users-hidden", "list/after-backups"}, []string{"r-4-4-listing"}},
		// What came of a cut upload, whether a RESTORE or a LIST finds it.
		{"partial-upload-stored", []string{"security/truncated-backup-in-payload", "list/no-temp-files"}, []string{"partial-upload-kept"}},
		{"list-comma-joined", []string{"list/after-backups", "list/after-delete"}, []string{"listing-format"}},
		// A 210 that names another file is RESTORE's fault, whichever case restored.
		{"restore-wrong-name", []string{"restore/exact-bytes", "backup/overwrite", "delete/keeps-others", "security/isolation-overwrite"},
			[]string{"r-4-2-name-mismatch"}},
		// A name the server fails on gets a close, a BACKUP's a reset, a traversal's too: one
		// fault, whatever the op.
		{"bad-name-closes", []string{"security/unsafe-name-restore", "security/unsafe-name-delete", "security/backup-name-nul",
			"security/backup-name-empty", "security/backup-name-too-long", "security/traversal-cross-user-read", "restore/missing-1001"},
			[]string{"bad-name-unanswered"}},
		{"missing-file-1003", []string{"restore/missing-1001", "delete/missing-1001", "delete/then-restore-1001"},
			[]string{"missing-file-status"}},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			t.Parallel()
			rep := runMutant(t, kill{mutant: tc.mutant}, tc.cases...)
			var got []string
			for _, p := range rep.Problems {
				got = append(got, p.ID)
				if len(p.Cases)+len(p.Blocked) == 0 && p.Diagnosis == "" {
					t.Errorf("%s: neither fails nor blocks a case", p.ID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems %q, want %q", got, tc.want)
				for _, p := range rep.Problems {
					t.Logf("%s: fails %q, blocks %q: %s", p.ID, p.Cases, p.Blocked, p.Summary)
				}
			}
		})
	}
}
