package servertest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/fakepeer"
)

// A server that serves one connection at a time and takes 150ms for every answer (the 1s of a
// real one, scaled down) cannot be run whole within a 10s deadline. The run ends within the
// deadline, takes the slowness for slowness and not for a server that does not answer, runs
// the cases that protect the most first, and says how many it did not reach and the -deadline
// that reaches them.
func TestSlowServerIsNotDead(t *testing.T) {
	addr := mutants.StartTB(t, "serves-one-at-a-time,late-answer", mutants.Options{AnswerDelay: 150 * time.Millisecond})
	cfg := fastConfig(addr, "")
	cfg.Deadline = 10 * time.Second
	var (
		mu    sync.Mutex
		order []string
	)
	cfg.Progress = func(p Progress) {
		if p.Last.ID != "" && p.Last.Status != report.VerdictNotRun {
			mu.Lock()
			order = append(order, p.Last.ID)
			mu.Unlock()
		}
	}
	rep := mustRun(t, cfg)
	var text bytes.Buffer
	if err := rep.WriteText(&text, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if rep.Duration > cfg.Deadline {
		t.Errorf("the run took %v, past its deadline of %v", rep.Duration, cfg.Deadline)
	}
	if strings.Contains(text.String(), "does not answer") || strings.Contains(text.String(), "stopped answering") {
		t.Errorf("a slow server is reported as one that does not answer:\n%s", text.String())
	}
	notRun := rep.Summary.Must.NotRun + rep.Summary.Should.NotRun + rep.Summary.Info.NotRun
	if !rep.DeadlinePassed || notRun == 0 {
		t.Fatalf("the whole catalog ran within 10s against 150ms a request (deadline passed %v, %d not run): the test shows nothing", rep.DeadlinePassed, notRun)
	}
	want := fmt.Sprintf("%d cases of %d not reached: the run's deadline of 10s passed", notRun, len(rep.Results))
	if !strings.Contains(text.String(), want) {
		t.Errorf("the report does not say %q:\n%s", want, text.String())
	}
	// The catalog takes minutes at 150ms a request, one at a time: the deadline that reaches
	// every case is said, and is that long.
	if rep.DeadlineNeeded < time.Minute || !strings.Contains(text.String(), fmt.Sprintf("-deadline %v would run them all", rep.DeadlineNeeded)) ||
		!strings.Contains(strings.Join(rep.NextSteps, "\n"), fmt.Sprintf("-deadline %v runs them all", rep.DeadlineNeeded)) {
		t.Errorf("deadline needed %v; next steps %q", rep.DeadlineNeeded, rep.NextSteps)
	}
	// One at a time, in the order they protect: every case that ran before a case of a lower
	// rank, and the security cases first.
	if len(order) == 0 || !strings.HasPrefix(order[0], "security/") {
		t.Fatalf("cases in the order they ran: %v", order)
	}
	worst := 0
	for _, id := range order {
		rank := protectRank(caseByID(id))
		if rank < worst {
			t.Errorf("%s (rank %d) ran after a case of rank %d: %v", id, rank, worst, order)
		}
		worst = max(worst, rank)
	}
	for _, res := range rep.Results {
		if res.Status == report.VerdictNotRun && protectRank(caseByID(res.ID)) < worst {
			t.Errorf("%s was not reached, though cases that protect less ran", res.ID)
		}
	}
}

// A server that dies, and whose restart ends at startup with an error of its own, is reported
// once, with what it wrote at startup, and is not started again: the cases after it are
// blocked by the crash.
func TestRestartThatExitsAtStartupIsReportedOnce(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	t.Setenv(envServeMutant, "dies-on-unknown-op")
	t.Setenv(envServeAddr, addr)
	count := t.TempDir() + "/starts"
	// Every start after the first fails as a server whose storage is still locked would.
	script := `n=$(cat "$1" 2>/dev/null || echo 0); echo $((n+1)) > "$1"
if [ "$n" -ge 1 ]; then echo "fatal: cannot open storage ./data: lock held" >&2; exit 1; fi
exec "$2" -test.run='^$'`
	cfg := fastConfig(addr, `^(backup/new|security/unknown-op|security/backup-name-slash|security/backup-name-dot|security/huge-size)$`)
	cfg.Exec = []string{"sh", "-c", script, "sh", count, os.Args[0]}
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	var text bytes.Buffer
	if err := rep.WriteText(&text, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(rep.Crashes) != 1 || !strings.Contains(rep.Crashes[0].Detail, "could not be started again") ||
		!strings.Contains(rep.Crashes[0].Detail, "cannot open storage ./data: lock held") {
		t.Fatalf("crashes %+v", rep.Crashes)
	}
	crashProblems := 0
	for _, p := range rep.Problems {
		if strings.Contains(p.Evidence.Actual, "stopped answering") || strings.HasPrefix(p.ID, "dies-") || strings.Contains(p.Summary, "started again") {
			crashProblems++
		}
	}
	if crashProblems != 1 {
		t.Errorf("%d problems of the crash, want 1:\n%s", crashProblems, text.String())
	}
	if steps := strings.Join(rep.NextSteps, "\n"); strings.Contains(steps, "{port}") || !strings.Contains(steps, "ended at startup") {
		t.Errorf("next steps %q", rep.NextSteps)
	}
	for _, id := range []string{"security/backup-name-slash", "security/backup-name-dot", "security/huge-size"} {
		if res := rep.Result(id); res.Status != report.VerdictBlocked || !strings.Contains(res.Reason, "could not be started again") {
			t.Errorf("%s after the failed restart: %s %q", id, res.Status, res.Reason)
		}
	}
	// The first start and the one restart: no loop of starts.
	if b, err := os.ReadFile(count); err != nil || strings.TrimSpace(string(b)) != "2" {
		t.Errorf("starts: %q, %v; want 2", b, err)
	}
}

// Every wait for an answer lasts several times the measured latency, past a shorter -timeout.
func TestSlowTimeoutFollowsTheLatency(t *testing.T) {
	r := makeRunner(Config{Timeout: time.Second})
	r.diag.Latency = 400 * time.Millisecond
	if note := r.slowTimeout(); r.cfg.Timeout != 1600*time.Millisecond || !strings.Contains(note, "waited for 1.6s (4 times that), not -timeout 1s") {
		t.Errorf("timeout %v, note %q", r.cfg.Timeout, note)
	}
	r = makeRunner(Config{Timeout: 5 * time.Second})
	r.diag.Latency = 400 * time.Millisecond
	if note := r.slowTimeout(); r.cfg.Timeout != 5*time.Second || note != "" {
		t.Errorf("a timeout long enough changed: %v, %q", r.cfg.Timeout, note)
	}
}

// The deadline that reaches every case: what the run took, and what the cases not reached
// should take by the latency and requests the run measured, or by the time its cases took,
// whichever is longer, with a margin, rounded as a person would type it.
func TestNotReachedGivesTheDeadlineThatRunsThemAll(t *testing.T) {
	r := makeRunner(Config{Deadline: time.Minute, Parallel: 4})
	r.diag.Latency = time.Second
	r.profile.Serial, r.diag.Served = true, 1
	rep := &report.Report{Duration: 58 * time.Second}
	for i := range 12 {
		st := report.VerdictPass
		if i >= 2 {
			st = report.VerdictNotRun
		}
		rep.Results = append(rep.Results, report.Result{ID: fmt.Sprintf("c/%d", i), Status: st})
	}
	// 10 cases at 3 requests of 1s, one at a time: 30s; at the 4s each the 2 that ran took: 40s.
	warning, step, need := r.notReached(rep, caseTally{ran: 2, requests: 6, elapsed: 8 * time.Second}, true)
	if need != 110*time.Second {
		t.Errorf("need %v, want 58s + 40s + 10s rounded up to 1m50s", need)
	}
	for _, want := range []string{"10 cases of 12 not reached: the run's deadline of 1m0s passed", "answers take up to 1s, one case runs at a time, about 3 requests a case",
		"-deadline 1m50s would run them all", "the cases that protect the most ran first"} {
		if !strings.Contains(warning, want) {
			t.Errorf("warning %q lacks %q", warning, want)
		}
	}
	if !strings.Contains(step, "10 cases not reached within the deadline of 1m0s: -deadline 1m50s runs them all") {
		t.Errorf("step %q", step)
	}
	// With no latency measured and no case run, there is nothing to estimate from.
	blind := makeRunner(Config{Deadline: time.Millisecond})
	if w, s, n := blind.notReached(rep, caseTally{}, true); n != 0 || !strings.Contains(w, "10 cases of 12 not reached") ||
		!strings.Contains(w, "before anything was measured") || strings.Contains(w, "-deadline") || !strings.Contains(s, "give a longer -deadline") {
		t.Errorf("nothing measured: %q %q %v", w, s, n)
	}
	rep.Results = rep.Results[:2]
	if w, s, n := r.notReached(rep, caseTally{}, false); w != "" || s != "" || n != 0 {
		t.Errorf("every case ran, yet %q %q %v", w, s, n)
	}
}

// In the order of what they protect, the catalog opens with the security cases that guard
// users' files, and the MUSTs that send bad input come after those that do not.
func TestProtectOrderOfTheCatalog(t *testing.T) {
	cases := Catalog()
	order := make([]int, len(cases))
	for i := range order {
		order[i] = i
	}
	protectOrder(cases, order)
	if first := cases[order[0]]; first.Section() != "security" || protectRank(first) != 0 {
		t.Errorf("first case %s", first.ID)
	}
	last := -1
	for _, i := range order {
		c := cases[i]
		rank := protectRank(c)
		if rank < last {
			t.Errorf("%s (rank %d) after a case of rank %d", c.ID, rank, last)
		}
		last = rank
		if rank == 1 && c.Hostile || rank == 2 && !c.Hostile {
			t.Errorf("%s: rank %d, hostile %v", c.ID, rank, c.Hostile)
		}
	}
	r := makeRunner(Config{Parallel: 4})
	r.diag.Latency = time.Millisecond
	if !r.fits(len(cases), 55*time.Second) {
		t.Error("a server that answers in 1ms does not fit the catalog in 55s")
	}
	r.diag.Latency, r.profile.Serial, r.diag.Served = time.Second, true, 1
	if r.fits(len(cases), 55*time.Second) {
		t.Error("a server that answers in 1s, one at a time, fits the catalog in 55s")
	}
}
