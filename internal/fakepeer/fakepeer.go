// Package fakepeer is a scripted FBP peer for tests, in the spirit of pgx's pgmock: a server
// on 127.0.0.1:0 whose every connection runs a list of steps (read a request, send bytes,
// hold the line, reset it, forward it to a real server). A step that fails ends its
// connection's script quietly; the test judges what its client saw.
package fakepeer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// connDeadline bounds a connection's whole script, so that a test whose client never comes
// back still ends.
const connDeadline = 10 * time.Second

// Conn is one accepted connection as the steps see it.
type Conn struct {
	*net.TCPConn
	// Index numbers the peer's connections from 0, in accept order.
	Index int
	// Prefix is the 6-byte request prefix ReadPrefix read.
	Prefix [wire.RequestPrefixLen]byte
	// Req is the request header ReadHeader or ReadRequest read last; its payload, unread by
	// ReadHeader, is Payload.
	Req     *wire.RequestHeader
	Payload io.Reader
	peer    *Peer
}

// Peer is the fake server the connection belongs to.
func (c *Conn) Peer() *Peer { return c.peer }

// Step is one thing a connection's script does.
type Step func(c *Conn) error

// Peer is a running fake server.
type Peer struct {
	Addr     string
	ln       net.Listener
	done     chan struct{}
	accepted atomic.Int64
	mu       sync.Mutex
	waits    []acceptWait
}

type acceptWait struct {
	n  int64
	ch chan struct{}
}

// Start serves steps on every connection until the test ends.
func Start(t testing.TB, steps ...Step) *Peer {
	return StartFunc(t, func(*Conn) []Step { return steps })
}

// StartFunc serves on every connection the steps script gives for it.
func StartFunc(t testing.TB, script func(c *Conn) []Step) *Peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Peer{Addr: ln.Addr().String(), ln: ln, done: make(chan struct{})}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	t.Cleanup(func() {
		close(p.done)
		p.Stop()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			open = append(open, nc)
			mu.Unlock()
			c := &Conn{TCPConn: nc.(*net.TCPConn), Index: int(p.accepted.Load()), peer: p}
			p.accepted.Add(1)
			p.notify()
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(connDeadline))
				for _, s := range script(c) {
					if s(c) != nil {
						return
					}
				}
			})
		}
	})
	return p
}

// Stop closes the listener: later connections are refused, as by a server that crashed.
// Connections already accepted run on.
func (p *Peer) Stop() { _ = p.ln.Close() }

// Accepted returns how many connections the peer has accepted.
func (p *Peer) Accepted() int { return int(p.accepted.Load()) }

// AfterAccepts returns a channel closed once n connections have been accepted: a test waits
// on the event instead of the clock.
func (p *Peer) AfterAccepts(n int) <-chan struct{} {
	ch := make(chan struct{})
	p.mu.Lock()
	p.waits = append(p.waits, acceptWait{n: int64(n), ch: ch})
	p.mu.Unlock()
	p.notify()
	return ch
}

func (p *Peer) notify() {
	p.mu.Lock()
	defer p.mu.Unlock()
	got := p.accepted.Load()
	kept := p.waits[:0]
	for _, w := range p.waits {
		if got >= w.n {
			close(w.ch)
		} else {
			kept = append(kept, w)
		}
	}
	p.waits = kept
}

// ReadPrefix reads the 6-byte prefix of a request into c.Prefix: what the peer then sends is
// an answer, never a reset of input it did not read.
func ReadPrefix() Step {
	return func(c *Conn) error {
		_, err := io.ReadFull(c, c.Prefix[:])
		return err
	}
}

// ReadHeader reads a request's header into c.Req and leaves its payload in c.Payload.
func ReadHeader() Step {
	return func(c *Conn) error {
		r := wire.NewReader(c, wire.Limits{MaxName: wire.MaxNameField})
		var h wire.RequestHeader
		if err := r.ReadRequestHeader(&h); err != nil {
			return err
		}
		c.Req, c.Payload = &h, r.Payload()
		return nil
	}
}

// ReadRequest reads a whole request: its header into c.Req, its payload discarded.
func ReadRequest() Step {
	return func(c *Conn) error {
		if err := ReadHeader()(c); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, c.Payload)
		return err
	}
}

// Send writes b.
func Send(b []byte) Step {
	return func(c *Conn) error {
		_, err := c.Write(b)
		return err
	}
}

// Answer writes what f makes of the last request read.
func Answer(f func(req *wire.RequestHeader) []byte) Step {
	return func(c *Conn) error {
		if c.Req == nil {
			return errors.New("fakepeer: Answer before a request was read")
		}
		_, err := c.Write(f(c.Req))
		return err
	}
}

// Serve reads requests and answers each with f until the client closes: a server that keeps
// connections.
func Serve(f func(req *wire.RequestHeader) []byte) Step {
	return func(c *Conn) error {
		for {
			if err := ReadRequest()(c); err != nil {
				return err
			}
			if err := Answer(f)(c); err != nil {
				return err
			}
		}
	}
}

// Hold keeps the connection open, reading and dropping what comes, until the client closes
// it or the test ends: a server that answers and never closes.
func Hold() Step {
	return func(c *Conn) error {
		go func() {
			<-c.peer.done
			c.Close()
		}()
		_, err := io.Copy(io.Discard, c)
		return err
	}
}

// Reset closes the connection with a reset (SO_LINGER 0) instead of a FIN.
func Reset() Step {
	return func(c *Conn) error {
		_ = c.SetLinger(0)
		return c.Close()
	}
}

// Func is a step of the test's own.
func Func(f func(c *Conn) error) Step { return Step(f) }

// Forward passes the request last read by ReadHeader, its payload included, to the server at
// addr, and the answer back, until either side closes.
func Forward(addr string) Step {
	return func(c *Conn) error {
		up, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer up.Close()
		_ = up.SetDeadline(time.Now().Add(connDeadline))
		if c.Req != nil {
			if err := wire.NewWriter(up).WriteRequest(c.Req, c.Payload); err != nil {
				return fmt.Errorf("fakepeer: forwarding: %w", err)
			}
		}
		// The client closes when it has its answer; the server may keep its end.
		clientDone := make(chan struct{})
		go func() {
			defer close(clientDone)
			_, _ = io.Copy(up, c)
			_ = up.Close()
		}()
		_, _ = io.Copy(c, up)
		_ = c.Close()
		<-clientDone
		return nil
	}
}

// ClosedAddr is a loopback address nothing listens on.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Hex is the bytes of s, hex digits with spaces between fields as a test writes a message
// ("01 ea03"): a script's bytes, or the bytes a test wants.
func Hex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
