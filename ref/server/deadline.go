package server

import (
	"io"
	"net"
	"sync"
	"time"
)

// phase is what a connection is reading.
type phase int

const (
	phaseHeader  phase = iota // a request header: each read within ReadTimeout, the whole by headerBy
	phaseIdle                 // a kept connection waiting for a further request: IdleTimeout
	phasePayload              // a BACKUP payload: the minimum rate, one window at a time
)

// window enforces a minimum transfer rate: each window of size bytes must move within timeout
// of the window's start. A client that keeps the rate is never cut off, however large the
// payload; one that trickles or stalls is cut off within timeout.
type window struct {
	size    int64
	timeout time.Duration
	left    int64 // bytes still to move in the current window; 0: none open
	by      time.Time
}

func newWindow(rate int64, timeout time.Duration) window {
	return window{size: max(1, int64(float64(rate)*timeout.Seconds())), timeout: timeout}
}

// next opens a window if none is open and returns its deadline and the bytes left in it.
func (w *window) next() (time.Time, int64) {
	if w.left <= 0 {
		w.left, w.by = w.size, time.Now().Add(w.timeout)
	}
	return w.by, w.left
}

func (w *window) moved(n int64) { w.left -= n }

// deadlineConn sets the deadline of every read and write on a connection from what it is
// moving, so that no peer, however slowly it trickles, holds the connection longer than the
// server's policy allows:
//   - a request header must arrive whole within HeaderTimeout (from the connection's start, or
//     from the first byte of a further request), each read within ReadTimeout;
//   - a kept connection may wait IdleTimeout for the first byte of a further request;
//   - a payload, in either direction, must keep the minimum rate (see window);
//   - each write of a response header must finish within WriteTimeout.
type deadlineConn struct {
	net.Conn
	readTimeout, writeTimeout, headerTimeout, idleTimeout time.Duration

	phase    phase
	fresh    bool      // no byte of the current request has arrived yet
	headerBy time.Time // phaseHeader: the whole header's deadline; zero until the first byte
	in, out  window
	// onFirstByte runs when the first byte of a request arrives.
	onFirstByte func()
	// ahead[aheadAt:aheadEnd] are bytes read from the connection and not yet taken: a header
	// is read in one read(2) of whatever has arrived, up to readAheadLen, rather than one for
	// each of its fixed fields, its name_len and its name. What follows the header in that
	// read (a payload's first bytes, a further request) is taken from here first. A byte
	// counts as arrived, for the deadlines and the minimum rate, when it is taken.
	ahead             [readAheadLen]byte
	aheadAt, aheadEnd int
}

// readAheadLen is the most read at once for a header: a header with a name of the reference
// limit (255) and a payload's first bytes.
const readAheadLen = 512

// awaitRequest starts the wait for a request: the first on the connection (the header
// deadline runs from now) or a further one (the idle wait runs first).
func (c *deadlineConn) awaitRequest(first bool) {
	c.fresh = true
	c.in.left, c.out.left = 0, 0
	if first {
		c.phase, c.headerBy = phaseHeader, time.Now().Add(c.headerTimeout)
	} else {
		c.phase, c.headerBy = phaseIdle, time.Time{}
	}
}

// beginPayload switches reading from the header to its payload.
func (c *deadlineConn) beginPayload() { c.phase = phasePayload }

func (c *deadlineConn) Read(b []byte) (int, error) {
	if c.aheadAt < c.aheadEnd {
		return c.takeAhead(b), nil
	}
	var deadline time.Time
	switch c.phase {
	case phaseIdle:
		deadline = time.Now().Add(c.idleTimeout)
	case phaseHeader:
		deadline = time.Now().Add(c.readTimeout)
		if c.headerBy.Before(deadline) {
			deadline = c.headerBy
		}
	case phasePayload:
		var left int64
		deadline, left = c.in.next()
		b = b[:min(int64(len(b)), left)]
	}
	if err := c.Conn.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	if c.phase != phasePayload && len(b) < readAheadLen {
		n, err := c.Conn.Read(c.ahead[:])
		c.aheadAt, c.aheadEnd = 0, n
		if n > 0 {
			// A net.Conn reports an error with no bytes; one that came with bytes comes again
			// at the next read.
			return c.takeAhead(b), nil
		}
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.arrived(int64(n))
	}
	return n, err
}

// takeAhead moves bytes read ahead into b.
func (c *deadlineConn) takeAhead(b []byte) int {
	n := copy(b, c.ahead[c.aheadAt:c.aheadEnd])
	c.aheadAt += n
	if n > 0 {
		c.arrived(int64(n))
	}
	return n
}

