package storage_test

import (
	"bytes"
	"testing"

	"github.com/fbpkit/fbp/ref/server/storage"
)

// One durable 4 KiB BACKUP and one RESTORE of a user's file, replacing or reading the same
// name, as the small-file rows of scripts/bench-server.sh do per client. Its syscalls per op
// (docs/BENCHMARKS.md) come from strace -c -f on the test binary running it.
func BenchmarkFS(b *testing.B) {
	payload := bytes.Repeat([]byte{0xa5}, 4096)
	s, err := storage.OpenFS(b.TempDir(), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	backup := func() {
		up, err := s.Create(7, "small", int64(len(payload)))
		if err == nil {
			_, err = up.Write(payload)
			if err == nil {
				err = up.Commit()
			} else {
				up.Abort()
			}
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("backup-4KiB", func(b *testing.B) {
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			backup()
		}
	})
	b.Run("restore-4KiB", func(b *testing.B) {
		backup()
		buf := make([]byte, 8192)
		b.SetBytes(int64(len(payload)))
		for b.Loop() {
			r, _, err := s.Open(7, "small")
			if err != nil {
				b.Fatal(err)
			}
			n, _ := r.Read(buf)
			r.Close()
			if n != len(payload) {
				b.Fatalf("read %d bytes", n)
			}
		}
	})
}
