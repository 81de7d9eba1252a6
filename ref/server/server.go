package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// Defaults for the zero fields of Config. They are chosen so that slow or stalled clients
// cannot starve the others: a connection costs the server a goroutine and a few KiB until its
// header deadline, so thousands of stalled ones are cheap, and a payload must keep a rate that
// any real link exceeds.
const (
	DefaultReadTimeout   = 30 * time.Second
	DefaultHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
	DefaultWriteTimeout  = 30 * time.Second
	// DefaultMinRate is 8 KiB/s: 64 kbit/s, under any link a backup would be sent over.
	DefaultMinRate  = 8 << 10
	DefaultMaxConns = 4096
)

// lingerTimeout bounds how long a connection closed after an error answer keeps reading (and
// discarding) what the client was still sending, so that the answer is not lost to a reset.
const lingerTimeout = 500 * time.Millisecond

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("fbp server closed")

// Config sets up a Server. Zero fields take the defaults given with them.
type Config struct {
	// Root is the storage folder, created if missing. Used only when Store is nil.
	Root string
	// Store holds the files; nil means storage.OpenFS(Root), which New opens and Shutdown closes.
	Store storage.Store
	// Limits bounds filename length and payload size (zero fields: wire.DefaultLimits).
	Limits wire.Limits
	// ReadTimeout bounds each read of a request header, and each window of a payload (see
	// MinRate) (default DefaultReadTimeout).
	ReadTimeout time.Duration
	// HeaderTimeout bounds a whole request header: from the connection's start for its first
	// request, from the first byte of a further one (default DefaultHeaderTimeout).
	HeaderTimeout time.Duration
	// IdleTimeout bounds the wait for a further request on a kept connection (default
	// DefaultIdleTimeout).
	IdleTimeout time.Duration
	// WriteTimeout bounds each write of a response header, and each window of a payload sent
	// (default DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MinRate is the slowest a payload may move, in bytes per second, either way: each
	// MinRate×ReadTimeout bytes of a BACKUP payload, stored or refused and drained, must
	// arrive within ReadTimeout, and each MinRate×WriteTimeout bytes of a RESTORE or LIST
	// payload must leave within WriteTimeout (default DefaultMinRate).
	MinRate int64
	// MaxConns bounds the connections Serve serves at once (default DefaultMaxConns). Beyond
	// it Serve stops accepting: new clients wait in the listener's backlog until a connection
	// ends. Connections handed to ServeConn directly are not counted. Each connection takes a
	// file descriptor: the process's limit (RLIMIT_NOFILE) must leave room for them.
	MaxConns int
	// OneRequest closes each connection after its first response, for clients that read a
	// response until the server closes (R-1.3 allows it).
	OneRequest bool
	// MaxFiles, Quota and Reserve are the limits of the store New opens on Root (see
	// storage.Options; zero fields take the defaults there). They are not used with Store.
	MaxFiles int
	Quota    int64
	Reserve  int64
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
}

// Server is an FBP server. Its methods are safe for concurrent use.
type Server struct {
	cfg       Config
	store     storage.Store
	ownsStore *storage.FS // closed by Shutdown
	log       *slog.Logger
	slots     chan struct{} // one per connection Serve may serve at once
	idle      chan net.Conn // to a goroutine whose connection ended (see work)

	mu        sync.Mutex
	closing   bool
	done      chan struct{} // closed when Shutdown begins
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	handlers  sync.WaitGroup
}

