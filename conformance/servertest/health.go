package servertest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/ref/wire"
)

// reachable checks that the server accepts a connection. It sends a whole LIST and reads what
// comes before it leaves: a bare connect and close, or a close with an answer unread, is what
// kills some servers, and reaching a server must not.
func (r *runner) reachable(ctx context.Context) error {
	res := r.healthProbe(r.cfg.Timeout, false).Run(ctx)
	return cmp.Or(res.DialErr, res.WriteErr)
}

// healthProbe is the one health probe, spoken as the profile speaks: a LIST of a new user whose
// answer's first bytes are waited for wait.
func (r *runner) healthProbe(wait time.Duration, halfClose bool) target.Probe {
	return target.Probe{Addr: r.target(), Request: r.listWrites(), HalfClose: halfClose, Timeout: r.cfg.Timeout, Wait: wait, Grace: r.cfg.Grace, Leave: true}
}

// answerWait is how long the health probe waits for an answer: by what the diagnosis saw the
// server take, not the whole timeout, as a server that hangs after some cases would otherwise
// cost a timeout each.
func (r *runner) answerWait() time.Duration {
	if r.diag == nil || r.diag.Latency == 0 {
		return r.cfg.Timeout
	}
	return diagnosis.AnswerWait(r.cfg.Timeout, r.diag.Latency)
}

// listWrites is a LIST of a new user as the profile speaks it.
func (r *runner) listWrites() []byte {
	ws, err := r.profile.Writes(listRequest(r.newUser()), wire.OpList, 0)
	if err != nil {
		return listRequest(r.newUser())
	}
	var b []byte
	for _, w := range ws {
		b = append(b, w...)
	}
	return b
}

// probe checks that the server answers a LIST of a fresh user with at least a status.
func (r *runner) probe(ctx context.Context) error {
	return r.healthProbe(r.answerWait(), r.profile.HalfClose).Run(ctx).Err()
}

// drain reads what the server answers, the first bytes within wait, until it closes or stops
// sending for the grace period, so that the connection is closed with nothing unread: a close
// with bytes unread is a reset, which kills some servers, and the probe must not. It returns
// how many bytes came.
func (r *runner) drain(c net.Conn, wait time.Duration) (int, error) {
	buf := make([]byte, 4096)
	total := 0
	for {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		total += n
		if err != nil {
			return total, err
		}
		wait = r.cfg.Grace
	}
}

// alive reports whether the server serves: it answers a LIST, or, when the diagnosis found a
// server that answers nothing, at least takes one.
func (r *runner) alive(ctx context.Context) error {
	if r.diag != nil && r.diag.Fatal() != nil {
		return r.reachable(ctx)
	}
	return r.probe(ctx)
}

// health checks the server after case c, which last left a connection open at the server's end
// at left (zero: the server closed every connection of the case itself). It returns "" if the
// server answers, and otherwise what happened and the details, restarting the server under
// Exec or marking it down.
func (r *runner) health(ctx context.Context, c *Case, left time.Time) (crash, detail string) {
	// A server learns that a client left when it next reads: the probe gives it that moment,
	// counted from the leaving, or it is answered just before the server dies of the case. A
	// server that closed every connection itself has read their ends already, and a server
	// that dies of the case closes its listener as it closes them: it is probed at once.
	if !left.IsZero() {
		select {
		case <-ctx.Done():
			return "", ""
		case <-time.After(time.Until(left.Add(max(r.cfg.Grace, 50*time.Millisecond)))):
		}
	}
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return "", ""
			case <-time.After(200 * time.Millisecond):
			}
		}
		if r.sup != nil && r.sup.Exited() {
			break
		}
		if err = r.alive(ctx); err == nil {
			return "", ""
		}
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			// A whole timeout without an answer: a server that hangs, not one coming back;
			// asking again would only wait as long again.
			break
		}
	}
	if ctx.Err() != nil {
		return "", ""
	}
	// Cases that ran together may all find the server down at once: one of them records the
	// crash and restarts it, and the others find it serving again.
	r.restartMu.Lock()
	defer r.restartMu.Unlock()
	r.stateMu.Lock()
	alreadyDown := r.down != ""
	r.stateMu.Unlock()
	if r.revive(ctx) {
		// The run stopped it, the server did not end: no crash, whether it starts again
		// or not (a restart that fails is told by the cases it blocks).
		return "", ""
	}
	if alreadyDown || (r.sup == nil || !r.sup.Exited()) && r.alive(ctx) == nil {
		return "", ""
	}
	r.stateMu.Lock()
	var others []string
	for id := range r.inflight {
		if id != c.ID {
			others = append(others, id)
		}
	}
	r.stateMu.Unlock()
	crash = fmt.Sprintf("server stopped answering after case %s", c.ID)
	detail = fmt.Sprint(err)
	if r.sup != nil {
		detail = r.sup.Describe()
		if _, rerr := r.restart(ctx); rerr != nil {
			if ctx.Err() == nil {
				// A restart the run's end cut short says nothing of the server.
				detail += fmt.Sprintf("; it could not be started again: %v", rerr)
			}
			r.markDown(c.ID)
		}
	} else {
		r.markDown(c.ID)
	}
	r.stateMu.Lock()
	r.crashes = append(r.crashes, report.Crash{After: c.ID, Detail: detail})
	if len(others) > 0 {
		// Cases ran beside it: the crash is pinned on the one that causes it alone.
		r.pins = append(r.pins, crashPin{after: c.ID, suspects: append([]string{c.ID}, others...)})
	}
	r.stateMu.Unlock()
	return crash, detail
}

