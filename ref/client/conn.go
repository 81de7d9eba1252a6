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
//
// While a transfer is under way (rateFrom), it also fails once the bytes moved over a window
// of rate.window fall short of rate.min a second, as curl's --speed-limit does: a server that
// moves a byte now and then, never stalling, cannot hold a request for long, while a large
// transfer that keeps moving is never cut.
type deadlineConn struct {
	conn     net.Conn
	ctx      context.Context
	stall    time.Duration
	mu       sync.Mutex
	canceled bool
	rate     rateWindow // used by the one goroutine reading or writing
}

// rateWindow counts the bytes of a transfer over the current window.
type rateWindow struct {
	min    int64 // bytes a second; 0 checks nothing
	window time.Duration
	now    func() time.Time
	on     bool
	// started: the window runs from start; otherwise it starts at the first byte.
	started bool
	start   time.Time
	bytes   int64
}

func newDeadlineConn(ctx context.Context, conn net.Conn, stall time.Duration, rate rateWindow) (*deadlineConn, func()) {
	if rate.now == nil {
		rate.now = time.Now
	}
	d := &deadlineConn{conn: conn, ctx: ctx, stall: stall, rate: rate}
	stop := context.AfterFunc(ctx, d.cancel)
	return d, func() { stop() }
}

// rateFrom starts checking the transfer's rate: from now, or, with firstByte, from the first
// byte that comes (the server's time to answer is not a transfer: the stall timeout bounds it).
func (d *deadlineConn) rateFrom(firstByte bool) {
	d.rate.on, d.rate.bytes, d.rate.started = d.rate.min > 0, 0, !firstByte
	d.rate.start = d.rate.now()
}

// moved counts n bytes moved and judges the window once it has run its length: too few bytes
// fail the transfer, enough start a new window.
func (d *deadlineConn) moved(n int) error {
	r := &d.rate
	if !r.on {
		return nil
	}
	now := r.now()
	if !r.started {
		if n == 0 {
			return nil
		}
		r.started, r.start = true, now
	}
	r.bytes += int64(n)
	took := now.Sub(r.start)
	if took < r.window {
		return nil
	}
	if float64(r.bytes) < float64(r.min)*took.Seconds() {
		return &RateError{Min: r.min, Window: r.window, Moved: r.bytes, Took: took}
	}
	r.start, r.bytes = now, 0
	return nil
}

// cancel fails the read or write under way and every later one. The lock orders it with arm,
// so that a deadline armed for the next read cannot undo it.
func (d *deadlineConn) cancel() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.canceled = true
	d.conn.SetDeadline(time.Unix(1, 0))
}

// arm sets the deadline of the next read or write: a stall, the context's deadline, or the
// end of the rate's window, whichever comes first. windowEnd says it is the last.
func (d *deadlineConn) arm(set func(time.Time) error) (windowEnd bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.canceled {
		return false, context.Cause(d.ctx)
	}
	t := time.Now().Add(d.stall)
	if dl, ok := d.ctx.Deadline(); ok && dl.Before(t) {
		t = dl
	}
	if r := &d.rate; r.on && r.started {
		// The window's end, on the rate's clock, as a deadline on the connection's.
		if end := time.Now().Add(r.start.Add(r.window).Sub(r.now())); end.Before(t) {
			t, windowEnd = end, true
		}
	}
	return windowEnd, set(t)
}

func (d *deadlineConn) Read(b []byte) (int, error) {
	for {
		windowEnd, err := d.arm(d.conn.SetReadDeadline)
		if err != nil {
			return 0, err
		}
		n, err := d.conn.Read(b)
		if rerr := d.moved(n); rerr != nil {
			return n, rerr
		}
		// The window ended with enough bytes: a new one has started; read on.
		if n == 0 && windowEnd && errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		return n, d.explain(err)
	}
}

func (d *deadlineConn) Write(b []byte) (int, error) {
	var done int
	for {
		windowEnd, err := d.arm(d.conn.SetWriteDeadline)
		if err != nil {
			return done, err
		}
		n, err := d.conn.Write(b[done:])
		done += n
		if rerr := d.moved(n); rerr != nil {
			return done, rerr
		}
		if done < len(b) && windowEnd && errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		return done, d.explain(err)
	}
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

// RateError is a transfer that moved fewer than Min bytes a second over a window of Window,
// the client's minimum rate (Options.MinRate, Options.MinRateTime): Moved bytes in Took.
type RateError struct {
	Min    int64
	Window time.Duration
	Moved  int64
	Took   time.Duration
}

func (e *RateError) Error() string {
	return fmt.Sprintf("transfer too slow: %d bytes in %v, under the client's minimum of %d bytes/s over %v",
		e.Moved, e.Took.Round(time.Millisecond), e.Min, e.Window)
}
