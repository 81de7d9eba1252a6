// Package deadline bounds a tester's waits on a connection: every read and write gets a
// deadline of its own (a peer that stalls is caught whatever the size of the exchange), and
// an optional end bounds them all (a peer that drips a byte at a time is caught too).
package deadline

import (
	"net"
	"time"
)

// Transfer is how long n bytes may take on top of a timeout: at 1 MiB/s, far below any
// network and above a peer that drips its bytes.
func Transfer(n int64) time.Duration { return time.Duration(n) * time.Second / (1 << 20) }

// Conn is a connection whose reads and writes each end by now+Idle, and never after End.
type Conn struct {
	net.Conn
	// Idle bounds each read and write. Zero: only End bounds them.
	Idle time.Duration
	// End bounds every read and write, whatever moves. Zero: only Idle bounds them.
	End time.Time
}

// next is the deadline of the operation that starts now.
func (c *Conn) next() time.Time {
	d := c.End
	if c.Idle > 0 {
		if per := time.Now().Add(c.Idle); d.IsZero() || per.Before(d) {
			d = per
		}
	}
	return d
}

func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.next()); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *Conn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(c.next()); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// Sleep waits d, or less if done closes first; false means done closed. A tester that paces
// its peer stops at once when its run ends, instead of sleeping out every pause.
func Sleep(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

// Leave closes c's sending half, as a client that has nothing more to ask: the peer reads the
// end of the stream where it would read a next request, as when a client closes, and a peer
// that closes in turn ends the wait for its last bytes with its close rather than at the
// wait's bound. What the peer still sends can be read.
func Leave(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}
