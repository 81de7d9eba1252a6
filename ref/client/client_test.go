package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// eachConnMode runs f as a subtest of tb for each way of using connections, a connection per
// request and one kept, with a client of its own reference server.
func eachConnMode[T interface {
	testing.TB
	Run(string, func(T)) bool
}](tb T, f func(tb T, srv *servertest.Running, c *client.Client)) {
	for _, reuse := range []bool{false, true} {
		tb.Run(map[bool]string{false: "conn-per-request", true: "reused-conn"}[reuse], func(tb T) {
			srv := servertest.Start(tb, server.Config{})
			c := client.New(srv.Addr, client.Options{ReuseConn: reuse})
			defer c.Close()
			f(tb, srv, c)
		})
	}
}

// Every operation against the reference server, on a connection per request and on one kept
// connection.
func TestAgainstReferenceServer(t *testing.T) {
	eachConnMode(t, func(t *testing.T, srv *servertest.Running, c *client.Client) {
		ctx := context.Background()
		const user = 4242

		if names, err := c.List(ctx, user); !errors.Is(err, client.ErrNoFiles) || client.IsStatus(err) == false {
			t.Fatalf("first LIST: %q, %v; want ErrNoFiles", names, err)
		}
		files := map[string]string{"mmn14.pdf": "%PDF-1.6 not really", "empty": "", "notes.txt": "line\n"}
		for name, content := range files {
			if err := c.Backup(ctx, user, name, strings.NewReader(content), int64(len(content))); err != nil {
				t.Fatalf("BACKUP %s: %v", name, err)
			}
			if b, err := os.ReadFile(filepath.Join(srv.Root, "4242", name)); err != nil || string(b) != content {
				t.Fatalf("stored %s: %q, %v", name, b, err)
			}
		}
		names, err := c.List(ctx, user)
		slices.Sort(names)
		if err != nil || !slices.Equal(names, []string{"empty", "mmn14.pdf", "notes.txt"}) {
			t.Fatalf("LIST: %q, %v", names, err)
		}
		for name, content := range files {
			var buf bytes.Buffer
			n, err := c.Restore(ctx, user, name, &buf)
			if err != nil || n != int64(len(content)) || buf.String() != content {
				t.Fatalf("RESTORE %s: %d bytes %q, %v", name, n, buf.String(), err)
			}
		}
		dir := t.TempDir()
		target := filepath.Join(dir, "tmp")
		if n, err := c.RestoreFile(ctx, user, "mmn14.pdf", target); err != nil || n != int64(len(files["mmn14.pdf"])) {
			t.Fatalf("RestoreFile: %d, %v", n, err)
		}
		if b, _ := os.ReadFile(target); string(b) != files["mmn14.pdf"] {
			t.Fatalf("tmp holds %q", b)
		}
		if got := servertest.Entries(t, dir); !slices.Equal(got, []string{"tmp"}) {
			t.Fatalf("restore folder holds %q, want only tmp", got)
		}
		if err := c.Delete(ctx, user, "mmn14.pdf"); err != nil {
			t.Fatalf("DELETE: %v", err)
		}
		if _, err := c.RestoreFile(ctx, user, "mmn14.pdf", target); !errors.Is(err, client.ErrNotExist) {
			t.Fatalf("RESTORE after DELETE: %v, want ErrNotExist", err)
		}
		if b, _ := os.ReadFile(target); string(b) != files["mmn14.pdf"] {
			t.Fatalf("a failed restore changed tmp to %q", b)
		}
		if err := c.Delete(ctx, user, "mmn14.pdf"); !errors.Is(err, client.ErrNotExist) {
			t.Fatalf("second DELETE: %v, want ErrNotExist", err)
		}
		// another user sees none of it.
		if _, err := c.List(ctx, user+1); !errors.Is(err, client.ErrNoFiles) {
			t.Fatalf("other user's LIST: %v", err)
		}
		if _, err := c.Restore(ctx, user+1, "notes.txt", io.Discard); !errors.Is(err, client.ErrNotExist) {
			t.Fatalf("other user's RESTORE: %v", err)
		}
	})
}

