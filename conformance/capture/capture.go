// Package capture records the connections a tester opens or accepts as a pcapng file
// (-pcap FILE): each connection with its handshake, its segments as they were read and
// written, with real timestamps, its close or reset, and a comment on every packet naming the
// case. A failing case's last connection ends with a packet whose comment carries its finding.
// With FailedOnly, a case's connections are spooled to a temporary file and kept only if the
// case fails (-pcap-failed).
package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/pcapng"
)

// Side is the end of a connection the tester holds.
type Side = pcapng.Side

// The tester's end: it dialed (Client) or accepted (Server) the connection.
const (
	Client = pcapng.Client
	Server = pcapng.Server
)

// Recorder writes the connections of one run to one file. It is safe for concurrent use.
type Recorder struct {
	failedOnly bool

	mu    sync.Mutex
	file  *os.File
	buf   *bufio.Writer
	out   *pcapng.Locked
	cases map[string]*caseLog
	flows uint32
	err   error
}

// caseLog is what a case recorded so far: its spool under FailedOnly, its last flow.
type caseLog struct {
	spool *os.File
	sink  pcapng.Sink
	sbuf  *bufio.Writer
	flows []*pcapng.Flow
	lastS Side // the tester's side of the last flow
}

// Create creates the file at path. failedOnly keeps only the connections of cases that End
// reports failed.
func Create(path string, failedOnly bool) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	w, err := pcapng.NewWriter(bw)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Recorder{failedOnly: failedOnly, file: f, buf: bw, out: &pcapng.Locked{W: w}, cases: map[string]*caseLog{}}, nil
}

// Path is the file the recorder writes.
func (r *Recorder) Path() string { return r.file.Name() }

// FailedOnly reports whether the recorder keeps only failing cases.
func (r *Recorder) FailedOnly() bool { return r.failedOnly }

// caseOf returns the log of id, creating it (and its spool) on first use.
func (r *Recorder) caseOf(id string) *caseLog {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cases[id]; ok {
		return c
	}
	c := &caseLog{sink: r.out}
	if r.failedOnly {
		f, err := os.CreateTemp("", "fbp-pcap-*")
		if err != nil {
			r.err = errors.Join(r.err, err)
			c.sink = discard{}
		} else {
			// The spool is unlinked at once: it is read back through its descriptor only.
			os.Remove(f.Name())
			c.spool, c.sbuf = f, bufio.NewWriterSize(f, 1<<16)
			c.sink = &pcapng.Locked{W: pcapng.NewBlockWriter(c.sbuf)}
		}
	}
	r.cases[id] = c
	return c
}

type discard struct{}

func (discard) WritePacket(time.Time, []byte, []byte, string) error { return nil }

// Flow starts a connection of case id between client and server, as it stands at t, and
// returns its flow: for a tester that sees both sides of a connection (a proxy) and writes its
// bytes itself. local is the side whose last packet carries the case's finding.
func (r *Recorder) Flow(id string, client, server netip.AddrPort, local Side, t time.Time) *pcapng.Flow {
	c := r.caseOf(id)
	r.mu.Lock()
	r.flows++
	isn := r.flows * 0x01000193
	r.mu.Unlock()
	f := pcapng.NewFlow(c.sink, client, server, isn, id, t)
	r.mu.Lock()
	c.flows, c.lastS = append(c.flows, f), local
	r.mu.Unlock()
	return f
}

// Wrap returns c recording what passes through it as a connection of case id; local says which
// end of it the tester holds.
func (r *Recorder) Wrap(c net.Conn, id string, local Side) net.Conn {
	la, lerr := netip.ParseAddrPort(c.LocalAddr().String())
	ra, rerr := netip.ParseAddrPort(c.RemoteAddr().String())
	if lerr != nil || rerr != nil {
		la, ra = netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2")
	}
	client, server := la, ra
	if local == Server {
		client, server = ra, la
	}
	return &Conn{Conn: c, flow: r.Flow(id, client, server, local, time.Now()), local: local}
}

// End closes case id: under FailedOnly its connections are kept if failed and dropped if not;
// a failed case's last connection gets a packet whose comment is note (its finding).
func (r *Recorder) End(id string, failed bool, note string) {
	r.mu.Lock()
	c, ok := r.cases[id]
	delete(r.cases, id)
	r.mu.Unlock()
	if !ok {
		return
	}
	now := time.Now()
	if n := len(c.flows); failed && n > 0 && note != "" {
		c.flows[n-1].Note(now, c.lastS, "FAIL: "+note)
	}
	for _, f := range c.flows {
		f.Flush(now)
	}
	if c.spool == nil {
		return
	}
	defer c.spool.Close()
	if !failed {
		return
	}
	err := c.sbuf.Flush()
	if err == nil {
		_, err = c.spool.Seek(0, io.SeekStart)
	}
	if err == nil {
		err = r.out.WriteRaw(func(w io.Writer) error { _, err := io.Copy(w, c.spool); return err })
	}
	if err != nil {
		r.mu.Lock()
		r.err = errors.Join(r.err, err)
		r.mu.Unlock()
	}
}

// Close ends the cases still open as passed, and writes the file out.
func (r *Recorder) Close() error {
	r.mu.Lock()
	var open []string
	for id := range r.cases {
		open = append(open, id)
	}
	r.mu.Unlock()
	for _, id := range open {
		r.End(id, false, "")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.err
	if ferr := r.out.Flush(r.buf); ferr != nil {
		err = errors.Join(err, ferr)
	}
	if cerr := r.file.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", r.file.Name(), err)
	}
	return nil
}

// Conn is a connection whose bytes are recorded as they are read and written.
type Conn struct {
	net.Conn
	flow  *pcapng.Flow
	local Side
	reset bool // SetLinger(0): the close is a reset
}

// SetLinger sets SO_LINGER as *net.TCPConn's does; with 0, the close is recorded as the reset
// it sends.
func (c *Conn) SetLinger(sec int) error {
	tc, ok := c.Conn.(*net.TCPConn)
	if !ok {
		return errors.New("capture: not a TCP connection")
	}
	err := tc.SetLinger(sec)
	if err == nil {
		c.reset = sec == 0
	}
	return err
}

func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	now := time.Now()
	if n > 0 {
		c.flow.Data(now, c.local.Other(), b[:n], "")
	}
	switch {
	case err == io.EOF:
		c.flow.Fin(now, c.local.Other())
	case errors.Is(err, syscall.ECONNRESET):
		c.flow.Reset(now, c.local.Other())
	}
	return n, err
}

func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.flow.Data(time.Now(), c.local, b[:n], "")
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		c.flow.Reset(time.Now(), c.local.Other())
	}
	return n, err
}

// CloseWrite closes the sending side, as *net.TCPConn's does.
func (c *Conn) CloseWrite() error {
	cw, ok := c.Conn.(interface{ CloseWrite() error })
	if !ok {
		return errors.New("capture: the connection cannot close its write side")
	}
	err := cw.CloseWrite()
	if err == nil {
		c.flow.Fin(time.Now(), c.local)
	}
	return err
}

func (c *Conn) Close() error {
	if c.reset {
		c.flow.Reset(time.Now(), c.local)
	} else {
		c.flow.Fin(time.Now(), c.local)
	}
	return c.Conn.Close()
}
