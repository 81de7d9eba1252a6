package target

import (
	"net"
	"testing"
	"time"
)

// serve accepts connections on a loopback port and hands each to answer.
func serve(t *testing.T, answer func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 6)
				if _, err := c.Read(buf); err == nil {
					answer(c)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestProbeTellsAnAnswerFromAClose(t *testing.T) {
	list := []byte{1, 0, 0, 0, 1, 202}
	answers := serve(t, func(c net.Conn) { c.Write([]byte{1, 0xea, 0x03}) })
	closes := serve(t, func(net.Conn) {})
	for _, tc := range []struct {
		name  string
		p     Probe
		wantN int
		ok    bool
	}{
		{"prefix answered", Probe{Addr: answers, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Enough: 3}, 3, true},
		{"drained with grace", Probe{Addr: answers, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Grace: 50 * time.Millisecond}, 3, true},
		{"closed without answer", Probe{Addr: closes, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Enough: 3}, 0, false},
	} {
		res := tc.p.Run(t.Context())
		if res.Answered != tc.ok || res.N != tc.wantN || (res.Err() == nil) != tc.ok {
			t.Errorf("%s: answered %v, %d bytes, err %v", tc.name, res.Answered, res.N, res.Err())
		}
	}
	if res := (Probe{Addr: answers, Request: list, Timeout: time.Second, Wait: time.Second, Enough: 4}).Run(t.Context()); res.Answered {
		t.Errorf("3 bytes taken for 4: %+v", res)
	}
}
