package conformance

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
)

// reachable checks that the server accepts a connection.
func (r *runner) reachable(ctx context.Context) error {
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// probe checks that the server answers a LIST of a fresh user with at least a status.
func (r *runner) probe(ctx context.Context) error {
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(r.cfg.Timeout))
	if _, err := c.Write(listRequest(r.newUser())); err != nil {
		return fmt.Errorf("sending LIST: %w", err)
	}
	var b [3]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return fmt.Errorf("reading the answer to LIST: %w", err)
	}
	return nil
}

// health runs the probe after case c. It returns "" if the server answers, and otherwise says
// what happened, restarting the server under Exec or marking it down.
func (r *runner) health(ctx context.Context, c *Case) string {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return ""
			case <-time.After(200 * time.Millisecond):
			}
		}
		if r.sup != nil && r.sup.Exited() {
			break
		}
		if r.connectOnly != "" {
			err = r.reachable(ctx)
		} else {
			err = r.probe(ctx)
		}
		if err == nil {
			return ""
		}
	}
	if ctx.Err() != nil {
		return ""
	}
	msg := fmt.Sprintf("server stopped answering after case %s", c.ID)
	detail := fmt.Sprint(err)
	if r.sup != nil {
		detail = r.sup.Describe()
		if rerr := r.sup.Restart(ctx); rerr != nil {
			detail += fmt.Sprintf("; restart failed: %v", rerr)
			r.markDown(c.ID)
		}
	} else {
		r.markDown(c.ID)
	}
	r.stateMu.Lock()
	r.crashes = append(r.crashes, report.Crash{After: c.ID, Detail: detail})
	r.stateMu.Unlock()
	return msg + " (" + detail + ")"
}

func (r *runner) markDown(id string) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	if r.down == "" {
		r.down = id
	}
}

// waitUp returns "" when the server is (again) answering, or why the case cannot run.
func (r *runner) waitUp(ctx context.Context) string {
	r.stateMu.Lock()
	down := r.down
	r.stateMu.Unlock()
	if down == "" {
		return ""
	}
	if !r.cfg.ContinueAfterCrash {
		return fmt.Sprintf("not run: the server stopped answering after case %s", down)
	}
	if r.reachable(ctx) == nil && (r.connectOnly != "" || r.probe(ctx) == nil) {
		r.stateMu.Lock()
		r.down = ""
		r.stateMu.Unlock()
		return ""
	}
	return fmt.Sprintf("not run: the server has not answered since case %s", down)
}
