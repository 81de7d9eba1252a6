package servertest

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// The test binary doubles as a server process for -exec: with these variables set it serves
// the named mutant on the given address, and exits 2 if the mutant kills itself, as a crashing
// server would.
const (
	envServeMutant = "FBP_CONFORMANCE_SERVE_MUTANT"
	envServeAddr   = "FBP_CONFORMANCE_SERVE_ADDR"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envServeMutant); name != "" {
		os.Exit(serveMutant(name, os.Getenv(envServeAddr)))
	}
	os.Exit(m.Run())
}

func serveMutant(name, addr string) int {
	s, err := mutants.New(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "serving mutant %s on %s\n", name, addr)
	if err := s.Serve(ln); errors.Is(err, mutants.ErrDied) {
		fmt.Fprintln(os.Stderr, "the server died")
		return 2
	}
	return 0
}

func TestDialectAutoNamesSeed003AndRunsUnderIt(t *testing.T) {
	for _, dialect := range []string{"auto", "seed003"} {
		t.Run(dialect, func(t *testing.T) {
			cfg := fastConfig(startMutant(t, "seed-003-status-map"), "")
			cfg.Dialect, cfg.MaxSize = dialect, mutants.DefaultMaxFileSize
			rep := mustRun(t, cfg)
			if rep.Dialect != "seed003" {
				t.Fatalf("dialect %q (%s)", rep.Dialect, rep.DialectNote)
			}
			if dialect == "auto" && !strings.Contains(rep.DialectNote, "dialect seed003 (deviates from [R-4.1 R-4.2 R-4.3 R-4.4])") {
				t.Errorf("note %q", rep.DialectNote)
			}
			m := rep.Result("transport/status-mapping")
			if m.Status != report.VerdictFail || !strings.Contains(m.Reason, "dialect: seed003 (deviates from") {
				t.Errorf("status-mapping: %s %q", m.Status, m.Reason)
			}
			for _, r := range rep.Results {
				// The mutant runs in the test's process, whose memory cannot be watched.
				inProcess := r.ID == "security/stated-size-memory" && r.Status == report.VerdictSkip
				if r.Level == report.Must && r.ID != "transport/status-mapping" && r.Status != report.VerdictPass && !inProcess {
					t.Errorf("%s under %s: %s %s", r.ID, dialect, r.Status, r.Reason)
				}
			}
		})
	}
	// The canonical default reports the same deviation in the mapping case, with its name.
	cfg := fastConfig(startMutant(t, "seed-003-status-map"), "^transport/status-mapping$")
	rep := mustRun(t, cfg)
	cfg.Dialect = "canonical"
	rep = mustRun(t, cfg)
	if m := rep.Result("transport/status-mapping"); !strings.Contains(m.Reason, "seed003") || !strings.Contains(strings.Join(rep.NextSteps, "\n"), "-dialect auto") {
		t.Errorf("canonical: %q, next steps %q", m.Reason, rep.NextSteps)
	}
	// A canonical server is found canonical.
	cfg = fastConfig(startMutant(t, "none"), "^(transport/status-mapping|backup/new)$")
	cfg.Dialect = "auto"
	rep = mustRun(t, cfg)
	if rep.Dialect != "canonical" || !rep.OK() {
		t.Errorf("none under auto: %s %q OK %v", rep.Dialect, rep.DialectNote, rep.OK())
	}
}

func TestExecRestartsCrashedServerAndAttributesCrash(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	t.Setenv(envServeMutant, "dies-on-unknown-op")
	t.Setenv(envServeAddr, addr)
	cfg := fastConfig(addr, `^(backup/new|security/unknown-op|security/isolation-restore|security/backup-name-slash)$`)
	cfg.Exec = []string{os.Args[0], "-test.run=^$"}
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	res := rep.Result("security/unknown-op")
	if res.Status != report.VerdictFail || !strings.Contains(res.Crash, "server stopped answering after case security/unknown-op") ||
		!strings.Contains(res.Crash, "exit status 2") || !strings.Contains(res.Crash, "the server died") {
		t.Fatalf("security/unknown-op: %s crash %q", res.Status, res.Crash)
	}
	// Restarted, the server serves the cases after the crash.
	for _, id := range []string{"backup/new", "security/isolation-restore", "security/backup-name-slash"} {
		if s := statusOf(t, rep, id); s != report.VerdictPass {
			t.Errorf("%s: %s", id, s)
		}
	}
	if len(rep.Crashes) != 1 {
		t.Errorf("crashes %+v", rep.Crashes)
	}
	// The process is stopped at the end of the run: the port is free again.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the server still holds %s: %v", addr, err)
	}
	ln.Close()
}

