package servertest

import (
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/required"
)

// The partial-fault zoo (internal/realzoo/server.py) is a server written as course servers
// are: files on disk, paths joined as strings and opened through the kernel, sockets read
// with recv, one thread per connection. Each fault keeps its rule half-way, as students do:
// every one of them passed the whole catalog once.

// realZooServer is the zoo's server, relative to the package's folder.
const realZooServer = "../internal/realzoo/server.py"

// realZooMaxSize is the server's size limit (its --max-size default).
const realZooMaxSize = 64 << 20

// realKill says which cases a fault of the partial-fault zoo must fail, each under the
// requirement the fault breaks.
type realKill struct {
	fault string
	fails map[string]spec.ID
}

var realKillTable = []realKill{
	// RESTORE and DELETE join names unchecked: the attacker's folder exists, so A/../B resolves.
	{"backup-only-check", map[string]spec.ID{
		"security/traversal-cross-user-read":   spec.R4_5,
		"security/traversal-cross-user-delete": spec.R5_1,
		"security/unsafe-name-restore":         spec.R5_1,
		"security/unsafe-name-delete":          spec.R5_1,
	}},
	// normpath(...).startswith(<root>/<A>): B's id starts with A's.
	{"prefix-check", map[string]spec.ID{
		"security/traversal-cross-user-write":  spec.R5_1,
		"security/traversal-cross-user-read":   spec.R4_5,
		"security/traversal-cross-user-delete": spec.R5_1,
	}},
	// name.replace("../", ""): "....//" is "../" after it.
	{"replace-dotdot", map[string]spec.ID{
		"security/traversal-cross-user-write":  spec.R5_1,
		"security/traversal-cross-user-read":   spec.R4_5,
		"security/traversal-cross-user-delete": spec.R5_1,
		"security/backup-name-dot-slash":       spec.R5_1,
	}},
	// "./../B/x" does not start with "..".
	{"dotdot-prefix-check", map[string]spec.ID{
		"security/traversal-cross-user-write":  spec.R5_1,
		"security/traversal-cross-user-read":   spec.R4_5,
		"security/traversal-cross-user-delete": spec.R5_1,
	}},
	// "a/b" fails in the kernel when a is no folder; "./x" is the user's own folder.
	{"slash-unchecked", map[string]spec.ID{
		"security/backup-name-dot-slash": spec.R5_1,
		"security/unsafe-name-restore":   spec.R5_1,
		"security/unsafe-name-delete":    spec.R5_1,
	}},
	{"cut-overwrite-deletes", map[string]spec.ID{"security/truncated-overwrite-keeps-old": spec.R5_5}},
	// The upload's file shows in a LIST while it arrives.
	{"cut-overwrite-truncates", map[string]spec.ID{
		"security/truncated-overwrite-keeps-old": spec.R5_5,
		"list/no-temp-files":                     spec.R4_4,
	}},
	{"overwrite-no-trunc", map[string]spec.ID{"backup/overwrite": spec.R4_1}},
	{"list-cap-64", map[string]spec.ID{"list/many-files": spec.R4_4}},
	{"list-buf-4096", map[string]spec.ID{"list/many-files": spec.R4_4}},
	{"list-prefix", map[string]spec.ID{"list/other-users-hidden": spec.R4_4}},
	{"alloc-stated-size", map[string]spec.ID{"security/stated-size-memory": spec.R5_4}},
	// The cache is filled by a RESTORE before the file changes.
	{"restore-cache", map[string]spec.ID{
		"backup/overwrite":         spec.R4_1,
		"delete/then-restore-1001": spec.R4_3,
	}},
	// Keyed by name alone: user A's restore fills what user B's restore of the same name gets.
	{"cache-by-name", map[string]spec.ID{"security/isolation-overwrite": spec.R4_5}},
	{"oversize-reads-on", map[string]spec.ID{"security/huge-size": spec.R2_3}},
	// The user of a connection's first request is the user of every later one.
	{"session-user", map[string]spec.ID{"transport/no-session": spec.R1_3}},
	{"name-cut-64", map[string]spec.ID{"backup/name-255-chars": spec.R4_4}},
	// Past the 1 MiB of backup/one-mib, and past the former 8 MiB of backup/large.
	{"size-cap-16m", map[string]spec.ID{"backup/large": spec.R4_2}},
	// It refuses the 32 MiB file as over its limit: the 8 MiB one shows the cap.
	{"cap-under-limit", map[string]spec.ID{"backup/large": spec.R4_2}},
	{"partial-kept", map[string]spec.ID{"security/truncated-backup-in-payload": spec.R5_3}},
	{"temp-kept", map[string]spec.ID{"list/after-backups": spec.R4_4}},
	{"listing-kept", map[string]spec.ID{"list/no-listing-files": spec.R4_4}},
}

// python3 finds the interpreter, as required.Program finds it.
func python3(t *testing.T) string {
	t.Helper()
	return required.Program(t, "python3", "python3 is needed for the partial-fault zoo")
}

