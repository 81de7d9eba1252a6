package fakepeer

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func list(user uint32) []byte {
	return (&wire.Request{UserID: user, Version: 1, Op: wire.OpList}).Append(nil)
}

func TestScriptAnswersEachConnection(t *testing.T) {
	noFiles := []byte{1, 0xea, 3}
	p := Start(t, ReadRequest(), Answer(func(h *wire.RequestHeader) []byte {
		if h.UserID != 5 {
			return nil
		}
		return noFiles
	}))
	for range 2 {
		c := dial(t, p.Addr)
		c.Write(list(5))
		got, err := io.ReadAll(c)
		if err != nil || !bytes.Equal(got, noFiles) {
			t.Fatalf("got % x, %v", got, err)
		}
	}
	if p.Accepted() != 2 {
		t.Fatalf("accepted %d", p.Accepted())
	}
}

func TestServeKeepsTheConnection(t *testing.T) {
	p := Start(t, Serve(func(*wire.RequestHeader) []byte { return []byte{1, 0xea, 3} }))
	c := dial(t, p.Addr)
	for range 3 {
		c.Write(list(1))
		var b [3]byte
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStopRefusesLaterConnections(t *testing.T) {
	p := Start(t, ReadPrefix())
	p.Stop()
	if c, err := net.DialTimeout("tcp", p.Addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a stopped peer accepted a connection")
	}
}

// waitClosed fails the test unless ch is closed within a bound no loaded machine reaches: a
// peer that never signals ends the test instead of hanging it.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: never closed", what)
	}
}

func TestAfterAcceptsWaitsForTheEvent(t *testing.T) {
	// The script runs once its connection is counted: when it has signalled, the accept has
	// happened, and a channel closed too early is seen closed.
	scripted := make(chan int, 2)
	p := StartFunc(t, func(c *Conn) []Step {
		scripted <- c.Index
		return []Step{ReadPrefix()}
	})
	ch := p.AfterAccepts(2)
	dial(t, p.Addr)
	select {
	case <-scripted:
	case <-time.After(10 * time.Second):
		t.Fatal("the first connection was never accepted")
	}
	select {
	case <-ch:
		t.Fatal("closed after one accept")
	default:
	}
	dial(t, p.Addr)
	waitClosed(t, ch, "AfterAccepts(2) after two accepts")
	select {
	case <-p.AfterAccepts(1):
	default:
		t.Fatal("AfterAccepts of a count already reached is not closed at once")
	}
}

func TestForwardPassesRequestAndAnswer(t *testing.T) {
	upstream := Start(t, ReadRequest(), Answer(func(h *wire.RequestHeader) []byte {
		return (&wire.Response{Version: 1, Status: wire.StatusOK, Name: h.Name}).Append(nil)
	}))
	proxy := Start(t, ReadHeader(), Forward(upstream.Addr))
	c := dial(t, proxy.Addr)
	c.Write((&wire.Request{UserID: 1, Version: 1, Op: wire.OpBackup, Name: []byte("f"), Payload: []byte("data")}).Append(nil))
	got, err := io.ReadAll(c)
	want := (&wire.Response{Version: 1, Status: wire.StatusOK, Name: []byte("f")}).Append(nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got % x, %v", got, err)
	}
}

func TestClosedAddrRefuses(t *testing.T) {
	if c, err := net.DialTimeout("tcp", ClosedAddr(t), time.Second); err == nil {
		c.Close()
		t.Fatal("connected")
	}
}
