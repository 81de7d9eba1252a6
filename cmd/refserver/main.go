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

	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/storage"
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
	maxSize := cliargs.Size{N: wire.DefaultMaxPayload, Max: cliargs.MaxSizeField}
	minRate := cliargs.Size{N: server.DefaultMinRate, Max: 1 << 40}
	quota := cliargs.Size{N: storage.DefaultQuota, Max: 1 << 60}
	reserve := cliargs.Size{N: storage.DefaultReserve, Max: 1 << 60}
	fl.Var(&maxSize, "max-size", "largest file accepted (e.g. 1GiB; at most 4GiB-1)")
	fl.Var(&minRate, "min-rate", "slowest a payload may move, per second, either way: each `size`×timeout bytes within the read (write) timeout")
	fl.Var(&quota, "quota", "bytes one user may store (e.g. 512MiB)")
	fl.Var(&reserve, "reserve", "free space a backup must leave on the disk")
	var (
		addr          = fl.String("addr", "127.0.0.1:1234", "`host:port` to listen on")
		root          = fl.String("root", "backupsvr", "storage `folder`, created if missing")
		maxName       = fl.Int("max-name", wire.DefaultMaxName, "longest filename accepted, in bytes")
		maxFiles      = fl.Int("max-files", storage.DefaultMaxFiles, "files one user may store")
		readTimeout   = fl.Duration("read-timeout", server.DefaultReadTimeout, "bound on each read of a request header, and on each window of a payload")
		headerTimeout = fl.Duration("header-timeout", server.DefaultHeaderTimeout, "bound on a whole request header")
		idleTimeout   = fl.Duration("idle-timeout", server.DefaultIdleTimeout, "wait for a further request on a kept connection")
		writeTimeout  = fl.Duration("write-timeout", server.DefaultWriteTimeout, "bound on each write of a response header, and on each window of a payload")
		maxConns      = fl.Int("max-conns", server.DefaultMaxConns, "connections served at once; more wait to be accepted")
		oneRequest    = fl.Bool("one-request", false, "close each connection after its first response, for clients that read until the server closes")
		grace         = fl.Duration("grace", 10*time.Second, "on SIGINT/SIGTERM, how long requests in progress may take to finish")
		logFormat     = fl.String("log-format", "text", "log format: text or json")
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
	if *maxName < 1 || *maxName > wire.MaxNameField {
		return usagef("-max-name %d: want 1 to %d", *maxName, wire.MaxNameField)
	}
	if *maxFiles < 1 || *maxConns < 1 {
		return usagef("-max-files and -max-conns must be positive")
	}
	if *readTimeout <= 0 || *headerTimeout <= 0 || *idleTimeout <= 0 || *writeTimeout <= 0 || *grace <= 0 {
		return usagef("timeouts and -grace must be positive")
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
		Root:          absRoot,
		Limits:        wire.Limits{MaxName: *maxName, MaxPayload: uint32(maxSize.N)},
		ReadTimeout:   *readTimeout,
		HeaderTimeout: *headerTimeout,
		IdleTimeout:   *idleTimeout,
		WriteTimeout:  *writeTimeout,
		MinRate:       minRate.N,
		MaxConns:      *maxConns,
		OneRequest:    *oneRequest,
		MaxFiles:      *maxFiles,
		Quota:         quota.N,
		Reserve:       reserve.N,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	checkDescriptors(log, *maxConns)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		shutdownNow(srv)
		return err
	}
	// Signals are caught before the startup line, so that whoever waits for the line may stop
	// the server with one.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("refserver started", "listen", ln.Addr().String(), "root", absRoot, "one_request", *oneRequest)
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