// New checks cfg, opens the store and returns a Server ready to Serve.
func New(cfg Config) (*Server, error) {
	if cfg.ReadTimeout < 0 || cfg.HeaderTimeout < 0 || cfg.IdleTimeout < 0 || cfg.WriteTimeout < 0 || cfg.MaxConns < 0 || cfg.MinRate < 0 {
		return nil, errors.New("server config: negative timeout, rate or connection bound")
	}
	if cfg.Limits.MaxName <= 0 {
		cfg.Limits.MaxName = wire.DefaultLimits.MaxName
	}
	if cfg.Limits.MaxName > wire.MaxNameField {
		return nil, fmt.Errorf("server config: name limit %d over the field's %d", cfg.Limits.MaxName, wire.MaxNameField)
	}
	cfg.Limits.MaxPayload = cmp.Or(cfg.Limits.MaxPayload, wire.DefaultLimits.MaxPayload)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, DefaultReadTimeout)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.WriteTimeout = cmp.Or(cfg.WriteTimeout, DefaultWriteTimeout)
	cfg.HeaderTimeout = cmp.Or(cfg.HeaderTimeout, DefaultHeaderTimeout)
	cfg.MinRate = cmp.Or(cfg.MinRate, DefaultMinRate)
	cfg.MaxConns = cmp.Or(cfg.MaxConns, DefaultMaxConns)
	s := &Server{
		cfg:       cfg,
		store:     cfg.Store,
		log:       cfg.Logger,
		slots:     make(chan struct{}, cfg.MaxConns),
		idle:      make(chan net.Conn),
		done:      make(chan struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.store == nil {
		if cfg.Root == "" {
			return nil, errors.New("server config: no Root and no Store")
		}
		fs, err := storage.OpenFS(cfg.Root, storage.Options{
			MaxFiles: cfg.MaxFiles, Quota: cfg.Quota, Reserve: cfg.Reserve, Logger: s.log,
		})
		if err != nil {
			return nil, err
		}
		s.store, s.ownsStore = fs, fs
	}
	return s, nil
}

// retryAccept reports whether an accept error passes: a timeout, or a lack of file
// descriptors or memory that connections ending will free. Serve pauses, then accepts again.
func retryAccept(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) ||
		errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// Serve accepts connections on ln and serves each in its own goroutine until Shutdown, then
// returns ErrServerClosed. It closes ln when it returns. Other accept errors are returned,
// except temporary ones, which are retried after a pause.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var pause time.Duration
	for {
		select {
		case s.slots <- struct{}{}:
		case <-s.done:
			return ErrServerClosed
		}
		c, err := ln.Accept()
		if err != nil {
			<-s.slots
			if s.isClosing() {
				return ErrServerClosed
			}
			if retryAccept(err) {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				s.log.Warn("accept", "err", err, "retry_in", pause)
				select {
				case <-time.After(pause):
				case <-s.done:
					return ErrServerClosed
				}
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		pause = 0
		if !s.start() {
			<-s.slots
			c.Close()
			return ErrServerClosed
		}
		select {
		case s.idle <- c:
		default:
			go s.work(c)
		}
	}
}

// workerIdle is how long a goroutine whose connection ended waits for another.
const workerIdle = time.Second

// work serves c, then each connection Serve hands it while it waits, up to workerIdle. Serving
// grows a goroutine's stack (the store, the log line): a client that connects for each
// request, as the exercise's clients do, would have a new goroutine grow it for each.
func (s *Server) work(c net.Conn) {
	wait := time.NewTimer(workerIdle)
	defer wait.Stop()
	for {
		s.serve(c)
		s.handlers.Done()
		<-s.slots
		wait.Reset(workerIdle)
		select {
		case c = <-s.idle:
		case <-wait.C:
			return
		case <-s.done:
			return
		}
	}
}

// ServeConn serves c until the client closes it, a request fails, or Shutdown; then it closes
// c. It works on any net.Conn that supports deadlines, net.Pipe included.
func (s *Server) ServeConn(c net.Conn) {
	if !s.start() {
		c.Close()
		return
	}
	defer s.handlers.Done()
	s.serve(c)
}

// start counts a new handler, unless the server is shutting down.
func (s *Server) start() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.handlers.Add(1)
	return true
}

func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.listeners[ln]; ok {
		delete(s.listeners, ln)
		ln.Close()
	}
}

// Shutdown stops accepting, closes connections waiting for a request (a new connection whose
// first byte has not come yet, or a kept one between requests), and waits for requests
// in progress to end. If ctx ends first, it closes every connection (an interrupted upload is
// discarded, leaving the previous version and no temporary file), waits for the handlers to
// clean up, and returns ctx's error. A store New opened is closed at the end.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	for ln := range s.listeners {
		ln.Close()
		delete(s.listeners, ln)
	}
	s.mu.Unlock()

	finished := make(chan struct{})
	go func() { s.handlers.Wait(); close(finished) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		s.closeIdle()
		select {
		case <-finished:
			break wait
		default:
		}
		select {
		case <-finished:
			break wait
		case <-tick.C:
		case <-ctx.Done():
			err = ctx.Err()
			s.closeAll()
			<-finished
			break wait
		}
	}
	s.mu.Lock()
	fs := s.ownsStore
	s.ownsStore = nil
	s.mu.Unlock()
	if fs != nil {
		if cerr := fs.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

func (s *Server) closeIdle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.closeIfIdle()
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

// linger reads and drops what c still sends, for at most lingerTimeout, after its write side
// is closed: closing a socket with unread input resets it, and the reset can destroy the answer
// before the client reads it.
func linger(c net.Conn) {
	type closeWriter interface{ CloseWrite() error }
	if cw, ok := c.(closeWriter); ok {
		if cw.CloseWrite() == nil {
			c.SetReadDeadline(time.Now().Add(lingerTimeout))
			io.Copy(io.Discard, c)
		}
	}
}