// A name the spec forbids is refused before any connection is made.
func TestBadArgumentsSendNothing(t *testing.T) {
	p := startPeer(t, func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool { return false })
	c := client.New(p.addr, client.Options{})
	ctx := context.Background()
	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`, "a\x00", "\x1b[2J", strings.Repeat("n", 256)} {
		errs := []error{
			c.Backup(ctx, 1, name, strings.NewReader("x"), 1),
			c.Delete(ctx, 1, name),
		}
		_, err := c.Restore(ctx, 1, name, io.Discard)
		errs = append(errs, err)
		_, err = c.RestoreFile(ctx, 1, name, filepath.Join(t.TempDir(), "out"))
		errs = append(errs, err)
		for i, err := range errs {
			if !errors.Is(err, wire.ErrBadName) {
				t.Errorf("%q, call %d: %v, want wire.ErrBadName", name, i, err)
			}
		}
	}
	if err := c.Backup(ctx, 1, "big", strings.NewReader(""), 1<<32); !errors.Is(err, client.ErrTooLarge) {
		t.Errorf("backup of 4 GiB: %v, want ErrTooLarge", err)
	}
	if n := p.conns(); n != 0 {
		t.Fatalf("%d connections made for refused arguments", n)
	}
}

// A backup whose reader ends before its size, or fails, is a local failure, said as such.
func TestBackupSourceFailure(t *testing.T) {
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, r io.Reader) bool {
		io.Copy(io.Discard, r)
		send(c, raw(wire.StatusOK, string(h.Name), ""))
		return false
	})
	c := client.New(p.addr, client.Options{})
	err := c.Backup(context.Background(), 1, "a", strings.NewReader("short"), 100)
	if !errors.Is(err, wire.ErrShortPayload) || !strings.Contains(err.Error(), "shorter than its size") {
		t.Fatalf("short source: %v", err)
	}
	boom := errors.New("disk on fire")
	err = c.Backup(context.Background(), 1, "a", io.MultiReader(strings.NewReader("abc"), iotestErr{boom}), 100<<10)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "reading the file to back up") {
		t.Fatalf("failing source: %v", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// The statuses a request can get map to the errors the package documents.
func TestStatusMapping(t *testing.T) {
	answers := map[wire.Op]wire.RawResponse{}
	var mu sync.Mutex
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		mu.Lock()
		r := answers[h.Op]
		mu.Unlock()
		send(c, r)
		return false
	})
	set := func(op wire.Op, r wire.RawResponse) {
		mu.Lock()
		answers[op] = r
		mu.Unlock()
	}
	c := client.New(p.addr, client.Options{})
	ctx := context.Background()

	set(wire.OpRestore, raw(wire.StatusNotExist, "a", ""))
	_, err := c.Restore(ctx, 1, "a", io.Discard)
	var se *client.StatusError
	if !errors.Is(err, client.ErrNotExist) || errors.As(err, &se) || !client.IsStatus(err) {
		t.Errorf("1001: %v", err)
	}
	set(wire.OpList, raw(wire.StatusNoFiles, "", ""))
	if _, err := c.List(ctx, 1); !errors.Is(err, client.ErrNoFiles) || errors.As(err, &se) {
		t.Errorf("1002: %v", err)
	}
	set(wire.OpDelete, raw(wire.StatusServerError, "", ""))
	if err := c.Delete(ctx, 1, "a"); !errors.As(err, &se) || se.Status != wire.StatusServerError || se.Op != wire.OpDelete {
		t.Errorf("1003: %v", err)
	}
	// lines end in \n or \r\n, the last one may have no end.
	set(wire.OpList, raw(wire.StatusListed, listingName, "one\r\ntwo\nthree"))
	if names, err := c.List(ctx, 1); err != nil || !slices.Equal(names, []string{"one", "two", "three"}) {
		t.Errorf("listing: %q, %v", names, err)
	}
}

// With ReuseConn, requests share one connection; without it, each has its own.
func TestReuseConn(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		p := startPeer(t, func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
			return send(c, raw(wire.StatusNoFiles, "", ""))
		})
		c := client.New(p.addr, client.Options{ReuseConn: reuse})
		for range 3 {
			if _, err := c.List(context.Background(), 1); !errors.Is(err, client.ErrNoFiles) {
				t.Fatal(err)
			}
		}
		c.Close()
		want := int32(3)
		if reuse {
			want = 1
		}
		if got := p.conns(); got != want || p.reqs.Load() != 3 {
			t.Errorf("reuse %v: %d connections for %d requests, want %d", reuse, got, p.reqs.Load(), want)
		}
	}
}

// A server may close after each response: a kept connection found closed is replaced
// for a LIST or RESTORE, while a DELETE, which the server may have carried out, is not sent twice.
func TestReuseConnServerCloses(t *testing.T) {
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		switch h.Op {
		case wire.OpList:
			send(c, raw(wire.StatusNoFiles, "", ""))
		default:
			send(c, raw(wire.StatusNotExist, string(h.Name), ""))
		}
		return false
	})
	c := client.New(p.addr, client.Options{ReuseConn: true})
	defer c.Close()
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.List(ctx, 1); !errors.Is(err, client.ErrNoFiles) {
			t.Fatalf("LIST %d: %v", i, err)
		}
		if _, err := c.Restore(ctx, 1, "a", io.Discard); !errors.Is(err, client.ErrNotExist) {
			t.Fatalf("RESTORE %d: %v", i, err)
		}
	}
	if got := p.conns(); got != 6 {
		t.Errorf("%d connections, want 6", got)
	}
	// The failure is an EOF or a reset, depending on whether the peer's reset to the request
	// arrives before the client reads.
	if err := c.Delete(ctx, 1, "a"); err == nil || client.IsStatus(err) || p.reqs.Load() != 6 || p.conns() != 6 {
		t.Fatalf("DELETE on a closed kept connection: %v after %d requests on %d connections; want it reported, not sent again",
			err, p.reqs.Load(), p.conns())
	}
	if err := c.Delete(ctx, 1, "a"); !errors.Is(err, client.ErrNotExist) {
		t.Fatalf("DELETE on a new connection: %v", err)
	}
}

// Cancelling the context stops a transfer under way.
func TestCancelDuringRestore(t *testing.T) {
	p := &peer{}
	p = startPeer(t, func(c net.Conn, _ *wire.RequestHeader, _ io.Reader) bool {
		send(c, sizeLie("a", 1000, "part"))
		p.stall()
		return false
	})
	ctx, cancel := context.WithCancel(context.Background())
	meter := &recordingMeter{}
	c := client.New(p.addr, client.Options{Progress: meter.start})
	go func() {
		for meter.added() < 4 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	n, err := c.Restore(ctx, 1, "a", io.Discard)
	if !errors.Is(err, context.Canceled) || n != 4 {
		t.Fatalf("restore: %d bytes, %v; want 4 bytes then context.Canceled", n, err)
	}
	if meter.doneErr == nil || !meter.done {
		t.Fatalf("meter not told of the failure")
	}
}

// recordingMeter records what the client reports of one transfer.
type recordingMeter struct {
	mu      sync.Mutex
	op      wire.Op
	name    string
	size    int64
	n       int64
	done    bool
	doneErr error
	onAdd   func(total int64)
}

func (m *recordingMeter) start(op wire.Op, name string, size int64) client.ProgressMeter {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.op, m.name, m.size, m.n, m.done, m.doneErr = op, name, size, 0, false, nil
	return m
}

func (m *recordingMeter) Add(n int) {
	m.mu.Lock()
	m.n += int64(n)
	total, f := m.n, m.onAdd
	m.mu.Unlock()
	if f != nil {
		f(total)
	}
}

func (m *recordingMeter) Done(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done, m.doneErr = true, err
}

func (m *recordingMeter) added() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// A 256 MiB file made on the fly goes through BACKUP and RESTORE on the reference server in
// constant memory: the heap in use, sampled along the way, and all the bytes allocated stay a
// small fraction of the file.
func TestLargeTransferBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves hundreds of MiB")
	}
	const size = 256 << 20
	const bound = 32 << 20
	srv := servertest.Start(t, server.Config{})
	var peak uint64
	sample := func(total int64) {
		if total%(16<<20) < 32<<10 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	meter := &recordingMeter{onAdd: sample}
	c := client.New(srv.Addr, client.Options{Progress: meter.start})
	ctx := context.Background()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := c.Backup(ctx, 1, "big", content.Drawn(size, 1).Reader(), size); err != nil {
		t.Fatal(err)
	}
	if meter.op != wire.OpBackup || meter.n != size || !meter.done || meter.doneErr != nil {
		t.Fatalf("backup meter: %+v", meter)
	}
	h := sha256.New()
	n, err := c.Restore(ctx, 1, "big", h)
	if err != nil || n != size {
		t.Fatalf("restore: %d bytes, %v", n, err)
	}
	runtime.ReadMemStats(&after)
	if meter.op != wire.OpRestore || meter.size != size || meter.n != size || !meter.done || meter.doneErr != nil {
		t.Fatalf("restore meter: %+v", meter)
	}
	if sumOf(h) != content.Drawn(size, 1).Sum() {
		t.Fatal("restored content differs from the backup")
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB, peak heap in use %d KiB, for %d MiB each way", allocated>>10, peak>>10, size>>20)
	if peak == 0 || peak > bound || allocated > bound {
		t.Fatalf("allocated %d bytes, peak heap in use %d: want both under %d", allocated, peak, bound)
	}
}

// Requests from several goroutines take turns on the kept connection.
func TestReuseConnConcurrent(t *testing.T) {
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		return send(c, raw(wire.StatusNotExist, string(h.Name), ""))
	})
	c := client.New(p.addr, client.Options{ReuseConn: true})
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				name := string(rune('a'+g)) + string(rune('0'+i))
				if err := c.Delete(context.Background(), 1, name); !errors.Is(err, client.ErrNotExist) {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p.conns() != 1 || p.reqs.Load() != 40 {
		t.Fatalf("%d connections for %d requests, want 1 for 40", p.conns(), p.reqs.Load())
	}
}

// A restored file replacing another keeps its permissions; a new one gets 0644 less the umask.
func TestRestoreFilePermissions(t *testing.T) {
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		return send(c, raw(wire.StatusRestored, string(h.Name), "content"))
	})
	c := client.New(p.addr, client.Options{})
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, []byte("previous"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o640); err != nil {
		t.Fatal(err)
	}
	// What 0644 becomes under this process's umask.
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(probe)
	if err != nil {
		t.Fatal(err)
	}
	for path, mode := range map[string]os.FileMode{old: 0o640, filepath.Join(dir, "new"): st.Mode().Perm()} {
		if _, err := c.RestoreFile(context.Background(), 1, "f", path); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); st.Mode().Perm() != mode || string(b) != "content" {
			t.Errorf("%s: mode %v, content %q; want %v", path, st.Mode().Perm(), b, mode)
		}
	}
	if got := servertest.Entries(t, dir); !slices.Equal(got, []string{"new", "old"}) {
		t.Errorf("folder holds %q", got)
	}
}

// After a response it refuses, the client does not send another request on that connection:
// what is left of it would be read as the next answer.
func TestReuseConnDropsRefusedConnection(t *testing.T) {
	var first sync.Once
	p := startPeer(t, func(c net.Conn, h *wire.RequestHeader, _ io.Reader) bool {
		answered := false
		first.Do(func() {
			answered = send(c, raw(wire.StatusRestored, "other", "leftover payload"))
		})
		if answered {
			return true
		}
		return send(c, raw(wire.StatusNotExist, string(h.Name), ""))
	})
	c := client.New(p.addr, client.Options{ReuseConn: true})
	defer c.Close()
	var pe *client.ProtocolError
	if _, err := c.Restore(context.Background(), 1, "a", io.Discard); !errors.As(err, &pe) {
		t.Fatalf("first answer: %v, want a *ProtocolError", err)
	}
	if err := c.Delete(context.Background(), 1, "a"); !errors.Is(err, client.ErrNotExist) {
		t.Fatalf("next request: %v, want ErrNotExist on a new connection", err)
	}
	if got := p.conns(); got != 2 {
		t.Fatalf("%d connections, want 2", got)
	}
}
