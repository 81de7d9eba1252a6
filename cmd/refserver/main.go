// Command refserver runs the reference FBP server.
//
//	refserver [-addr 127.0.0.1:1234] [-root ./backupsvr] [flags]
//
// It logs a startup line saying where it listens and stores, then one line per request. On
// SIGINT or SIGTERM it stops accepting and lets requests in progress finish within -grace.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/wire"
)

func main() {
	err := run(os.Args[1:], os.Stderr)
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &usage):
		// The flag package has already printed what was wrong with a flag it parsed.
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "refserver:", err)
		os.Exit(1)
	}
}

// usageError is a command line the server cannot start with: exit status 2, as for the other
// commands of the toolkit.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func run(args []string, stderr io.Writer) error {
	fl := flag.NewFlagSet("refserver", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var (
		addr         = fl.String("addr", "127.0.0.1:1234", "`host:port` to listen on")
		root         = fl.String("root", "backupsvr", "storage `folder`, created if missing")
		maxName      = fl.Int("max-name", wire.DefaultMaxName, "longest filename accepted, in bytes")
		maxSize      = fl.Uint64("max-size", wire.DefaultMaxPayload, "largest file accepted, in bytes (at most 4294967295)")
		readTimeout  = fl.Duration("read-timeout", server.DefaultReadTimeout, "bound on each read of a request")
		idleTimeout  = fl.Duration("idle-timeout", server.DefaultIdleTimeout, "wait for a further request on a kept connection")
		writeTimeout = fl.Duration("write-timeout", server.DefaultWriteTimeout, "bound on each write of a response")
		maxConns     = fl.Int("max-conns", server.DefaultMaxConns, "connections served at once; more wait to be accepted")
		grace        = fl.Duration("grace", 10*time.Second, "on SIGINT/SIGTERM, how long requests in progress may take to finish")
		logFormat    = fl.String("log-format", "text", "log format: text or json")
	)
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fl.NArg() > 0 {
		return usagef("unexpected argument %q", fl.Arg(0))
	}
	if *maxSize == 0 || *maxSize > wire.DefaultMaxPayload {
		return usagef("-max-size %d: want 1 to %d", *maxSize, uint64(wire.DefaultMaxPayload))
	}
	if *maxName < 1 || *maxName > wire.MaxNameField {
		return usagef("-max-name %d: want 1 to %d", *maxName, wire.MaxNameField)
	}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(stderr, nil)
	default:
		return usagef("-log-format %q: want text or json", *logFormat)
	}
	log := slog.New(handler)
	slog.SetDefault(log)

	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		Root:         absRoot,
		Limits:       wire.Limits{MaxName: *maxName, MaxPayload: uint32(*maxSize)},
		ReadTimeout:  *readTimeout,
		IdleTimeout:  *idleTimeout,
		WriteTimeout: *writeTimeout,
		MaxConns:     *maxConns,
		Logger:       log,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		shutdownNow(srv)
		return err
	}
	// Signals are caught before the startup line, so that whoever waits for the line may stop
	// the server with one.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("refserver started", "listen", ln.Addr().String(), "root", absRoot)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		shutdownNow(srv)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process at once
	log.Info("refserver shutting down", "grace", *grace)
	sctx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, server.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("refserver stopped")
	return nil
}

func shutdownNow(srv *server.Server) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv.Shutdown(ctx)
}
