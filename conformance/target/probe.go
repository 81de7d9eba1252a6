package target

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
)

// Probe is the health probe every server tester sends: a LIST of a fresh user on a fresh
// connection, as the tester speaks to the server, asking whether it serves at all, not whether
// it serves well (how it answers is the cases' and the inputs' business).
type Probe struct {
	Addr string
	// Request is the LIST, in the writes the server is spoken to in.
	Request []byte
	// HalfClose ends the sending half after the request, for a server that answers only then.
	HalfClose bool
	// Timeout bounds the connect and the write; Wait the first bytes of the answer.
	Timeout, Wait time.Duration
	// Grace is how long the probe waits for more after bytes came, so that it leaves with
	// nothing unread (a close with bytes unread is a reset, which kills some servers). Zero
	// stops as soon as Enough bytes are in, within Wait.
	Grace time.Duration
	// Enough is how many bytes answer the probe when Grace is zero.
	Enough int
	// Leave closes the sending half once the answer has begun, as a client that is done: a
	// server that closes when its client leaves then ends the wait for more with its close,
	// and whatever it still sends arrives before that close. Grace still bounds the wait on a
	// server that keeps the connection open.
	Leave bool
}

// ProbeResult is what a probe saw: an error of the connect or the write, or the bytes read
// and how reading ended.
type ProbeResult struct {
	DialErr, WriteErr error
	// Got is the first bytes of the answer (up to Enough, or 4 KiB); N counts all it read.
	Got     []byte
	N       int
	ReadErr error
	// Answered: an answer began (with Grace, a byte; without, Enough bytes).
	Answered bool
}

// Err says why the server did not answer the probe, or nil when it did.
func (r ProbeResult) Err() error {
	switch {
	case r.DialErr != nil:
		return r.DialErr
	case r.WriteErr != nil:
		return fmt.Errorf("sending LIST: %w", r.WriteErr)
	case !r.Answered:
		return fmt.Errorf("reading the answer to LIST: %w", r.ReadErr)
	}
	return nil
}

// Run sends the probe and reads its answer.
func (p Probe) Run(ctx context.Context) ProbeResult {
	d := net.Dialer{Timeout: p.Timeout}
	c, err := d.DialContext(ctx, "tcp", p.Addr)
	if err != nil {
		return ProbeResult{DialErr: err}
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(p.Timeout))
	if _, err := c.Write(p.Request); err != nil {
		return ProbeResult{WriteErr: err}
	}
	if p.HalfClose {
		deadline.Leave(c)
	}
	var res ProbeResult
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(p.Wait))
	for {
		n, err := c.Read(buf)
		if len(res.Got) < len(buf) {
			res.Got = append(res.Got, buf[:min(n, len(buf)-len(res.Got))]...)
		}
		res.N += n
		if err != nil {
			res.ReadErr = err
			break
		}
		if p.Grace == 0 {
			if res.N >= p.Enough {
				res.Got = res.Got[:min(len(res.Got), p.Enough)]
				break
			}
			continue
		}
		if p.Leave && res.N == n && !p.HalfClose {
			deadline.Leave(c)
		}
		_ = c.SetReadDeadline(time.Now().Add(p.Grace))
	}
	res.Answered = res.N > 0 && (p.Grace > 0 || res.N >= p.Enough)
	return res
}
