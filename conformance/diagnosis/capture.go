package diagnosis

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// captureLimit bounds what a probe keeps of an answer: enough for every answer a probe asks
// for, and for a page of whatever a server that does not speak FBP sends.
const captureLimit = 64 << 10

// ending is how a probe's reading stopped.
type ending string

const (
	endClosed  ending = "closed"  // the server closed the connection
	endReset   ending = "reset"   // the connection was reset
	endQuiet   ending = "quiet"   // the answer looked whole and nothing more came
	endTimeout ending = "timeout" // nothing, or not enough, came in time
	endRefused ending = "refused" // no connection
	endFull    ending = "full"    // the capture limit was reached
)

// capture is one probe exchange: what was sent, what came back, and how.
type capture struct {
	label string
	sent  []byte
	got   []byte
	end   ending
	err   error
	// first and last are when the first and the last byte of the answer arrived, after the
	// request was sent.
	first, last time.Duration
	// late: no byte came within the probe's wait, which was waited again.
	late bool
}

// row is what a report keeps of c.
func (c *capture) row() *report.Exchange {
	var s, r report.ClipWriter
	s.Write(c.sent)
	r.Write(c.got)
	out := "no bytes, " + string(c.end)
	if len(c.got) > 0 {
		out = describeBytes(c.got) + ", then " + string(c.end)
	}
	return &report.Exchange{Label: c.label, Conn: 1, Sent: s.Clip(), Received: r.Clip(), Outcome: out}
}

// probe is one way of sending a request.
type probe struct {
	label  string
	writes [][]byte
	pause  time.Duration // between writes
	// halfClose closes the sending side after the last write.
	halfClose bool
	// whole reports whether got holds a whole answer, after which the probe waits only the
	// quiet period for bytes beyond it; nil: wait the quiet period after any byte.
	whole func(got []byte) bool
	// wait bounds the wait for the first byte, when shorter than the timeout.
	wait time.Duration
	// again, when no byte came within wait, waits that much more once (missed is told first):
	// an answer that a loaded machine held past wait is told from none (capture.late).
	again  time.Duration
	missed func()
	// noQuiet stops reading once the answer is whole: the probe asks whether the server
	// answers, not how it lays the answer out.
	noQuiet bool
	// leave closes the sending half once the answer looks whole, as a client that is done:
	// a server that closes when its client leaves ends the quiet period with its close, and
	// what it sends beyond the answer arrives before that close. Only for a connection that
	// carries nothing more.
	leave bool
}

// exchange runs p on a fresh connection to addr.
func (d *diagnoser) exchange(ctx context.Context, p probe) *capture {
	c := &capture{label: p.label}
	for _, w := range p.writes {
		c.sent = append(c.sent, w...)
	}
	dl := net.Dialer{Timeout: d.cfg.Timeout}
	nc, err := dl.DialContext(ctx, "tcp", d.addr())
	if err != nil {
		c.end, c.err = endRefused, err
		return c
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	for i, w := range p.writes {
		if i > 0 && p.pause > 0 && !sleep(ctx, p.pause) {
			c.end, c.err = endTimeout, ctx.Err()
			return c
		}
		_ = nc.SetWriteDeadline(time.Now().Add(d.cfg.Timeout))
		if _, err := nc.Write(w); err != nil {
			// The server may have answered and closed: what it sent is still read below.
			c.err = err
			break
		}
	}
	if p.halfClose {
		deadline.Leave(nc)
	}
	p.leave = true
	d.read(nc, c, p)
	return c
}

// read reads an answer into c: until the server closes, or the answer is whole and nothing
// more comes within the quiet period, or no byte comes within the timeout. A server that
// drips its answer is read up to twice the timeout in all.
func (d *diagnoser) read(nc net.Conn, c *capture, p probe) {
	whole := p.whole
	start := time.Now()
	stopAt := start.Add(2 * d.cfg.Timeout)
	buf := make([]byte, 4096)
	for {
		if p.noQuiet && len(c.got) > 0 && (whole == nil || whole(c.got)) {
			c.end = endQuiet
			return
		}
		wait := d.cfg.Timeout
		if p.wait > 0 && len(c.got) == 0 {
			wait = p.wait
		}
		if len(c.got) > 0 && (whole == nil || whole(c.got)) {
			wait = d.cfg.Quiet
			if p.leave && !p.halfClose {
				deadline.Leave(nc)
				p.halfClose = true
			}
		}
		deadline := time.Now().Add(wait)
		if deadline.After(stopAt) {
			deadline = stopAt
		}
		_ = nc.SetReadDeadline(deadline)
		n, err := nc.Read(buf)
		if n > 0 {
			if len(c.got) == 0 {
				c.first = time.Since(start)
			}
			c.last = time.Since(start)
			c.got = append(c.got, buf[:n]...)
			if len(c.got) >= captureLimit {
				c.got, c.end = c.got[:captureLimit], endFull
				return
			}
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, os.ErrDeadlineExceeded) && len(c.got) == 0 && p.again > 0 && time.Now().Before(stopAt):
			if p.missed != nil {
				p.missed()
			}
			p.wait, p.again, c.late = p.again, 0, true
			continue
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.end = endTimeout
			if len(c.got) > 0 && (whole == nil || whole(c.got)) {
				c.end = endQuiet
			}
		case errors.Is(err, syscall.ECONNRESET):
			c.end = endReset
		case errors.Is(err, io.EOF):
			c.end = endClosed
		default:
			c.end, c.err = endReset, err
		}
		return
	}
}

// wholeResponses returns a check that nothing more is owed once got holds n whole responses
// as p reads them, or bytes p cannot read as responses at all. Before the mapping or the order
// of the fields is known, whole by any known one.
func wholeResponses(p *Profile, n int) func([]byte) bool {
	dialects, formats := spec.Dialects, spec.Formats
	if p.Dialect != nil {
		dialects = []*spec.Dialect{p.Dialect}
	}
	if p.FormatSeen {
		formats = []spec.Format{p.Format}
	}
	return func(got []byte) bool {
		for _, d := range dialects {
			for _, f := range formats {
				q := *p
				q.Dialect, q.Format, q.FormatSeen = d, f, true
				if as, rest := q.parse(got); len(as) >= n || rest.unknown {
					return true
				}
			}
		}
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// readLimits decode what a server sends with no limit but the fields' own.
var readLimits = wire.Limits{MaxName: wire.MaxNameField, MaxPayload: wire.DefaultMaxPayload}