// revive starts again a server that the run itself stopped and did not start again (a
// restart that the end of the diagnosis's budget cut short): such a server did not die, and
// the case that meets it stopped must not be blamed for its end. It reports whether the run
// had stopped it. The caller holds restartMu.
func (r *runner) revive(ctx context.Context) bool {
	if r.sup == nil || !r.sup.Stopped() {
		return false
	}
	_, _ = r.restart(ctx)
	return true
}

func (r *runner) markDown(id string) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	if r.down == "" {
		r.down = id
	}
}

// waitUp returns "" when the server is (again) answering, or the problem that keeps the case
// from running and why.
func (r *runner) waitUp(ctx context.Context) (key, why string) {
	if r.sup != nil && r.sup.Stopped() {
		// Checked again under the lock: another case may have started it meanwhile.
		r.restartMu.Lock()
		r.revive(ctx)
		r.restartMu.Unlock()
	}
	r.stateMu.Lock()
	down := r.down
	r.stateMu.Unlock()
	if down == "" {
		return "", ""
	}
	key = r.crashKey(caseByID(down))
	if r.sup != nil && r.sup.RestartFailed() {
		return key, fmt.Sprintf("blocked: the server stopped answering after case %s and could not be started again", down)
	}
	if !r.cfg.ContinueAfterCrash {
		return key, fmt.Sprintf("blocked: the server stopped answering after case %s (give -exec to restart it, or -continue to wait for it)", down)
	}
	if r.alive(ctx) == nil {
		r.stateMu.Lock()
		r.down = ""
		r.stateMu.Unlock()
		return "", ""
	}
	return key, fmt.Sprintf("blocked: the server has not answered since case %s", down)
}

// caseByID returns the catalog's case with the ID, or a case of that ID alone.
func caseByID(id string) *Case {
	if c, ok := casebook.ByID(catalog(), id); ok {
		return c
	}
	return &Case{Head: casebook.Head{ID: id}}
}

// crashPin is a crash during cases that ran together: which of them causes it is found by
// running each alone on a fresh server.
type crashPin struct {
	after    string
	suspects []string
	verdict  string // "reproduced by case X alone", "not reproduced alone"
	culprit  string
}

// pinCrashes runs the suspects of each crash among parallel cases alone, each on a server
// started afresh, and puts the crash on the one that reproduces it: its result replaces the
// one it had beside the others, and so do the results of the others.
func (r *runner) pinCrashes(ctx context.Context, cases []*Case, outcomes []caseOutcome) {
	r.stateMu.Lock()
	pins := r.pins
	r.stateMu.Unlock()
	for i := range pins {
		p := &pins[i]
		if r.sup != nil && r.sup.RestartFailed() {
			p.verdict = "the server could not be started again to pin the crash"
			continue
		}
		if r.sup == nil {
			p.verdict = fmt.Sprintf("cases %v ran at once; give -exec to pin the crash on one of them", p.suspects)
			continue
		}
		p.verdict = "not reproduced by any of them alone"
		for _, id := range p.suspects {
			if ctx.Err() != nil {
				return
			}
			idx := indexOf(cases, id)
			if idx < 0 {
				continue
			}
			if _, err := r.restart(ctx); err != nil {
				p.verdict = fmt.Sprintf("the server could not be started again to pin the crash: %v", err)
				return
			}
			r.stateMu.Lock()
			r.down = ""
			r.stateMu.Unlock()
			c := *cases[idx]
			c.Hostile = true // alone, and a health probe after it
			out := r.runOne(ctx, &c)
			outcomes[idx] = out
			if out.res.Crash != "" && p.culprit == "" {
				p.culprit = id
				p.verdict = fmt.Sprintf("reproduced by case %s alone", id)
			}
		}
	}
	r.stateMu.Lock()
	r.pins = pins
	r.stateMu.Unlock()
}

func indexOf(cases []*Case, id string) int {
	for i, c := range cases {
		if c.ID == id {
			return i
		}
	}
	return -1
}
