// Package servertest starts a reference FBP server on a loopback port for tests.
package servertest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server"
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
