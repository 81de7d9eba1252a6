package client_test

import (
	"context"
	"io"
	"testing"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

const benchSize = 16 << 20

// BenchmarkBackup streams a generated file to the reference server.
func BenchmarkBackup(b *testing.B) {
	srv := servertest.Start(b, server.Config{})
	c := client.New(srv.Addr, client.Options{})
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Backup(context.Background(), 1, "bench", content.Drawn(benchSize, 1).Reader(), benchSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRestore streams a stored file from the reference server.
func BenchmarkRestore(b *testing.B) {
	srv := servertest.Start(b, server.Config{})
	c := client.New(srv.Addr, client.Options{})
	if err := c.Backup(context.Background(), 1, "bench", content.Drawn(benchSize, 1).Reader(), benchSize); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Restore(context.Background(), 1, "bench", io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallRequests is the cost of one small request, with a connection each or one kept.
func BenchmarkSmallRequests(b *testing.B) {
	eachConnMode(b, func(b *testing.B, _ *servertest.Running, c *client.Client) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Delete(context.Background(), 1, "missing"); err == nil {
				b.Fatal("deleted a missing file")
			}
		}
	})
}
