package server_test

import (
	"bytes"
	"sync/atomic"
	"testing"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// Small-file operations over loopback, one connection per request as the exercise's clients
// do, each parallel client on its own user. The 1 GiB figures come from
// scripts/bench-server.sh, which also measures the server's memory.
func BenchmarkSmallFile(b *testing.B) {
	payload := bytes.Repeat([]byte{0xa5}, 4096)
	for _, bc := range []struct {
		name string
		req  func(user uint32) wire.Request
		want wire.Status
		size int64 // payload bytes per op
	}{
		{"backup-4KiB", func(u uint32) wire.Request { return backupReq(u, "small", payload) }, wire.StatusOK, 4096},
		{"restore-4KiB", func(u uint32) wire.Request { return restoreReq(u, "small") }, wire.StatusRestored, 4096},
		{"list", listReq, wire.StatusListed, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := servertest.Start(b, server.Config{})
			var users atomic.Uint32
			b.SetBytes(bc.size)
			b.RunParallel(func(pb *testing.PB) {
				user := users.Add(1)
				setup, err := dialErr(srv.Addr)
				if err != nil {
					b.Error(err)
					return
				}
				setup.Write(enc(backupReq(user, "small", payload)))
				readResponseErr(setup)
				setup.Close()
				req := enc(bc.req(user))
				for pb.Next() {
					c, err := dialErr(srv.Addr)
					if err != nil {
						b.Error(err)
						return
					}
					c.Write(req)
					got, err := readResponseErr(c)
					c.Close()
					if err != nil || len(got) < 3 || wire.Status(uint16(got[1])|uint16(got[2])<<8) != bc.want {
						b.Errorf("%s: %q, %v", bc.name, clip(got), err)
						return
					}
				}
			})
		})
	}
}
