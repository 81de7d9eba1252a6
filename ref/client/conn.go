package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// deadlineConn puts a deadline on every read and write of one request: the context's deadline,
// or sooner when the peer lets stall pass without moving a byte. A cancelled context interrupts
// a read or write under way.
type deadlineConn struct {
	conn     net.Conn
	ctx      context.Context
	stall    time.Duration
	mu       sync.Mutex
	canceled bool
}

func newDeadlineConn(ctx context.Context, conn net.Conn, stall time.Duration) (*deadlineConn, func()) {
	d := &deadlineConn{conn: conn, ctx: ctx, stall: stall}
	stop := context.AfterFunc(ctx, d.cancel)
	return d, func() { stop() }
}

// cancel fails the read or write under way and every later one. The lock orders it with arm,
// so that a deadline armed for the next read cannot undo it.
func (d *deadlineConn) cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.canceled = true
	d.conn.SetDeadline(time.Unix(1, 0))
}

func (d *deadlineConn) arm(set func(time.Time) error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.canceled {
		return context.Cause(d.ctx)
	}
	t := time.Now().Add(d.stall)
	if dl, ok := d.ctx.Deadline(); ok && dl.Before(t) {
		t = dl
	}
	return set(t)
}

func (d *deadlineConn) Read(b []byte) (int, error) {
	if err := d.arm(d.conn.SetReadDeadline); err != nil {
		return 0, err
	}
	n, err := d.conn.Read(b)
	return n, d.explain(err)
}

func (d *deadlineConn) Write(b []byte) (int, error) {
	if err := d.arm(d.conn.SetWriteDeadline); err != nil {
		return 0, err
	}
	n, err := d.conn.Write(b)
	return n, d.explain(err)
}

// explain turns a deadline error into the reason for it: the context's end or a stall.
func (d *deadlineConn) explain(err error) error {
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	if dl, ok := d.ctx.Deadline(); ok && !time.Now().Before(dl) {
		// The context's deadline has passed: its timer is about to end it, with its cause.
		<-d.ctx.Done()
	}
	if cause := context.Cause(d.ctx); cause != nil {
		return fmt.Errorf("%w (%v)", cause, err)
	}
	return &StallError{Wait: d.stall, Err: err}
}

// TimeLimitError is a request that took longer than Limit, the client's bound on a whole
// request (Options.MaxTime), however steadily its bytes moved. It matches
// context.DeadlineExceeded.
type TimeLimitError struct {
	Limit time.Duration
}

func (e *TimeLimitError) Error() string {
	return fmt.Sprintf("the request took longer than the client's limit of %v", e.Limit)
}

func (e *TimeLimitError) Is(target error) bool { return target == context.DeadlineExceeded }

// StallError is a read or write that moved no byte for Wait, the client's stall timeout
// (Options.StallTimeout). It matches os.ErrDeadlineExceeded.
type StallError struct {
	Wait time.Duration
	Err  error
}

func (e *StallError) Error() string {
	return fmt.Sprintf("server stalled: no data moved for %v", e.Wait)
}

func (e *StallError) Unwrap() error { return e.Err }
