// Command refserver runs the reference FBP server.
//
//	refserver [-addr 127.0.0.1:1234] [-root ./backupsvr] [flags]
//	refserver version
//
// It logs a startup line saying where it listens and stores, then one line per request. On
// SIGINT or SIGTERM it stops accepting and lets requests in progress finish within
// -shutdown-grace. Exit status: 0 stopped by a signal, 1 the server could not start or failed,
// 2 usage error.
package main

import (
	"context"
	"errors"
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

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit codes, as for the other commands of the toolkit.
const (
	exitOK      = 0
	exitFailure = 1 // the server could not start, or failed
	exitUsage   = 2
)

const usage = `usage: refserver [-addr host:port] [-root folder] [flags]

The reference FBP server: it stores user N's files in the folder -root/N, logs a startup line
saying where it listens and stores, then one line per request, on stderr (request lines are
written out together, within 20ms). On SIGINT or SIGTERM it stops accepting and lets requests
in progress finish within -shutdown-grace.
Sizes take units, as conform's do: 1000000, 64KiB, 512MiB, 1GiB (K, M, G, T: powers of 1024).
refserver version (or -version) prints the version of this build.
Exit status: 0 stopped by a signal, 1 the server could not start or failed, 2 usage error.
`

// options is a command line the server can start with.
type options struct {
	cfg       server.Config
	addr      string
	root      string
	logFormat string
	grace     time.Duration
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "version" || args[0] == "-version" || args[0] == "--version") {
		fmt.Fprintln(stdout, cliargs.Version("refserver"))
		return exitOK
	}
	o, cmd, err := parseFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	if err := serve(o, stderr); err != nil {
		fmt.Fprintln(stderr, "refserver:", err)
		return exitFailure
	}
	return exitOK
}

func parseFlags(args []string) (*options, *cliargs.Command, error) {
	cmd := cliargs.New("refserver", usage)
	fl := cmd.Flags
	o := &options{}
	maxSize := cliargs.Size{N: wire.DefaultMaxPayload, Max: cliargs.MaxSizeField}
	minRate := cliargs.Size{N: server.DefaultMinRate, Max: 1 << 40}
	quota := cliargs.Size{N: storage.DefaultQuota, Max: 1 << 60}
	reserve := cliargs.Size{N: storage.DefaultReserve, Max: 1 << 60}
	fl.Var(&maxSize, "max-size", "largest file accepted, the `size` conform -max-size is told (e.g. 512MiB, 1GiB; at most 4GiB-1)")
	fl.Var(&minRate, "min-rate", "slowest a payload may move, per second, either way: each `size`×timeout bytes within the read (write) timeout")
	fl.Var(&quota, "quota", "the `size` of the files one user may store in all (e.g. 512MiB)")
	fl.Var(&reserve, "reserve", "the free space, a `size`, a backup must leave on the disk")
	fl.StringVar(&o.addr, "addr", "127.0.0.1:1234", "`host:port` to listen on (:1234 for every interface, port 0 for a free one)")
	fl.StringVar(&o.root, "root", "backupsvr", "storage `folder`, created if missing")
	c := &o.cfg
	fl.IntVar(&c.Limits.MaxName, "max-name", wire.DefaultMaxName, "longest filename accepted, in bytes")
	fl.IntVar(&c.MaxFiles, "max-files", storage.DefaultMaxFiles, "files one user may store")
	fl.DurationVar(&c.ReadTimeout, "read-timeout", server.DefaultReadTimeout, "bound on each read of a request header, and on each window of a payload")
	fl.DurationVar(&c.HeaderTimeout, "header-timeout", server.DefaultHeaderTimeout, "bound on a whole request header")
	fl.DurationVar(&c.IdleTimeout, "idle-timeout", server.DefaultIdleTimeout, "wait for a further request on a kept connection")
	fl.DurationVar(&c.WriteTimeout, "write-timeout", server.DefaultWriteTimeout, "bound on each write of a response header, and on each window of a payload")
	fl.IntVar(&c.MaxConns, "max-conns", server.DefaultMaxConns, "connections served at once; more wait to be accepted")
	fl.BoolVar(&c.OneRequest, "one-request", false, "close each connection after its first response, for clients that read until the server closes")
	fl.DurationVar(&o.grace, "shutdown-grace", 10*time.Second, "on SIGINT/SIGTERM, how long requests in progress may take to finish")
	// conform's -grace is another thing: how long it watches for bytes after a response.
	cmd.Rename("grace", "shutdown-grace")
	fl.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	pos, err := cmd.Parse(args)
	if err != nil {
		return nil, cmd, err
	}
	if len(pos) > 0 {
		return nil, cmd, cliargs.Usagef("unexpected arguments %q: refserver takes flags only", pos)
	}
	if err := cliargs.CheckAddr("addr", o.addr); err != nil {
		return nil, cmd, err
	}
	if o.root == "" {
		return nil, cmd, cliargs.Usagef("-root is empty: want the storage folder")
	}
	if c.Limits.MaxName < 1 || c.Limits.MaxName > wire.MaxNameField {
		return nil, cmd, cliargs.Usagef("-max-name %d: want 1 to %d", c.Limits.MaxName, wire.MaxNameField)
	}
	if c.MaxFiles < 1 || c.MaxConns < 1 {
		return nil, cmd, cliargs.Usagef("-max-files and -max-conns must be positive")
	}
	if c.ReadTimeout <= 0 || c.HeaderTimeout <= 0 || c.IdleTimeout <= 0 || c.WriteTimeout <= 0 || o.grace <= 0 {
		return nil, cmd, cliargs.Usagef("timeouts and -shutdown-grace must be positive")
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return nil, cmd, cliargs.Usagef("-log-format %q: want text or json", o.logFormat)
	}
	c.Limits.MaxPayload = uint32(maxSize.N)
	c.MinRate, c.Quota, c.Reserve = minRate.N, quota.N, reserve.N
	return o, cmd, nil
}

// serve runs the server until a signal stops it.
func serve(o *options, stderr io.Writer) error {
	lw := newLogWriter(stderr)
	defer lw.Flush()
	var handler slog.Handler = slog.NewTextHandler(lw, nil)
	if o.logFormat == "json" {
		handler = slog.NewJSONHandler(lw, nil)
	}
	log := slog.New(handler)
	slog.SetDefault(log)

	absRoot, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	cfg := o.cfg
	cfg.Root, cfg.Logger = absRoot, log
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	checkDescriptors(log, cfg.MaxConns)
	// Every read and write of a connection has a deadline, so TCP keepalive probes would find
	// nothing the deadlines do not; Go's default turns them on at the cost of four setsockopt
	// calls per accepted connection, one connection per request for most clients.
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", o.addr)
	if err != nil {
		shutdownNow(srv)
		return err
	}
	// Signals are caught before the startup line, so that whoever waits for the line may stop
	// the server with one.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("refserver started", "listen", ln.Addr().String(), "root", absRoot, "one_request", cfg.OneRequest)
	lw.Flush()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		shutdownNow(srv)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal kills the process at once
	log.Info("refserver shutting down", "grace", o.grace)
	lw.Flush()
	sctx, cancel := context.WithTimeout(context.Background(), o.grace)
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