func TestExecCommandThatNeverListens(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	cfg := fastConfig(addr, "^backup/new$")
	cfg.Exec = []string{"sleep", "30"}
	cfg.ExecStartTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := Run(t.Context(), cfg)
	var ue *target.UnreachableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "did not listen on "+addr) {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
}

func TestRootCheckFindsFilesOutsideUserFolders(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	cfg := fastConfig(srv.Addr, `^(backup/new|restore/exact-bytes|list/after-backups)$`)
	cfg.Root, cfg.Parallel = srv.Root, 1
	planted := false
	cfg.Progress = func(p Progress) {
		if !planted {
			// As if a request had escaped its folder while the first case ran.
			os.WriteFile(srv.Root+"/escaped-canary", []byte("x"), 0o644)
			planted = true
		}
	}
	rep := mustRun(t, cfg)
	// No case selected checks: the file is evidence of that rule's problem, which fails
	// the run.
	var found bool
	for _, p := range rep.Problems {
		if p.Requirement == "R-5.1" && p.Evidence != nil && strings.Contains(p.Evidence.Actual, "escaped-canary appeared") {
			found = true
		}
	}
	if rep.OK() {
		t.Error("a file outside the users' folders passes")
	}
	if !found {
		t.Fatalf("the planted file was not reported:\n%s", rep.SummaryText())
	}
}

func TestRootCheckFindsLeftoversInUserFolder(t *testing.T) {
	root := t.TempDir()
	w, err := newRootWatch(root)
	if err != nil {
		t.Fatal(err)
	}
	w.wait = 50 * time.Millisecond
	r := makeRunner(Config{})
	tc := r.newT(t.Context(), &Case{Head: casebook.Head{ID: "test/root", Reqs: spec.IDStrings(spec.R5_3)}, Hostile: true}, spec.Canonical)
	tc.users = []uint32{42}
	tc.setStored(42, "kept", true)
	tc.addListName(42, "Listing0123456789abcdefghijklmno")
	os.MkdirAll(root+"/42", 0o755)
	for _, n := range []string{"kept", "Listing0123456789abcdefghijklmno", "cut.bin.part"} {
		os.WriteFile(root+"/42/"+n, nil, 0o644)
	}
	w.check(tc)
	if len(tc.failures) != 1 || tc.failures[0].Requirement != "R-5.3" || !strings.Contains(tc.failures[0].Actual, `"cut.bin.part" is still there`) {
		t.Fatalf("failures %+v", tc.failures)
	}
}

// With {port} in the command, every start of the server gets a port of its own: the server
// that died on one is started on another, and the run goes on there.
func TestExecPortPlaceholderGivesEachStartAFreshPort(t *testing.T) {
	t.Setenv(envServeMutant, "dies-on-unknown-op")
	cfg := fastConfig("", `^(backup/new|security/unknown-op|security/isolation-restore)$`)
	cfg.Exec = []string{"env", envServeAddr + "=127.0.0.1:" + target.PortPlaceholder, os.Args[0], "-test.run=^$"}
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	if res := rep.Result("security/unknown-op"); res.Status != report.VerdictFail || res.Crash == "" {
		t.Fatalf("security/unknown-op: %s crash %q", res.Status, res.Crash)
	}
	if s := statusOf(t, rep, "security/isolation-restore"); s != report.VerdictPass {
		t.Errorf("after the restart on a fresh port: %s", s)
	}
	if len(rep.Crashes) != 1 {
		t.Errorf("crashes %+v", rep.Crashes)
	}
}

// failingStarts is a run of a server, under -exec, that dies of security/unknown-op and whose
// starts from the first-th to the last-th (counting from 0) fail as a bind to a port in use
// does; it returns the run's config and the file that counts the starts.
func failingStarts(t *testing.T, first, last int) (Config, string) {
	addr := fakepeer.ClosedAddr(t)
	t.Setenv(envServeMutant, "dies-on-unknown-op")
	t.Setenv(envServeAddr, addr)
	count := t.TempDir() + "/starts"
	script := fmt.Sprintf(`n=$(cat "$1" 2>/dev/null || echo 0); echo $((n+1)) > "$1"
if [ "$n" -ge %d ] && [ "$n" -le %d ]; then echo "listen tcp: bind: address already in use" >&2; exit 1; fi
exec "$2" -test.run='^$'`, first, last)
	// Both send bad input, so they run after the others, in catalog order.
	cfg := fastConfig(addr, `^(security/unknown-op|security/backup-name-slash)$`)
	cfg.Exec = []string{"sh", "-c", script, "sh", count, os.Args[0]}
	cfg.Parallel = 1
	return cfg, count
}

