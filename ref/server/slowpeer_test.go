package server_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// trickle sends b one byte per pause until all is sent or the server closes the connection,
// and reports how many bytes it sent. A reader watches for the close, so that a server that
// closes is seen at once; one that never closes fails the test.
func trickle(t *testing.T, c net.Conn, b []byte, pause time.Duration) int {
	t.Helper()
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		c.SetReadDeadline(time.Now().Add(testTimeout))
		if _, err := io.Copy(io.Discard, c); isTimeout(err) {
			t.Error("the server never closed the connection")
		}
	}()
	for i := range b {
		select {
		case <-closed:
			return i
		case <-time.After(pause):
		}
		if _, err := c.Write(b[i : i+1]); err != nil {
			return i
		}
	}
	<-closed
	return len(b)
}

// A header trickled a byte at a time, each byte well within the read deadline, is cut off at
// the header deadline: nothing renews it.
func TestHeaderDeadlineBoundsWholeHeader(t *testing.T) {
	srv := servertest.Start(t, server.Config{ReadTimeout: time.Hour, HeaderTimeout: 200 * time.Millisecond})
	head := enc(backupReq(1, strings.Repeat("n", 255), []byte("x")))
	// At 20 ms a byte the header would take over 5 s; the server must close well before.
	if sent := trickle(t, dial(t, srv.Addr), head, 20*time.Millisecond); sent >= len(head)-1 {
		t.Fatalf("the server read the whole %d-byte header trickled over %d bytes", len(head), sent)
	}
	// A further request on a kept connection gets its own header deadline, from its first byte.
	c := dial(t, srv.Addr)
	send(t, c, enc(listReq(1)))
	wantResp(t, "LIST", readResponse(t, c), wire.StatusNoFiles, "", nil)
	if sent := trickle(t, c, head, 20*time.Millisecond); sent >= len(head)-1 {
		t.Fatalf("a kept connection's header trickled over %d bytes was read whole", sent)
	}
	wantTree(t, "after trickled headers", srv.Root, map[string]string{})
}

// A payload must keep the minimum rate, whether it is stored or refused and drained: a
// trickle is cut off and stores nothing, while a payload sent at speed is whole.
func TestPayloadMinimumRate(t *testing.T) {
	// Each 256 bytes must arrive within 250 ms of the first.
	root := t.TempDir()
	srv := servertest.Start(t, server.Config{Root: root, ReadTimeout: 250 * time.Millisecond, MinRate: 1 << 10})
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(1, "f", []byte("previous"))), wire.StatusOK, "f", nil)
	for _, name := range []string{"f", "../refused"} {
		c := dial(t, srv.Addr)
		payload := bytes.Repeat([]byte("p"), 512)
		full := enc(backupReq(1, name, payload))
		send(t, c, full[:len(full)-len(payload)])
		// 100 bytes a second: each byte well within the read deadline, the whole far too slow.
		if sent := trickle(t, c, payload, 10*time.Millisecond); sent == len(payload) {
			t.Fatalf("%s: a payload trickled at 100 B/s was read whole", name)
		}
	}
	wantTree(t, "after trickles", root, map[string]string{"1": "<dir>", "1/f": "previous"})
	// A payload sent at speed keeps the rate; the windows here leave room for a loaded machine.
	fast := servertest.Start(t, server.Config{Root: root, ReadTimeout: 5 * time.Second, MinRate: 1 << 10})
	big := bytes.Repeat([]byte("fast"), 1<<18)
	wantResp(t, "a payload at speed", roundTrip(t, fast.Addr, backupReq(1, "f", big)), wire.StatusOK, "f", nil)
	wantTree(t, "after", root, map[string]string{"1": "<dir>", "1/f": string(big)})
}

// Stalled connections beyond any former cap do not keep a new client from being served: the
// server accepts them all, and each costs it only a goroutine until its header deadline.
func TestStalledConnectionsDoNotStarve(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	half := enc(backupReq(1, "stalled", []byte("x")))[:10]
	for range 300 { // more than the former cap of 256, within a limit of 1,024 descriptors
		send(t, dial(t, srv.Addr), half)
	}
	wantResp(t, "LIST among stalled connections", roundTrip(t, srv.Addr, listReq(2)), wire.StatusNoFiles, "", nil)
}

// The reference server's policy (SPEC ): a connection belongs to the user of its first
// request. A request of another user on it gets 1003 before anything of it is done, and the
// connection closes.
func TestConnectionBelongsToOneUser(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(2, "f", []byte("user 2's"))), wire.StatusOK, "f", nil)
	for _, req := range []wire.Request{backupReq(2, "f", []byte("overwritten")), restoreReq(2, "f"), deleteReq(2, "f"), listReq(2)} {
		c := dial(t, srv.Addr)
		send(t, c, enc(listReq(1)))
		wantResp(t, "LIST of user 1", readResponse(t, c), wire.StatusNoFiles, "", nil)
		send(t, c, enc(req))
		wantClosed(t, req.Op.String()+" of user 2 on user 1's connection", c, respBytes(wire.StatusServerError, "", nil))
	}
	// Bytes sent after a request, padding here, are no request of the user they spell.
	c := dial(t, srv.Addr)
	send(t, c, append(enc(restoreReq(2, "f")), bytes.Repeat([]byte{0}, 16)...))
	wantResp(t, "RESTORE", readResponse(t, c), wire.StatusRestored, "f", []byte("user 2's"))
	wantClosed(t, "padding after the request", c, respBytes(wire.StatusServerError, "", nil))
	wantTree(t, "after", srv.Root, map[string]string{"2": "<dir>", "2/f": "user 2's"})
}

// OneRequest answers one request per connection, then closes, for clients that read a
// response until the server closes.
func TestOneRequest(t *testing.T) {
	srv := servertest.Start(t, server.Config{OneRequest: true})
	c := dial(t, srv.Addr)
	send(t, c, append(enc(backupReq(3, "f", []byte("one"))), enc(restoreReq(3, "f"))...))
	wantClosed(t, "two requests", c, respBytes(wire.StatusOK, "f", nil))
	c = dial(t, srv.Addr)
	send(t, c, enc(restoreReq(3, "f")))
	wantClosed(t, "RESTORE", c, respBytes(wire.StatusRestored, "f", []byte("one")))
}

func TestAcceptRetriesLackOfDescriptors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		err := &net.OpError{Op: "accept", Net: "tcp", Err: errno}
		if !server.RetryAccept(err) {
			t.Errorf("accept failing with %v ends Serve", errno)
		}
	}
	if server.RetryAccept(errors.New("use of closed network connection")) {
		t.Error("a closed listener is retried")
	}
}
