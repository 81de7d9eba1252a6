package servertest

import (
	"errors"
	"io"
	"sync"
	"syscall"
	"time"
)

// departures keeps, for each running case, which of its connections are closed and when it
// last left a connection the server had not closed first. A server learns that a client left
// only when it next reads that connection: the health probe after a hostile case waits for
// that moment only when the case left one so, counted from the leaving. A connection the
// server closed itself (it read the client's end of the stream, or cut the client off) has
// nothing left to teach it.
type departures struct {
	mu     sync.Mutex
	closed map[*caseRun]map[io.Closer]bool
	left   map[*caseRun]time.Time
}

func (d *departures) init() {
	d.closed = map[*caseRun]map[io.Closer]bool{}
	d.left = map[*caseRun]time.Time{}
}

// close closes c of case t; serverClosed says the server had closed its end first.
func (d *departures) close(t *caseRun, c io.Closer, serverClosed bool) {
	d.mu.Lock()
	if !d.closed[t][c] {
		if d.closed[t] == nil {
			d.closed[t] = map[io.Closer]bool{}
		}
		d.closed[t][c] = true
		if !serverClosed {
			d.left[t] = time.Now()
		}
	}
	d.mu.Unlock()
	_ = c.Close()
}

// leftAt is when case t last left a connection open at the server's end; zero if never.
func (d *departures) leftAt(t *caseRun) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.left[t]
}

// forget drops what is kept of case t, once it has ended.
func (d *departures) forget(t *caseRun) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.closed, t)
	delete(d.left, t)
}

// closeConn closes c, one of the case's connections: see departures.
func (t *caseRun) closeConn(c io.Closer, serverClosed bool) {
	t.run.departures.close(t, c, serverClosed)
}

// serverEnded reports whether err is the server's end of the connection (its close or reset)
// rather than a deadline or the runner's own close.
func serverEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}
