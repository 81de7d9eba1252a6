package client_test

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

// peer is a scripted server on 127.0.0.1:0: for every request it reads, it calls answer, which
// writes whatever bytes the test wants, well-formed or not. answer returns false to close the
// connection after its answer.
type peer struct {
	*fakepeer.Peer
	addr string
	reqs atomic.Int32 // requests read
	done chan struct{}
}

type answerFunc func(conn net.Conn, req *wire.RequestHeader, payload io.Reader) (keepOpen bool)

func startPeer(t testing.TB, answer answerFunc) *peer {
	t.Helper()
	p := &peer{done: make(chan struct{})}
	p.Peer = fakepeer.Start(t, fakepeer.Func(func(c *fakepeer.Conn) error {
		rd := wire.NewReader(c.TCPConn, wire.Limits{})
		var h wire.RequestHeader
		for rd.ReadRequestHeader(&h) == nil {
			p.reqs.Add(1)
			if !answer(c.TCPConn, &h, rd.Payload()) {
				break
			}
		}
		return nil
	}))
	p.addr = p.Addr
	// Registered after the peer's own cleanup, so run before it: stalled answers end first.
	t.Cleanup(func() { close(p.done) })
	return p
}

// conns is how many connections the peer accepted.
func (p *peer) conns() int32 { return int32(p.Accepted()) }

// stall holds the connection open without a byte until the test ends.
func (p *peer) stall() { <-p.done }

func send(conn net.Conn, r wire.RawResponse) bool {
	_, err := conn.Write(r.Append(nil))
	return err == nil
}

func raw(status wire.Status, name string, payload string) wire.RawResponse {
	resp := wire.Response{Version: 1, Status: status, Name: []byte(name), Payload: []byte(payload)}
	return resp.Raw()
}

// sumOf is h's sum as content.Content.Sum gives one.
func sumOf(h hash.Hash) (sum [sha256.Size]byte) {
	copy(sum[:], h.Sum(nil))
	return sum
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}
