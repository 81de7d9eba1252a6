package conformance

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/ref/wire"
)

// scripted is a fake peer: every connection reads a request prefix, then acts as told.
func scripted(t *testing.T, act func(c *net.TCPConn)) string {
	return fakePeer(t, func(c *net.TCPConn, _ [wire.RequestPrefixLen]byte) { act(c) })
}

// fakePeer listens on loopback and hands every connection to act once the 6-byte prefix of a
// request has arrived, so that what act writes is an answer, never a reset of unread input.
func fakePeer(t *testing.T, act func(c *net.TCPConn, prefix [wire.RequestPrefixLen]byte)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				var prefix [wire.RequestPrefixLen]byte
				if _, err := io.ReadFull(c, prefix[:]); err != nil {
					return
				}
				act(c.(*net.TCPConn), prefix)
			})
		}
	})
	return ln.Addr().String()
}

// oneExchange runs a LIST through a case's machinery and returns the reply.
func oneExchange(t *testing.T, addr string, rs readSpec) *Reply {
	t.Helper()
	cfg := fastConfig(addr, "")
	cfg.Timeout = 300 * time.Millisecond
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	r := &runner{cfg: cfg, addr: addr, users: map[uint32]bool{}}
	tc := r.newT(context.Background(), &Case{ID: "test/one"}, spec.Canonical)
	reply := tc.roundtrip(send{label: "LIST", head: listRequest(1)}, rs)
	tc.tails.Wait()
	return reply
}

func TestOutcomesAreTyped(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(c *net.TCPConn)
		want Outcome
		says string
	}{
		{"timeout", func(c *net.TCPConn) { io.Copy(io.Discard, c) }, NoAnswer, "no answer within the timeout"},
		{"partial then timeout", func(c *net.TCPConn) { c.Write([]byte{1, 0xd3}); io.Copy(io.Discard, c) }, NoAnswer, "only 2 bytes of a response"},
		{"closed", func(c *net.TCPConn) {}, Closed, "connection closed without a response"},
		{"closed mid-response", func(c *net.TCPConn) { c.Write([]byte{1, 0xd3, 0, 5, 0, 'a'}) }, Closed, "closed after 6 bytes"},
		{"reset", func(c *net.TCPConn) { c.SetLinger(0) }, Reset, "connection reset"},
		{"undefined status", func(c *net.TCPConn) { c.Write([]byte{1, 7, 0, 9, 9}) }, Undefined, "status 7, which the canonical dialect does not define"},
		{"answered", func(c *net.TCPConn) { c.Write([]byte{1, 0xea, 0x03}) }, Answered, "status 1002 (no-files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := oneExchange(t, scripted(t, tc.act), readSpec{maxPayload: 100})
			if r.Outcome != tc.want || !strings.Contains(r.String(), tc.says) {
				t.Fatalf("outcome %s %q, want %s %q", r.Outcome, r, tc.want, tc.says)
			}
		})
	}
}

func TestTrailingBytesAndPayloadBound(t *testing.T) {
	// 1002 followed by 2 stray bytes.
	r := oneExchange(t, scripted(t, func(c *net.TCPConn) { c.Write([]byte{1, 0xea, 0x03, 0xaa, 0xbb}) }), readSpec{})
	if r.Outcome != Answered || string(r.Trailing) != "\xaa\xbb" {
		t.Fatalf("%s, trailing % x", r, r.Trailing)
	}
	// A 211 whose size is over the case's bound: the payload is left unread, and no tail
	// check mistakes it for trailing bytes.
	big := []byte{1, 0xd3, 0x00, 1, 0, 'L', 0xff, 0xff, 0xff, 0x7f, 'x', 'y'}
	r = oneExchange(t, scripted(t, func(c *net.TCPConn) { c.Write(big) }), readSpec{maxPayload: 1000})
	if r.Outcome != Answered || r.PayloadRead || r.Size != 0x7fffffff || len(r.Trailing) != 0 || r.Got > int64(len(big)) {
		t.Fatalf("%s payload read %v size %d trailing % x", r, r.PayloadRead, r.Size, r.Trailing)
	}
}
