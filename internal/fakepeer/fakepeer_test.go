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

func TestAfterAcceptsWaitsForTheEvent(t *testing.T) {
	p := Start(t, ReadPrefix())
	ch := p.AfterAccepts(2)
	dial(t, p.Addr)
	select {
	case <-ch:
		t.Fatal("closed after one accept")
	default:
	}
	dial(t, p.Addr)
	<-ch
	<-p.AfterAccepts(1) // already reached: closed at once
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
