package client_test

import (
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

// peer is a scripted server on 127.0.0.1:0: for every request it reads, it calls answer, which
// writes whatever bytes the test wants, well-formed or not. answer returns false to close the
// connection after its answer.
type peer struct {
	addr  string
	conns atomic.Int32 // connections accepted
	reqs  atomic.Int32 // requests read
	done  chan struct{}
}

type answerFunc func(conn net.Conn, req *wire.RequestHeader, payload io.Reader) (keepOpen bool)

func startPeer(t testing.TB, answer answerFunc) *peer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{addr: ln.Addr().String(), done: make(chan struct{})}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			mu.Lock()
			open = append(open, conn)
			mu.Unlock()
			wg.Go(func() {
				defer conn.Close()
				rd := wire.NewReader(conn, wire.Limits{})
				var h wire.RequestHeader
				for rd.ReadRequestHeader(&h) == nil {
					p.reqs.Add(1)
					if !answer(conn, &h, rd.Payload()) {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return p
}

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
