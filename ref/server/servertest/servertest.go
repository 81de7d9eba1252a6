// Package servertest starts a reference FBP server on a loopback port for tests, and opens and
// inspects the storage folders such a server serves.
package servertest

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/storage"
)

// shutdownGrace bounds how long a test's cleanup waits for requests still in progress.
const shutdownGrace = 5 * time.Second

// Running is a server started by Start.
type Running struct {
	Addr   string // host:port it listens on, on 127.0.0.1
	Root   string // its storage folder ("" if cfg.Store was given and cfg.Root was empty)
	Server *server.Server
}

// Start listens on 127.0.0.1:0 and serves cfg there until the test ends. An empty cfg.Root
// (with no cfg.Store) becomes a fresh t.TempDir(). At cleanup the server shuts down and Start
// fails the test if Serve ended with anything but server.ErrServerClosed or the shutdown did
// not finish within its grace period.
func Start(t testing.TB, cfg server.Config) *Running {
	t.Helper()
	if cfg.Root == "" && cfg.Store == nil {
		cfg.Root = t.TempDir()
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("servertest: new server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("servertest: listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("servertest: shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("servertest: serve: %v", err)
		}
	})
	return &Running{Addr: ln.Addr().String(), Root: cfg.Root, Server: srv}
}

// OpenFS opens a storage.FS with opt over dir, a folder "root" that does not exist yet in a
// fresh t.TempDir(), and closes it when the test ends.
func OpenFS(t testing.TB, opt storage.Options) (fsys *storage.FS, dir string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "root")
	fsys, err := storage.OpenFS(dir, opt)
	if err != nil {
		t.Fatalf("servertest: OpenFS: %v", err)
	}
	t.Cleanup(func() { fsys.Close() })
	return fsys, dir
}

// Entries lists the names in dir, sorted.
func Entries(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
