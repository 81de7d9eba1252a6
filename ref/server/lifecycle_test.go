package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// signalStore tells when an upload has begun, that is, when the server is in the middle of a
// BACKUP.
type signalStore struct {
	*storage.FS
	created chan struct{}
}

func (s *signalStore) Create(user uint32, name string, size int64) (storage.Upload, error) {
	up, err := s.FS.Create(user, name, size)
	s.created <- struct{}{}
	return up, err
}

func startWithSignal(t *testing.T, cfg server.Config) (*servertest.Running, *signalStore, string) {
	t.Helper()
	fsys, dir := servertest.OpenFS(t, storage.Options{})
	store := &signalStore{FS: fsys, created: make(chan struct{}, 16)}
	cfg.Store = store
	return servertest.Start(t, cfg), store, dir
}

// beginUpload sends a BACKUP header and half its payload, and waits until the server has
// started storing it.
func beginUpload(t *testing.T, addr string, store *signalStore, user uint32, payload []byte) net.Conn {
	t.Helper()
	if len(store.created) > 0 {
		t.Fatal("an earlier upload was not waited for")
	}
	c := dial(t, addr)
	full := enc(backupReq(user, "f", payload))
	head := len(full) - len(payload)
	send(t, c, full[:head+len(payload)/2])
	receive(t, store.created, "the server never began the upload")
	return c
}

// receive waits for a value on ch, for at most testTimeout: a server that never gets there
// fails the test instead of hanging it.
func receive[T any](t testing.TB, ch <-chan T, never string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
	}
	t.Fatal(never)
	var zero T
	return zero
}

func TestShutdownLetsRequestsFinish(t *testing.T) {
	srv, store, dir := startWithSignal(t, server.Config{})
	payload := bytes.Repeat([]byte("in flight "), 10000)
	c := beginUpload(t, srv.Addr, store, 1, payload)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		done <- srv.Server.Shutdown(ctx)
	}()
	// New connections are refused once the listener is closed.
	eventually(t, func() error {
		c, err := net.Dial("tcp", srv.Addr)
		if err == nil {
			c.Close()
			return errors.New("still accepting after Shutdown")
		}
		return nil
	})
	send(t, c, payload[len(payload)/2:])
	// The request in flight is answered, then the connection closes instead of waiting for more.
	wantClosed(t, "BACKUP in flight", c, respBytes(wire.StatusOK, "f", nil))
	if err := receive(t, done, "Shutdown never returned"); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wantTree(t, "after shutdown", dir, map[string]string{"1": "<dir>", "1/f": string(payload)})
}

func TestShutdownClosesIdleConnections(t *testing.T) {
	srv := servertest.Start(t, server.Config{IdleTimeout: time.Hour})
	c := dial(t, srv.Addr)
	send(t, c, enc(listReq(1)))
	wantResp(t, "LIST", readResponse(t, c), wire.StatusNoFiles, "", nil)
	// An idle connection must not hold Shutdown until its idle timeout.
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := srv.Server.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wantClosed(t, "idle connection", c, nil)
}

// When the grace period ends, uploads in flight are cut: the previous version stays and no
// temporary file is left.
func TestShutdownGraceExpires(t *testing.T) {
	srv, store, dir := startWithSignal(t, server.Config{ReadTimeout: time.Hour})
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(1, "f", []byte("previous"))), wire.StatusOK, "f", nil)
	receive(t, store.created, "the setup BACKUP was answered without storing its file")
	c := beginUpload(t, srv.Addr, store, 1, make([]byte, 1<<20))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Server.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want the context's error", err)
	}
	wantClosed(t, "cut upload", c, nil)
	wantTree(t, "after shutdown", dir, map[string]string{"1": "<dir>", "1/f": "previous"})
}

