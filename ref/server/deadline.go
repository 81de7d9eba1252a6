package server

import (
	"io"
	"net"
	"time"
)

// transferChunk is how much of a payload one deadline covers when it moves with splice or
// sendfile, which hand the whole copy to the kernel: each chunk of it must arrive (or leave)
// within ReadTimeout (WriteTimeout), so a client moving less than 1 MiB per timeout is cut off.
const transferChunk = 1 << 20

// deadlineConn sets a fresh deadline before every read and write on a connection, so that a
// peer that stops sending or stops reading is cut off however slowly it trickled before.
type deadlineConn struct {
	net.Conn
	readTimeout, writeTimeout time.Duration
	// firstRead, when set, is the timeout of the next read only: the wait for the first byte
	// of a further request on a kept connection. onFirstByte runs when that byte arrives.
	firstRead   time.Duration
	onFirstByte func()
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	timeout := c.readTimeout
	if c.firstRead > 0 {
		timeout = c.firstRead
	}
	if err := c.Conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(b)
	if c.firstRead > 0 && n > 0 {
		c.firstRead = 0
		if c.onFirstByte != nil {
			c.onFirstByte()
		}
	}
	return n, err
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// ReadFrom sends a payload. The wire Writer hands it a *io.LimitedReader over the file; a TCP
// connection sends such a reader with sendfile, one chunk per deadline.
func (c *deadlineConn) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := c.Conn.(io.ReaderFrom)
	lr, limited := r.(*io.LimitedReader)
	if !ok || !limited {
		return io.Copy(writerOnly{c}, r)
	}
	var total int64
	for lr.N > 0 {
		if err := c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
			return total, err
		}
		want := min(lr.N, transferChunk)
		n, err := rf.ReadFrom(&io.LimitedReader{R: lr.R, N: want})
		total += n
		lr.N -= n
		if err != nil {
			return total, err
		}
		if n < want {
			break // the source ended early; the caller sees the short count
		}
	}
	return total, nil
}

// writerOnly hides ReadFrom, so that io.Copy does not call back into it.
type writerOnly struct{ io.Writer }

// payloadSink is where a BACKUP payload goes. The wire Reader's payload hands it a
// *io.LimitedReader over the connection; from the raw connection, the store's file can splice
// the bytes straight from the socket, one chunk per read deadline.
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
	var total int64
	for lr.N > 0 {
		if err := s.conn.Conn.SetReadDeadline(time.Now().Add(s.conn.readTimeout)); err != nil {
			return total, err
		}
		want := min(lr.N, transferChunk)
		n, err := io.Copy(s.dst, &io.LimitedReader{R: s.conn.Conn, N: want})
		total += n
		lr.N -= n
		if err != nil {
			return total, err
		}
		if n < want {
			break // the peer closed; the payload reader reports it truncated
		}
	}
	return total, nil
}
