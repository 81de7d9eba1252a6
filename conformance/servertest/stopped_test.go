package servertest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
)

// A server the run stopped itself did not die: a restart cut short (the end of the diagnosis's
// budget cuts the diagnosis's restarts so) stops the server and does not start it again, and
// neither the health check of a case that ran then nor the next case may take the tester's
// interrupt for the server's end. Both find the server started again, through the real
// supervisor, and no crash is recorded.
func TestServerTheRunStoppedIsNoCrash(t *testing.T) {
	cfg := fastConfig("", "^backup/new$")
	cfg.Exec = []string{"env", envServeMutant + "=none", envServeAddr + "=127.0.0.1:" + target.PortPlaceholder, os.Args[0], "-test.run=^$"}
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	r, err := newRunner(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	c := caseByID("backup/new")
	stop := func() {
		t.Helper()
		cut, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := r.restart(cut); err == nil {
			t.Fatal("a restart whose context had ended started the server")
		}
		if !r.sup.Stopped() || r.sup.RestartFailed() {
			t.Fatalf("after a restart cut short: stopped %v, restart failed %v (%s)", r.sup.Stopped(), r.sup.RestartFailed(), r.sup.Describe())
		}
		if d := r.sup.Describe(); strings.Contains(d, "signal") || !strings.Contains(d, "stopped by the tester") {
			t.Errorf("the stopped process is described as %q", d)
		}
	}

	// A case that ran while the server was stopped under it.
	stop()
	if crash, detail := r.health(t.Context(), c, time.Time{}); crash != "" {
		t.Errorf("health check: %s (%s)", crash, detail)
	}
	if err := r.alive(t.Context()); err != nil || r.sup.Exited() {
		t.Fatalf("after the health check the server is not serving: %v (%s)", err, r.sup.Describe())
	}

	// A case that starts while the server is stopped.
	stop()
	out := r.runOne(t.Context(), c)
	if out.res.Status != report.VerdictPass || out.res.Crash != "" {
		t.Errorf("%s: %s %q (crash %q)", c.ID, out.res.Status, out.res.Reason, out.res.Crash)
	}
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	if len(r.crashes) > 0 || r.down != "" {
		t.Errorf("crashes %+v, down after %q", r.crashes, r.down)
	}
}

// A server that hangs after a case is restarted by the run, through the real supervisor, and
// reported as hung after that case, started again: the interrupt that ended the hung process is the tester's,
// and the report never gives it as the server's end.
func TestServerRestartedForAHangIsReportedHung(t *testing.T) {
	const hangs = "security/truncated-backup-in-payload"
	cfg := fastConfig("", "^"+hangs+"$")
	cfg.Exec = []string{"env", envServeMutant + "=deadlock-after-truncated", envServeAddr + "=127.0.0.1:" + target.PortPlaceholder, os.Args[0], "-test.run=^$"}
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	res := rep.Result(hangs)
	if res == nil || !strings.Contains(res.Crash, "server stopped answering after case "+hangs) ||
		!strings.Contains(res.Crash, "running but does not answer") || strings.Contains(res.Crash, "signal") ||
		strings.Contains(res.Crash, "could not be started again") {
		t.Fatalf("%s: %+v", hangs, res)
	}
	if len(rep.Crashes) != 1 || strings.Contains(rep.Crashes[0].Detail, "signal") {
		t.Errorf("crashes %+v", rep.Crashes)
	}
}