func TestServeAfterShutdown(t *testing.T) {
	srv, err := server.New(server.Config{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("listener still open")
	}
}

// Beyond MaxConns, a new client waits until a connection ends, then is served.
func TestMaxConns(t *testing.T) {
	srv := servertest.Start(t, server.Config{MaxConns: 1})
	first := dial(t, srv.Addr)
	send(t, first, enc(listReq(1)))
	wantResp(t, "first LIST", readResponse(t, first), wire.StatusNoFiles, "", nil)

	second := dial(t, srv.Addr)
	send(t, second, enc(listReq(2)))
	second.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var b [1]byte
	if n, err := second.Read(b[:]); n != 0 || !isTimeout(err) {
		t.Fatalf("second client over MaxConns: read %d bytes, %v; want no answer yet", n, err)
	}
	first.Close()
	second.SetReadDeadline(time.Now().Add(testTimeout))
	wantResp(t, "second LIST", readResponse(t, second), wire.StatusNoFiles, "", nil)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ServeConn serves an in-memory connection, for fuzzing the handler without sockets.
func TestServeConnOverPipe(t *testing.T) {
	root := t.TempDir()
	srv, err := server.New(server.Config{Root: root, ReadTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	client, end := net.Pipe()
	served := make(chan struct{})
	go func() { srv.ServeConn(end); close(served) }()
	client.SetDeadline(time.Now().Add(testTimeout))
	big := bytes.Repeat([]byte("pipe"), 20000) // over the size a response header shares a write with
	for _, step := range []struct {
		req  wire.Request
		want []byte
	}{
		{backupReq(9, "p", big), respBytes(wire.StatusOK, "p", nil)},
		{restoreReq(9, "p"), respBytes(wire.StatusRestored, "p", big)},
		{backupReq(9, "../p", []byte("x")), respBytes(wire.StatusServerError, "", nil)},
		{deleteReq(9, "p"), respBytes(wire.StatusOK, "p", nil)},
		{listReq(9), respBytes(wire.StatusNoFiles, "", nil)},
	} {
		send(t, client, enc(step.req))
		if got := readResponse(t, client); !bytes.Equal(got, step.want) {
			t.Fatalf("%v over a pipe:\n got %q\nwant %q", step.req.Op, clip(got), clip(step.want))
		}
	}
	client.Close()
	receive(t, served, "ServeConn never returned after its client closed")
}

// syncBuffer is a bytes.Buffer that handlers may write to at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// One structured line per request, with its user, op, name, status, bytes and duration, and
// never a payload byte.
func TestLogLinePerRequest(t *testing.T) {
	var logs syncBuffer
	srv := servertest.Start(t, server.Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	const marker = "PAYLOAD-MUST-NOT-BE-LOGGED"
	payload := []byte(strings.Repeat(marker, 10))
	roundTrip(t, srv.Addr, backupReq(31, "logged", payload))
	roundTrip(t, srv.Addr, restoreReq(31, "logged"))
	roundTrip(t, srv.Addr, listReq(31))
	roundTrip(t, srv.Addr, deleteReq(31, "logged"))
	c := dial(t, srv.Addr)
	full := enc(backupReq(31, "cut", payload))
	send(t, c, full[:len(full)-5])
	c.(*net.TCPConn).CloseWrite()
	wantClosed(t, "truncated BACKUP", c, nil)
	// Shutdown waits for every handler, and so for every line.
	if err := srv.Server.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	type line struct {
		Msg      string
		User     uint32
		Op, Name string
		Status   any
		Bytes    int64
		Duration *int64
	}
	want := []line{
		{"request", 31, "BACKUP", "logged", float64(212), int64(len(payload)), nil},
		{"request", 31, "RESTORE", "logged", float64(210), int64(len(payload)), nil},
		{"request", 31, "LIST", "", float64(211), int64(len("logged\n")), nil},
		{"request", 31, "DELETE", "logged", float64(212), 0, nil},
		{"request", 31, "BACKUP", "cut", "none", int64(len(payload) - 5), nil},
	}
	text := logs.buf.String()
	if strings.Contains(text, marker) {
		t.Fatalf("payload bytes in the log:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(want), text)
	}
	// Each line is written once its response is sent, so lines of requests from different
	// connections may come in either order.
	for i, l := range lines {
		var got line
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, l)
		}
		if got.Duration == nil {
			t.Errorf("line %d has no duration: %s", i, l)
		}
		got.Duration = nil
		j := slices.Index(want, got)
		if j < 0 {
			t.Errorf("unexpected line %d: %+v\n%s", i, got, l)
			continue
		}
		want = slices.Delete(want, j, j+1)
	}
	for _, w := range want {
		t.Errorf("no line %+v", w)
	}
}
