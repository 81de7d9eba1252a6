package watch_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/watch"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// clients builds the reference client and the zoo's faulty client once.
func clients(t *testing.T) (refclient, badclient string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "fbp-watch-test-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+string(filepath.Separator),
			"github.com/fbpkit/fbp/cmd/refclient", "github.com/fbpkit/fbp/conformance/clienttest/internal/badclients/badclient").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "refclient"), filepath.Join(binDir, "badclient")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// start runs a watch to server that ends after count connections.
func start(t testing.TB, server string, count int) (addr string, result <-chan *watch.Result, log *syncBuffer) {
	t.Helper()
	log = &syncBuffer{}
	p, err := watch.Listen(watch.Config{Listen: "127.0.0.1:0", To: server, Count: count, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *watch.Result, 1)
	go func() { ch <- p.Run(context.Background()) }()
	return p.Addr(), ch, log
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// scriptedRun runs a client's scripted run (SPEC §6) against addr, in a folder of its own.
func scriptedRun(t *testing.T, bin, addr string, args ...string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"server.info": addr + "\n", "backup.info": "one.txt\ntwo.bin\n", "one.txt": "the first file\n",
		"two.bin": strings.Repeat("\x00\x01\xfe\xff", 5000)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, append(args, "run")...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
}

// scriptConns is how many connections a scripted run opens: one per request.
const scriptConns = 7

// keys lists the findings of side as requirement|check, once each, sorted.
func keys(res *watch.Result, side watch.Side) []string {
	var ks []string
	for _, f := range res.Side(side) {
		if k := f.Key(); !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

// TestReferencePairIsClean: the reference client through a watch to the reference server
// breaks no rule, and every exchange of the run is seen.
func TestReferencePairIsClean(t *testing.T) {
	t.Parallel()
	refclient, _ := clients(t)
	ref := servertest.Start(t, server.Config{})
	addr, result, log := start(t, ref.Addr, scriptConns)
	scriptedRun(t, refclient, addr)
	res := <-result
	t.Logf("watch log:\n%s", log)
	if len(res.Findings) > 0 {
		t.Errorf("findings on the reference pair: client %v, server %v", keys(res, watch.SideClient), keys(res, watch.SideServer))
		for _, f := range res.Findings {
			t.Errorf("  %s", f.Line())
		}
	}
	if res.Connections != scriptConns || res.Exchanges != scriptConns {
		t.Errorf("%d connections and %d exchanges seen, want %d of each", res.Connections, res.Exchanges, scriptConns)
	}
	for _, want := range []string{"a LIST -> 1002 no-files", `a BACKUP of "two.bin" (20000 bytes) -> 212 backup-ok`, "-> 211 list-ok",
		`a RESTORE of "one.txt" -> 210 restore-ok`, `a DELETE of "one.txt" -> 212 delete-ok`, `a RESTORE of "one.txt" -> 1001 not-found`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log has no line with %q", want)
		}
	}
}

// TestFaultyPairNamesEachSide: a faulty client of the zoo talks to a faulty server of the
// zoo through a watch, and each fault is named on its own side, with nothing else.
func TestFaultyPairNamesEachSide(t *testing.T) {
	t.Parallel()
	_, badclient := clients(t)
	for _, tc := range []struct {
		client, server string
		wantClient     []string
		wantServer     []string
		line           string
	}{
		{"list-name-len", "missing-file-1003", []string{"R-7.1|bytes-after"}, []string{"R-4.2|missing-file"}, "client: 2 bytes more after it"},
		{"version-4", "ok-trailing-size", []string{"R-7.2|client-version"}, []string{"R-3.1|trailing-bytes"}, "server: 4 more bytes followed the response"},
		{"ops-1-4", "unknown-op-1001", []string{"R-7.2|client-op"}, []string{"R-5.2|status-forbidden"}, "client: op 1"},
		{"none", "none", nil, nil, ""},
	} {
		t.Run(tc.client+"/"+tc.server, func(t *testing.T) {
			t.Parallel()
			srv := mutants.StartTB(t, tc.server, mutants.Options{})
			addr, result, log := start(t, srv, scriptConns)
			scriptedRun(t, badclient, addr, "-fault", tc.client)
			res := <-result
			t.Logf("watch log:\n%s", log)
			if got := keys(res, watch.SideClient); !slices.Equal(got, tc.wantClient) {
				t.Errorf("client findings %v, want %v", got, tc.wantClient)
			}
			if got := keys(res, watch.SideServer); !slices.Equal(got, tc.wantServer) {
				t.Errorf("server findings %v, want %v", got, tc.wantServer)
			}
			if !strings.Contains(log.String(), tc.line) {
				t.Errorf("the log has no line with %q", tc.line)
			}
		})
	}
}

// sinkServer answers every BACKUP with 212 after reading its payload into one buffer: a
// server that allocates nothing per byte, so that what an upload allocates is the watch's.
func sinkServer(t testing.TB) string {
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
				r := wire.NewReader(c, wire.Limits{MaxName: 255, MaxPayload: ^uint32(0)})
				var h wire.RequestHeader
				buf := make([]byte, 64<<10)
				for r.ReadRequestHeader(&h) == nil {
					if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r.Payload()}, buf); err != nil {
						return
					}
					resp := wire.Response{Version: 1, Status: wire.StatusOK, Name: h.Name}
					raw := resp.Raw()
					if _, err := c.Write(raw.Append(nil)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// upload backs up size bytes through addr from one buffer, and reads the answer.
func upload(t testing.TB, addr string, size int) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := wire.RawRequest{UserID: 7, Version: 1, Op: uint8(wire.OpBackup), Fields: wire.HasName | wire.HasPayload, Name: []byte("big"), Size: new(uint32)}
	*head.Size = uint32(size)
	if _, err := c.Write(head.Append(nil)); err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 256<<10)
	for left := size; left > 0; left -= len(block) {
		if _, err := c.Write(block[:min(left, len(block))]); err != nil {
			t.Fatal(err)
		}
	}
	var resp [3]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil || binary.LittleEndian.Uint16(resp[1:]) != uint16(wire.StatusOK) {
		t.Fatalf("answer % x, %v", resp, err)
	}
}

// TestLargeUploadInConstantMemory: what a watch allocates to forward and judge an upload does
// not grow with the upload: 64 MiB cost what 4 MiB cost, within a few buffers.
func TestLargeUploadInConstantMemory(t *testing.T) {
	srv := sinkServer(t)
	allocated := func(size int) uint64 {
		addr, result, _ := start(t, srv, 1)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		upload(t, addr, size)
		res := <-result
		runtime.ReadMemStats(&after)
		if len(res.Findings) > 0 || res.BytesUp < int64(size) {
			t.Fatalf("%d bytes up, findings %v", res.BytesUp, res.Findings)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(4<<20), allocated(64<<20)
	t.Logf("allocated: %d bytes for 4 MiB, %d bytes for 64 MiB", small, large)
	// 60 MiB more passed; a watch that held or copied the payload would allocate that much.
	if large > small+1<<20 {
		t.Errorf("a 64 MiB upload allocated %d bytes, a 4 MiB one %d: the watch's memory grows with the payload", large, small)
	}
}

// BenchmarkUpload is a 64 MiB BACKUP to a server that drops it, straight and through a watch,
// in the same run: the ratio of the two is the cost of forwarding and judging every byte.
func BenchmarkUpload(b *testing.B) {
	const size = 64 << 20
	srv := sinkServer(b)
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			upload(b, srv, size)
		}
	})
	b.Run("watch", func(b *testing.B) {
		b.SetBytes(size)
		p, err := watch.Listen(watch.Config{Listen: "127.0.0.1:0", To: srv})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		result := make(chan *watch.Result, 1)
		go func() { result <- p.Run(ctx) }()
		for b.Loop() {
			upload(b, p.Addr(), size)
		}
		cancel()
		if res := <-result; len(res.Findings) > 0 {
			b.Fatalf("findings: %v", res.Findings)
		}
	})
}

// TestInterruptCutsWithoutBlame: a watch stopped while a client is in the middle of a request
// returns, says it was interrupted, and blames no one for the request it cut.
func TestInterruptCutsWithoutBlame(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b := make([]byte, 3)
		io.ReadFull(c, b)
		got <- b
		io.Copy(io.Discard, c)
	}()
	p, err := watch.Listen(watch.Config{Listen: "127.0.0.1:0", To: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan *watch.Result, 1)
	go func() { result <- p.Run(ctx) }()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatalf("the server got % x", b)
	}
	cancel()
	res := <-result
	if !res.Interrupted || len(res.Findings) > 0 || res.Connections != 1 {
		t.Errorf("interrupted %v, %d connections, findings %v: want an interrupted watch of 1 connection that blames no one", res.Interrupted, res.Connections, res.Findings)
	}
}
