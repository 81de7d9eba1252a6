package servertest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// diagnose runs the diagnosis phase and takes from it how the cases speak to the server: the
// framing workarounds, the status mapping (under the dialect "auto"), how many cases run at
// once.
func (r *runner) diagnose(ctx context.Context, rep *report.Report) {
	// Half the run at most: a slow server leaves the cases time to show something too.
	cfg := diagnosis.Config{Addr: r.target(), Timeout: r.cfg.Timeout, Quiet: max(r.cfg.Grace, diagnosisQuiet), Budget: r.cfg.Deadline / 2}
	if r.sup != nil {
		// A server the run can start again is also probed for deaths.
		cfg.Restart = r.restart
	}
	d, err := diagnosis.Run(ctx, cfg)
	if err != nil {
		d = &diagnosis.Diagnosis{Target: r.target()}
		rep.Warnings = append(rep.Warnings, "diagnosis: "+err.Error())
	}
	r.diag = d
	r.profile = d.Profile
	r.profile.Dialect = nil
	if f := d.Finding("fixed-frames"); f != nil {
		r.profileKey = f.Key
	}
	for _, id := range []string{"list-needs-name-len", "fixed-frames", "needs-half-close"} {
		if f := d.Finding(id); f != nil {
			r.listKey = f.Key
		}
	}
	if f := d.Finding("list-needs-name-len"); f != nil {
		r.nameLenKey = f.Key
	}
	switch {
	case r.cfg.Dialect != "auto":
		r.dialect = spec.DialectByName(r.cfg.Dialect)
		if d.Profile.Dialect != nil && d.Profile.Dialect != r.dialect {
			rep.DialectNote = fmt.Sprintf("the server speaks %s; -dialect %s keeps the cases to %s", d.Profile.Dialect.Name, r.cfg.Dialect, r.cfg.Dialect)
		}
	case d.Profile.Dialect != nil:
		r.dialect = d.Profile.Dialect
		rep.DialectNote = fmt.Sprintf("auto: dialect %s (deviates from %v); the other cases run under it", r.dialect.Name, r.dialect.Deviates)
	default:
		r.dialect = spec.Canonical
		if d.Fatal() == nil && d.Fingerprint.Match() == spec.Canonical {
			rep.DialectNote = "auto: the server follows the canonical mapping"
		}
	}
	r.profile.Dialect = r.dialect
}

// errNotRestarted is what a restart says after one has failed.
var errNotRestarted = errors.New("the server could not be started again earlier in the run, and is not tried again")

// diagnosisQuiet is the least time the diagnosis watches for bytes after an answer.
const diagnosisQuiet = 50 * time.Millisecond

// blocked says whether a request of op cannot be sent: the diagnosis found the op untestable,
// or it went unanswered twice in this run. It returns the problem's key and why.
func (r *runner) blocked(op wire.Op, s send) (key string, req spec.ID, why string) {
	if s.raw {
		return "", "", ""
	}
	if f := r.diag.Blocked(op); f != nil {
		return f.Key, f.Requirement, fmt.Sprintf("blocked by [%s]: %s", f.ID, f.Summary)
	}
	r.opMu.Lock()
	defer r.opMu.Unlock()
	if k := r.opDown[op]; k != "" {
		return k, spec.Request{Op: op}.Owed(), fmt.Sprintf("as %v went unanswered twice in this run", op)
	}
	return "", "", ""
}

// noteAnswer counts the requests of an op that got nothing at all within the timeout: after two
// in a row, later requests of that op are blocked at once instead of each waiting the timeout.
// aside: what became of the request says nothing of its op (a raw or hostile one, one sent in
// pieces, one of many clients at once).
func (r *runner) noteAnswer(rp *reply, aside bool) {
	if aside {
		return
	}
	op := rp.req.Op
	r.opMu.Lock()
	defer r.opMu.Unlock()
	switch {
	case rp.Outcome == endTimeout && rp.Got == 0:
		r.timeouts[op]++
		if r.timeouts[op] >= 2 && r.opDown[op] == "" {
			r.opDown[op] = diagnosis.KeyNoAnswer(op, string(endTimeout))
		}
	case rp.Got > 0:
		r.timeouts[op] = 0
		if rp.Got < smallAnswer {
			r.lastAnswer.Store(int64(rp.Wait))
		}
	}
}

// splitPauseBase is the least pause between a BACKUP's header and its payload.
const splitPauseBase = 40 * time.Millisecond

// smallAnswer is the size under which an answer's time is the server's latency rather than
// its transfer.
const smallAnswer = 64 << 10

// splitPause separates a BACKUP's header from its payload when the server's profile wants
// them apart: long enough for the server to have read the header alone, and longer when the
// server has been slow to answer.
func (r *runner) splitPause() time.Duration {
	// An idle server reads a header within a millisecond of its arrival; the base is for
	// the scheduling of a busy machine, which the last answer's time does not show.
	return min(splitPauseBase+3*time.Duration(r.lastAnswer.Load()), r.cfg.Timeout/2)
}

// restart starts the server again after it died, and returns its address. A server that
// could not be started once is not started again: its startup failure is reported once, not
// met again by every case and probe after it.
func (r *runner) restart(ctx context.Context) (string, error) {
	if r.sup.RestartFailed() {
		return "", errNotRestarted
	}
	if err := r.sup.Restart(ctx); err != nil {
		return "", err
	}
	r.setTarget(r.sup.Addr())
	return r.target(), nil
}
