package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/wire"
)

// FuzzResponse answers each request with arbitrary bytes. Whatever they are, the client must not
// panic, must not hang past its deadline, and must not report a success that the bytes do not
// make: a success restores exactly the size the response states, and lists only safe names.
func FuzzResponse(f *testing.F) {
	for _, r := range []wire.Response{
		{Version: 1, Status: wire.StatusRestored, Name: []byte("a"), Payload: []byte("content")},
		{Version: 1, Status: wire.StatusListed, Name: []byte(listingName), Payload: []byte("a\r\nb\nc")},
		{Version: 1, Status: wire.StatusOK, Name: []byte("a")},
		{Version: 1, Status: wire.StatusNotExist, Name: []byte("a")},
		{Version: 1, Status: wire.StatusNoFiles},
		{Version: 1, Status: wire.StatusServerError},
	} {
		for op := range 4 {
			f.Add(uint8(op), r.Append(nil))
		}
	}
	f.Add(uint8(1), []byte{1, 0xd3, 0, 32, 0})
	f.Add(uint8(0), []byte{1, 0xd2, 0, 1, 0, 'a', 0xff, 0xff, 0xff, 0xff, 'x'})

	var mu sync.Mutex
	var answer []byte
	p := startPeer(f, func(c net.Conn, _ *wire.RequestHeader, payload io.Reader) bool {
		io.Copy(io.Discard, payload)
		mu.Lock()
		b := answer
		mu.Unlock()
		c.Write(b)
		return false
	})
	c := client.New(p.addr, client.Options{MaxList: 1 << 10, MaxRestore: 1 << 10})
	f.Fuzz(func(t *testing.T, op uint8, resp []byte) {
		mu.Lock()
		answer = resp
		mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var err error
		switch op % 4 {
		case 0:
			var buf bytes.Buffer
			var n int64
			n, err = c.Restore(ctx, 1, "a", &buf)
			if err == nil {
				got, _, perr := wire.ParseResponse(resp, wire.Limits{})
				if perr != nil || got.Status != wire.StatusRestored || !bytes.Equal(got.Payload, buf.Bytes()) || n != int64(buf.Len()) {
					t.Fatalf("restore took %q (%d bytes) from %x", buf.Bytes(), n, resp)
				}
			}
		case 1:
			var names []string
			names, err = c.List(ctx, 1)
			for _, name := range names {
				if wire.CheckName([]byte(name), wire.MaxNameField) != nil {
					t.Fatalf("listed the unsafe name %q", name)
				}
			}
		case 2:
			err = c.Delete(ctx, 1, "a")
		case 3:
			err = c.Backup(ctx, 1, "a", bytes.NewReader([]byte("payload")), 7)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hung on %x", resp)
		}
	})
}
