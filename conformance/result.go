package conformance

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
)

// result turns what the case recorded into its Result.
func (t *caseRun) result() report.Result {
	c := t.c
	res := report.Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc}
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Failures = t.failures
	res.Notes = t.notes
	for _, ex := range t.exchanges {
		res.Exchanges = append(res.Exchanges, ex.row())
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
	case len(t.failures) > 0:
		res.Status = report.VerdictFail
		f := t.failures[0]
		res.Reason = fmt.Sprintf("%s: expected %s, got %s", f.Requirement, f.Expected, f.Actual)
	case t.skipped != "":
		res.Status = report.VerdictSkip
		res.Reason = t.skipped
	case c.Level == report.Info:
		res.Status = report.VerdictInfo
		if len(t.notes) > 0 {
			res.Reason = t.notes[0]
		}
	default:
		res.Status = report.VerdictPass
	}
	return res
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
		deleteQuietly(t.ctx, t.run.addr, t.run.cfg.Timeout, x.u, x.n)
	}
}

// deleteQuietly sends a DELETE and reads whatever comes back, recording nothing.
func deleteQuietly(ctx context.Context, addr string, timeout time.Duration, user uint32, name string) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(nameRequest(user, 201, []byte(name))); err != nil {
		return
	}
	var b [64]byte
	c.Read(b[:])
}
