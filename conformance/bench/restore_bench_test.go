package bench

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	refserver "github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// memServer answers every RESTORE from memory, with the bytes of the client's last BACKUP of
// the name, written a block of patternLen at a time as the loopback baseline writes its
// answers: a peer that costs what the loopback costs, so that the tester's reading and
// checking of a 210 can be set against the loopback's plain read of the same bytes.
type memServer struct {
	mu    sync.Mutex
	files map[memFile][]byte
}

// memFile is a file as a server tells it: its user's and its own name.
type memFile struct {
	user uint32
	name string
}

func startMem(b *testing.B) string {
	return listenTB(b, (&memServer{files: map[memFile][]byte{}}).serve)
}

func (s *memServer) serve(c net.Conn) {
	r := wire.NewReader(c, wire.Limits{MaxPayload: 1 << 31})
	var h wire.RequestHeader
	for r.ReadRequestHeader(&h) == nil {
		name := memFile{h.UserID, string(h.Name)}
		var head []byte
		switch h.Op {
		case wire.OpBackup:
			data := make([]byte, h.Size)
			if _, err := io.ReadFull(r.Payload(), data); err != nil {
				return
			}
			s.mu.Lock()
			s.files[name] = data
			s.mu.Unlock()
			head = (&wire.ResponseHeader{Version: wire.Version, Status: wire.StatusOK, Name: h.Name}).Append(nil)
		case wire.OpRestore:
			s.mu.Lock()
			data := s.files[name]
			s.mu.Unlock()
			head = (&wire.ResponseHeader{Version: wire.Version, Status: wire.StatusRestored, Name: h.Name, Size: uint32(len(data))}).Append(nil)
			if _, err := c.Write(head); err != nil {
				return
			}
			for len(data) > 0 {
				n, err := c.Write(data[:min(len(data), patternLen)])
				if err != nil {
					return
				}
				data = data[n:]
			}
			continue
		default:
			return
		}
		if _, err := c.Write(head); err != nil {
			return
		}
	}
}

// sendfileAnswers makes l send its answers of up to size bytes from a file in the page cache
// with sendfile, as the reference server sends a stored file, instead of from memory: what the
// network part of a RESTORE costs when the receiver copies every byte out of the page cache.
func sendfileAnswers(b *testing.B, l *loopback, size int64) {
	name := filepath.Join(b.TempDir(), "pattern")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	for left := size + patternLen; left > 0; left -= patternLen { // an answer's header and all
		if _, err := f.Write(l.pattern[:min(left, patternLen)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	// The loopback's own accept loop ends; stop closes the new listener.
	_ = l.ln.Close()
	l.wg.Wait()
	if l.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	ln := l.ln
	l.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.wg.Go(func() {
				defer c.Close()
				answerRequests(c, func(out int64) error {
					f, err := os.Open(name)
					if err != nil {
						return err
					}
					defer f.Close()
					_, err = io.Copy(c, &io.LimitedReader{R: f, N: out})
					return err
				})
			})
		}
	})
}

// The tester alone: a RESTORE of a large file from a peer that sends it as fast as the
// loopback baseline sends its answers, read and checked byte for byte by the load tester's
// client ("tester"), against the loopback baseline's own client reading the same number of
// bytes from the loopback server ("loopback"). The tester must cost no more than the
// loopback's plain read, or it, not the server, is what a large RESTORE measures. The
// reference server in the same process, its file in the page cache, is the third
// ("refserver"), and the loopback sending its answers with sendfile from a file in the page
// cache, as that server does, the fourth ("loopback-sendfile").
//
//	go test -run '^$' -bench RestoreReceive -benchtime 20x -count 5 ./conformance/bench
func BenchmarkRestoreReceive(b *testing.B) {
	const size = 256 << 20
	cfg := Config{
		Clients: []int{1},
		Names:   1,
		Mix:     Mix{wire.OpRestore: 1},
		Sizes:   Sizes{Min: size, Max: size},
		Seed:    7,
		Timeout: 5 * time.Second,
	}
	ctx := context.Background()
	measure := func(b *testing.B, a actor) {
		for _, o := range a.prepare(ctx) {
			if !o.ok {
				b.Fatalf("prepare: %s", o.what)
			}
		}
		b.SetBytes(size)
		b.ResetTimer()
		for b.Loop() {
			if o := a.step(ctx); !o.ok || o.bytes != size {
				b.Fatalf("restore: %v %s (%d bytes)", o.kind, o.what, o.bytes)
			}
		}
	}
	b.Run("loopback", func(b *testing.B) {
		l, err := startLoopback(&cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			b.Fatal(err)
		}
		defer l.stop()
		measure(b, l.actor(0))
	})
	b.Run("loopback-sendfile", func(b *testing.B) {
		l, err := startLoopback(&cfg, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			b.Fatal(err)
		}
		defer l.stop()
		sendfileAnswers(b, l, size)
		measure(b, l.actor(0))
	})
	b.Run("tester", func(b *testing.B) {
		c := cfg
		c.Target = Target{Label: "server", Addr: startMem(b)}
		s := newServer(c.Target, &c, rand.New(rand.NewPCG(1, 2)))
		measure(b, s.actor(0))
	})
	b.Run("refserver", func(b *testing.B) {
		c := cfg
		c.Target = Target{Label: "server", Addr: servertest.Start(b, refserver.Config{}).Addr}
		s := newServer(c.Target, &c, rand.New(rand.NewPCG(1, 2)))
		measure(b, s.actor(0))
	})
}