// realZooConfig runs the zoo's server with fault under -exec, with its storage folder as -root.
// realZooProblems runs cases against the Python zoo server with fault on, and returns the
// report and its problems' IDs, sorted.
func realZooProblems(t *testing.T, fault string, cases ...string) (report.Report, []string) {
	t.Helper()
	cfg := realZooConfig(t, fault)
	cfg.Run = exactly(cases...)
	rep := mustRun(t, cfg)
	return rep, problemIDs(rep.Problems)
}

func realZooConfig(t *testing.T, fault string) Config {
	root := t.TempDir()
	cfg := zooConfig("")
	cfg.Exec = []string{python3(t), realZooServer, "--fault", fault, "--port", target.PortPlaceholder, "--root", root}
	cfg.Root = root
	// The default, past the zoo's 16 MiB cap.
	cfg.LargeSize = 0
	return cfg
}

func TestRealZooKillTable(t *testing.T) {
	t.Parallel()
	for _, k := range realKillTable {
		t.Run(k.fault, func(t *testing.T) {
			t.Parallel()
			cfg := realZooConfig(t, k.fault)
			ids := make([]string, 0, len(k.fails))
			for id := range k.fails {
				ids = append(ids, id)
			}
			cfg.Run = exactly(ids...)
			rep := mustRun(t, cfg)
			if rep.OK() {
				t.Errorf("the run passes:\n%s", rep.SummaryText())
			}
			for id, req := range k.fails {
				checkFailsUnder(t, rep, id, req)
			}
		})
	}
}

// checkFailsUnder checks that case id failed, with a failure under req among its own.
func checkFailsUnder(t *testing.T, rep report.Report, id string, req spec.ID) {
	t.Helper()
	res := rep.Result(id)
	if res == nil {
		t.Errorf("%s: not run", id)
		return
	}
	if res.Status != report.VerdictFail {
		t.Errorf("%s: %s (%s), want a failure under %s", id, res.Status, res.Reason, req)
		return
	}
	if !slices.ContainsFunc(res.Failures, func(f report.Failure) bool { return f.Requirement == string(req) }) {
		t.Errorf("%s fails, but not under %s: %s", id, req, res.Reason)
	}
}

// The fault-free server passes every case, under strict and with every flag that runs a case
// (-root, -exec, -max-size, -stall-cutoff): none is skipped, the memory watch included. And one
// fault, run through the whole catalog with default flags, fails it with its case: the cases
// it needs do not depend on a selection.
func TestRealZooFullRuns(t *testing.T) {
	t.Parallel()
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		cfg := realZooConfig(t, "none")
		cfg.Timeout, cfg.Strict, cfg.MaxSize = passConfig("").Timeout, true, realZooMaxSize
		rep := mustRun(t, cfg)
		requireAllPass(t, rep)
		for _, r := range rep.Results {
			if r.Status == report.VerdictSkip {
				t.Errorf("%s skipped: %s", r.ID, r.Reason)
			}
		}
		if !rep.OK() {
			t.Errorf("the report does not pass:\n%s", rep.SummaryText())
		}
	})
	t.Run("cut-overwrite-deletes", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		cfg := Config{Exec: []string{python3(t), realZooServer, "--fault", "cut-overwrite-deletes", "--port", target.PortPlaceholder, "--root", root}, Root: root}
		rep := mustRun(t, cfg)
		if rep.OK() {
			t.Errorf("the run passes:\n%s", rep.SummaryText())
		}
		checkFailsUnder(t, rep, "security/truncated-overwrite-keeps-old", spec.R5_5)
		for _, r := range rep.Results {
			if r.Status == report.VerdictFail && r.ID != "security/truncated-overwrite-keeps-old" && !strings.HasPrefix(r.ID, "transport/concurrent-overwrite") {
				t.Errorf("%s fails too: %s", r.ID, r.Reason)
			}
		}
	})
}

// The partial-fault zoo's faults are named by their cause (TestKeptFileIsOneProblem has the
// kept files the disk shows too): a listing the server keeps in the user's folder is its own
// file, what came of a cut upload is that upload kept, and an overwrite is named by what it
// leaves of the old version.
func TestRealZooFaultsAreNamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fault string
		cases []string
		want  string
	}{
		{"listing-kept", []string{"list/no-listing-files", "list/name-format", "list/after-backups"}, "server-file-listed"},
		{"partial-kept", []string{"security/truncated-backup-in-payload", "list/no-temp-files"}, "partial-upload-kept"},
		// An overwrite in place: without truncation a shorter version keeps the old tail; with
		// it, or with the old file removed first, a cut upload loses the old version.
		{"overwrite-no-trunc", []string{"backup/overwrite", "backup/new"}, "overwrite-keeps-old-tail"},
		{"cut-overwrite-deletes", []string{"security/truncated-overwrite-keeps-old", "backup/overwrite"}, "cut-upload-destroys-old-version"},
		{"cut-overwrite-truncates", []string{"security/truncated-overwrite-keeps-old", "backup/overwrite"}, "cut-upload-destroys-old-version"},
		// A cache that a later BACKUP does not update gives the whole old version back: no
		// overwrite in place.
		{"restore-cache", []string{"backup/overwrite"}, "content-size"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			t.Parallel()
			if _, got := realZooProblems(t, tc.fault, tc.cases...); !slices.Equal(got, []string{tc.want}) {
				t.Errorf("problems %q, want [%q]", got, tc.want)
			}
		})
	}
}
