package servertest

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// outcome turns what the case recorded into its result and the problems it met.
func (t *caseRun) outcome() caseOutcome {
	c := t.c
	res := baseResult(c)
	t.mu.Lock()
	defer t.mu.Unlock()
	out := caseOutcome{failures: slices.Clone(t.failures), evidence: slices.Clone(t.evidence)}
	res.Failures = slices.Clone(t.failures)
	res.Notes = t.notes
	for _, ex := range t.exchanges {
		res.Exchanges = append(res.Exchanges, ex.row())
	}
	// The problems of its own failures, each once, in the order the case met them.
	out.firstOf = map[string]int{}
	for i, k := range t.failureKeys {
		if !slices.Contains(out.keys, k) {
			out.keys = append(out.keys, k)
			out.firstOf[k] = i
		}
	}
	switch {
	case len(t.failures) > 0 && c.Level == report.Info:
		// An INFO case's broken expectations are observations.
		res.Status = report.VerdictInfo
		for _, f := range t.failures {
			res.Notes = append(res.Notes, fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual))
		}
		res.Failures = nil
		res.Reason = res.Notes[0]
		out.keys, out.failures = nil, nil
	case len(t.failures) > 0:
		res.Status = report.VerdictFail
		f := t.failures[0]
		res.Reason = fmt.Sprintf("%s: expected %s, got %s", f.Requirement, f.Expected, f.Actual)
	case t.blockedBy != "":
		res.Status = report.VerdictBlocked
		f := t.blockedFailure
		res.Reason = fmt.Sprintf("a step it needs failed: expected %s, got %s", f.Expected, f.Actual)
		out.blocked, out.blockedF = t.blockedBy, f
		res.Failures = []report.Failure{f}
	case t.skipped != "":
		res.Status = report.VerdictSkip
		res.Reason = t.skipped
		out.unjudged = t.unjudged
	case c.Level == report.Info:
		res.Status = report.VerdictInfo
		if len(t.notes) > 0 {
			res.Reason = t.notes[0]
		}
	default:
		res.Status = report.VerdictPass
	}
	out.res = res
	return out
}

// cleanup deletes what the case stored, unless the run keeps it.
func (t *caseRun) cleanup() {
	if t.run.cfg.Keep || t.ctx.Err() != nil {
		return
	}
	t.mu.Lock()
	var todo []struct {
		u uint32
		n string
	}
	for u, names := range t.stored {
		for n := range names {
			todo = append(todo, struct {
				u uint32
				n string
			}{u, n})
		}
	}
	t.mu.Unlock()
	for _, x := range todo {
		t.run.deleteQuietly(t.ctx, x.u, x.n)
	}
}

// deleteQuietly sends a DELETE as the profile speaks and reads whatever comes back, recording
// nothing.
func (r *runner) deleteQuietly(ctx context.Context, user uint32, name string) {
	writes, err := r.profile.Writes(nameRequest(user, wire.OpDelete, []byte(name)), wire.OpDelete, 0)
	if err != nil {
		return
	}
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.target())
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(r.cfg.Timeout))
	for _, w := range writes {
		if _, err := c.Write(w); err != nil {
			return
		}
	}
	// Nothing more is asked on it: the server's close after its answer ends the drain (see
	// deadline.Leave), and a server that reads only to the end of the stream answers then.
	deadline.Leave(c)
	_, _ = r.drain(c, r.cfg.Timeout)
}