// arrived accounts for n bytes read.
func (c *deadlineConn) arrived(n int64) {
	switch c.phase {
	case phaseIdle:
		c.phase, c.headerBy = phaseHeader, time.Now().Add(c.headerTimeout)
	case phasePayload:
		c.in.moved(n)
	}
	if c.fresh {
		c.fresh = false
		if c.onFirstByte != nil {
			c.onFirstByte()
		}
	}
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// ReadFrom sends a payload, one window of the minimum rate at a time. The wire Writer hands
// it a *io.LimitedReader over the file or listing.
func (c *deadlineConn) ReadFrom(r io.Reader) (int64, error) {
	lr, limited := r.(*io.LimitedReader)
	if !limited {
		lr = &io.LimitedReader{R: r, N: 1<<63 - 1}
	}
	buf := sendBufs.Get().(*[sendBufLen]byte)
	defer sendBufs.Put(buf)
	// The bytes are read into buf and written, not sent with sendfile: on loopback, sendfile
	// leaves every copy of the bytes to the receiver, which takes them out of the page cache
	// on its one core, while a read and a write share the copying between the sender's core
	// and the receiver's (BenchmarkRestoreReceive: the loopback sending from a file with
	// sendfile reaches 0.5-0.65x the loopback sending from memory; the reference server reading
	// and writing, 1.2-1.5x what it reaches with sendfile). A source that ends early stops the
	// copy; the caller sees the short count.
	return copyWindows(lr, &c.out, c.Conn.SetWriteDeadline,
		func(want int64) (int64, error) {
			return io.CopyBuffer(writerOnly{c.Conn}, &io.LimitedReader{R: lr.R, N: want}, buf[:])
		},
		c.out.moved)
}

// sendBufLen is the size of a payload's reads and writes: a window of the default minimum
// rate (240 KiB) in one of each.
const sendBufLen = 256 << 10

// sendBufs holds the buffers of the payloads being sent, one for each.
var sendBufs = sync.Pool{New: func() any { return new([sendBufLen]byte) }}

// writerOnly hides a connection's ReadFrom, which io.CopyBuffer would hand the copy to.
type writerOnly struct{ io.Writer }

// copyWindows moves lr.N bytes one window of w at a time: it sets the window's deadline, moves
// at most what the window has left with copyN, and accounts for what moved with moved. It
// stops at the first error, or at a window that moved less than it asked for.
func copyWindows(lr *io.LimitedReader, w *window, setDeadline func(time.Time) error, copyN func(int64) (int64, error), moved func(int64)) (int64, error) {
	var total int64
	for lr.N > 0 {
		deadline, left := w.next()
		if err := setDeadline(deadline); err != nil {
			return total, err
		}
		want := min(lr.N, left)
		n, err := copyN(want)
		total += n
		lr.N -= n
		moved(n)
		if err != nil || n < want {
			return total, err
		}
	}
	return total, nil
}

// payloadSink is where a BACKUP payload goes. The wire Reader's payload hands it a
// *io.LimitedReader over the connection; from the raw connection, the store's file can splice
// the bytes straight from the socket, one window of the minimum rate at a time.
type payloadSink struct {
	conn *deadlineConn
	dst  io.Writer
}

func (s payloadSink) Write(b []byte) (int, error) { return s.dst.Write(b) }

func (s payloadSink) ReadFrom(r io.Reader) (int64, error) {
	lr, ok := r.(*io.LimitedReader)
	if !ok || lr.R != io.Reader(s.conn) {
		return io.Copy(s.dst, r)
	}
	// A peer that closes early stops the copy; the payload reader reports it truncated.
	c := s.conn
	var early int64
	if c.aheadAt < c.aheadEnd && lr.N > 0 {
		// The payload's first bytes, read with its header.
		n, err := s.dst.Write(c.ahead[c.aheadAt:min(c.aheadEnd, c.aheadAt+int(min(lr.N, readAheadLen)))])
		c.aheadAt += n
		c.arrived(int64(n))
		lr.N -= int64(n)
		if err != nil {
			return int64(n), err
		}
		early = int64(n)
	}
	n, err := copyWindows(lr, &c.in, c.Conn.SetReadDeadline,
		func(want int64) (int64, error) { return io.Copy(s.dst, &io.LimitedReader{R: c.Conn, N: want}) },
		func(n int64) {
			if n > 0 {
				c.arrived(n)
			}
		})
	return early + n, err
}