// A restart whose first tries fail (as a server without SO_REUSEADDR fails while its port's old
// connections wait) is tried again until it starts.
func TestExecRestartRetriesAFailedStart(t *testing.T) {
	// Start 0 serves; starts 1 and 2 fail; start 3 serves.
	cfg, count := failingStarts(t, 1, 2)
	rep := mustRun(t, cfg)
	if s := statusOf(t, rep, "security/backup-name-slash"); s != report.VerdictPass {
		t.Errorf("after a restart that took three tries: %s", s)
	}
	b, err := os.ReadFile(count)
	if err != nil || strings.TrimSpace(string(b)) != "4" {
		t.Errorf("starts: %q, %v; want 4", b, err)
	}
}

// A restart that never succeeds within its bound says so, and the run stops there.
func TestExecRestartThatNeverStartsSaysSo(t *testing.T) {
	cfg, _ := failingStarts(t, 1, math.MaxInt32)
	// The bound that passes: every start after the first fails, however many are tried.
	cfg.ExecRestartTimeout = 500 * time.Millisecond
	rep := mustRun(t, cfg)
	res := rep.Result("security/unknown-op")
	if !strings.Contains(res.Crash, "could not be started again") || !strings.Contains(res.Crash, "address already in use") ||
		!strings.Contains(res.Crash, "{port}") {
		t.Errorf("crash %q", res.Crash)
	}
	if s := statusOf(t, rep, "security/backup-name-slash"); s != report.VerdictBlocked {
		t.Errorf("after the failed restart: %s", s)
	}
	if !strings.Contains(strings.Join(rep.NextSteps, "\n"), "{port}") {
		t.Errorf("next steps %q", rep.NextSteps)
	}
}

// A crash during cases that ran together is pinned by running each alone on a fresh server.
func TestCrashAmongParallelCasesIsPinned(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	// list/six-bytes-no-wait sends a bare LIST, which this mutant takes for the start of a
	// longer header, and gives up on it: a header cut short kills the server. The other
	// cases send LIST as the diagnosis found it must be sent, and read all they are sent.
	t.Setenv(envServeMutant, "real-list-name-len")
	t.Setenv(envServeAddr, addr)
	cfg := fastConfig(addr, `^(list/six-bytes-no-wait|backup/new|backup/overwrite|restore/exact-bytes|delete/keeps-others)$`)
	cfg.Exec = []string{os.Args[0], "-test.run=^$"}
	cfg.Parallel = 4
	rep := mustRun(t, cfg)
	res := rep.Result("list/six-bytes-no-wait")
	if res.Status != report.VerdictFail || res.Crash == "" {
		t.Fatalf("list/six-bytes-no-wait: %s %q", res.Status, res.Reason)
	}
	// When another case's health check found the server down first, the crash was pinned by
	// running each suspect alone; the verdict goes with list/six-bytes-no-wait's crash.
	p := rep.Problem(res.Problem)
	if p == nil || (rep.Crashes[0].After != "list/six-bytes-no-wait" && !strings.Contains(p.Diagnosis, "reproduced by case list/six-bytes-no-wait alone")) {
		t.Errorf("problem %+v, crashes %+v", p, rep.Crashes)
	}
	for _, id := range []string{"backup/new", "backup/overwrite", "restore/exact-bytes", "delete/keeps-others"} {
		if s := statusOf(t, rep, id); s != report.VerdictPass {
			t.Errorf("%s, run alone after the crash: %s", id, s)
		}
	}
}

// A server that dies of a reset, restarted by -exec: the diagnosis finds the death (the fault
// is an early close), the case aimed at resets fails under it, and the cases whose steps read
// part of an answer (the fingerprint's status, a field's check) drain the rest before they
// close, so that none of them resets a connection and is blamed for the death.
func TestDeathOnResetIsTheResetCaseAlone(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	t.Setenv(envServeMutant, "dies-on-reset")
	t.Setenv(envServeAddr, addr)
	cfg := fastConfig(addr, `^(transport/status-mapping|transport/fields-.*|security/connect-and-close)$`)
	cfg.Exec = []string{os.Args[0], "-test.run=^$"}
	rep := mustRun(t, cfg)
	res := rep.Result("security/connect-and-close")
	if res.Status != report.VerdictFail || res.Problem != "dies-on-early-close" {
		t.Errorf("security/connect-and-close: %s under %q (%s), want a failure under dies-on-early-close", res.Status, res.Problem, res.Reason)
	}
	for _, r := range rep.Results {
		if r.ID != "security/connect-and-close" && r.Status != report.VerdictPass {
			t.Errorf("%s: %s (%s), want a pass: the reset is another case's", r.ID, r.Status, r.Reason)
		}
	}
	if p := rep.Problem("dies-on-early-close"); p == nil || !slices.Equal(p.Cases, []string{"security/connect-and-close"}) {
		t.Errorf("problem dies-on-early-close: %+v", p)
	}
	for _, p := range rep.Problems {
		if p.ID != "dies-on-early-close" {
			t.Errorf("problem %s: %s", p.ID, p.Summary)
		}
	}
}
