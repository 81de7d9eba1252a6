package netfuzz

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/ref/wire"
)

// captureLimit bounds what is kept of a server's answer to one input. A listing of every file
// the fuzzer stored fits in it; what is cut off is not judged.
const captureLimit = 256 << 10

// timing is the waits of one exchange.
type timing struct {
	timeout time.Duration // each read and write; an owed answer must come within it
	quiet   time.Duration // the wait for more bytes once nothing is owed any more
	// capture records the inputs' connections under CaptureID, when set (-pcap).
	capture *capture.Recorder
}

// CaptureID names a run's connections in a -pcap file.
const CaptureID = "fuzz"

// conn is a connection an input is sent on: TCP's own, or one recorded for -pcap.
type conn interface {
	net.Conn
	SetLinger(sec int) error
	CloseWrite() error
}

// quietFor is how long to wait for bytes nothing obliges the server to send: long enough for a
// server that answers at once, short enough that a fuzz run is not spent waiting.
func quietFor(timeout time.Duration) time.Duration {
	return min(max(timeout/10, 5*time.Millisecond), 30*time.Millisecond)
}

// exchange is what happened to one input on the wire.
type exchange struct {
	got      []byte
	end      endReason
	writeErr error // the write that failed, if one did: the server had closed or reset
}

// dialError is a dial that failed: the target is down or unreachable.
type dialError struct{ err error }

func (e *dialError) Error() string { return fmt.Sprintf("connect: %v", e.err) }
func (e *dialError) Unwrap() error { return e.err }

func dial(ctx context.Context, addr string, timeout time.Duration) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &dialError{err}
	}
	return c.(*net.TCPConn), nil
}

// send delivers in on a fresh connection and reads what comes back, judging as it goes only so
// far as to know whether an owed answer is still missing.
func send(ctx context.Context, addr string, in Input, p plan, t timing) (exchange, error) {
	var c conn
	tc, err := dial(ctx, addr, t.timeout)
	if err != nil {
		return exchange{}, err
	}
	c = tc
	if t.capture != nil {
		c = t.capture.Wrap(tc, CaptureID, capture.Client).(*capture.Conn)
	}
	defer c.Close()
	var ex exchange
	for i, chunk := range in.Delivery.chunks(in.Bytes) {
		if i > 0 && in.Delivery.Pause > 0 {
			if !deadline.Sleep(ctx.Done(), in.Delivery.Pause) {
				return ex, ctx.Err()
			}
		}
		if len(chunk) == 0 {
			continue
		}
		if err := c.SetWriteDeadline(time.Now().Add(t.timeout)); err != nil {
			return ex, err
		}
		if _, err := c.Write(chunk); err != nil {
			// The server closed or reset early: what it sent before may still be readable.
			ex.writeErr = err
			break
		}
	}
	switch in.Delivery.End {
	case EndAbort:
		// SO_LINGER 0: the close sends a reset instead of a FIN.
		_ = c.SetLinger(0)
		ex.end = endAborted
		return ex, nil
	case EndCloseWrite:
		if ex.writeErr == nil {
			// A failed half-close means the connection is already gone; the read says how.
			_ = c.CloseWrite()
		}
	}
	ex.got, ex.end = readAnswer(c, p, t)
	return ex, nil
}

// readAnswer reads until the server closes, or nothing owed is missing and nothing more comes
// within t.quiet, or an owed answer does not come within t.timeout, or the capture is full.
func readAnswer(c net.Conn, p plan, t timing) ([]byte, endReason) {
	buf := make([]byte, 0, 4<<10)
	// A server that trickles bytes forever still has to stop somewhere.
	stopAt := time.Now().Add(2*t.timeout + t.quiet)
	for {
		owed := p.owedPending(buf)
		wait := t.quiet
		if owed {
			wait = t.timeout
		}
		deadline := time.Now().Add(wait)
		if deadline.After(stopAt) {
			deadline = stopAt
		}
		if err := c.SetReadDeadline(deadline); err != nil {
			return buf, endReset
		}
		if len(buf) == cap(buf) {
			if cap(buf) >= captureLimit {
				return buf, endCapped
			}
			buf = append(buf, make([]byte, min(cap(buf), captureLimit-cap(buf)))...)[:len(buf)]
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == nil:
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			if owed && p.owedPending(buf) {
				return buf, endTimeout
			}
			return buf, endQuiet
		case isEOF(err):
			return buf, endEOF
		default:
			return buf, endReset
		}
	}
}

func isEOF(err error) bool { return wire.IsTruncated(err) }

// probeResult is what the health probe saw.
type probeResult struct {
	kind   Kind // "" when the server answered
	detail string
}

// probe asks a fresh connection for the listing of user, a LIST the server must answer at once
// and, for a user no input touched, with 1002. Any well-formed answer will do: the probe
// asks whether the server serves, not whether it serves well.
func probe(ctx context.Context, addr string, user uint32, timeout time.Duration) probeResult {
	res := target.Probe{Addr: addr, Request: listRequest(user), Timeout: timeout, Wait: timeout, Enough: wire.ResponsePrefixLen}.Run(ctx)
	if res.DialErr != nil {
		if ctx.Err() != nil {
			return probeResult{}
		}
		return probeResult{kind: KindCrash, detail: fmt.Sprintf("the health probe could not connect: %v", &dialError{res.DialErr})}
	}
	if res.WriteErr != nil {
		return probeResult{kind: KindHang, detail: fmt.Sprintf("the health probe's LIST could not be sent: %v", res.WriteErr)}
	}
	got, end := res.Got, probeEnd(res.ReadErr)
	if probeAnswered(got) {
		return probeResult{}
	}
	if ctx.Err() != nil {
		return probeResult{}
	}
	how := "no answer within " + timeout.String()
	switch end {
	case endEOF:
		how = "the connection closed without an answer"
	case endReset:
		how = "the connection was reset without an answer"
	}
	if len(got) > 0 {
		how += fmt.Sprintf(" (only %x)", got)
	}
	return probeResult{kind: KindHang, detail: "the health probe (LIST of a fresh user) got " + how}
}

// probeEnd is how the probe's reading ended: with enough bytes (nil), at its deadline, at the
// server's close, or by a reset.
func probeEnd(err error) endReason {
	switch {
	case err == nil:
		return endQuiet
	case errors.Is(err, os.ErrDeadlineExceeded):
		return endTimeout
	case isEOF(err):
		return endEOF
	}
	return endReset
}
