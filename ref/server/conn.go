package server

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// conn is one client connection, tracked so that Shutdown can close it while it waits for a
// request (idle) and leave it alone while it serves one.
type conn struct {
	nc   net.Conn
	mu   sync.Mutex
	idle bool
}

func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle {
		c.nc.Close()
	}
}

func (c *conn) setIdle(idle bool) {
	c.mu.Lock()
	c.idle = idle
	c.mu.Unlock()
}

func (s *Server) serve(nc net.Conn) {
	c := &conn{nc: nc}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		nc.Close()
	}()

	st := connStates.Get().(*connState)
	defer connStates.Put(st)
	cfg := &s.cfg
	dc := st.dc
	*dc = deadlineConn{
		Conn:          nc,
		readTimeout:   cfg.ReadTimeout,
		writeTimeout:  cfg.WriteTimeout,
		headerTimeout: cfg.HeaderTimeout,
		idleTimeout:   cfg.IdleTimeout,
		in:            newWindow(cfg.MinRate, cfg.ReadTimeout),
		out:           newWindow(cfg.MinRate, cfg.WriteTimeout),
		onFirstByte:   func() { c.setIdle(false) },
	}
	h := handler{
		s:    s,
		conn: dc,
		r:    wire.NewReader(dc, cfg.Limits),
		w:    st.w,
	}
	for first := true; ; first = false {
		if !first && s.isClosing() {
			return
		}
		// Until the first byte of a request arrives the connection is idle: Shutdown may close
		// it, and a further request on a kept connection may take IdleTimeout to start.
		c.setIdle(true)
		dc.awaitRequest(first)
		if !h.serveRequest(first) {
			return
		}
	}
}

// connState is what a connection is served with that can outlive it: its deadlines and its
// response writer, whose buffer grows to hold a small file's answer, header and bytes, for one
// write. Reused from connection to connection, it spares a client that connects for each
// request, as the exercise's clients do, a buffer of the file's size for each answer.
type connState struct {
	dc *deadlineConn
	w  *wire.Writer
}

// connStates holds the states of connections that ended. A Writer keeps no state between
// responses but its buffer, which never grows past a header and wire's coalescing limit.
var connStates = sync.Pool{New: func() any {
	dc := new(deadlineConn)
	return &connState{dc: dc, w: wire.NewWriter(dc)}
}}

// handler serves the requests of one connection, one at a time.
type handler struct {
	s    *Server
	conn *deadlineConn
	r    *wire.Reader
	w    *wire.Writer
	req  wire.RequestHeader
	// user is the user of the connection's first request: a connection belongs to one user.
	// Every later request has one to compare with, since a first request whose header fails to
	// decode closes the connection.
	user uint32
}

// result is what one request came to, for the connection loop and the log line.
type result struct {
	status wire.Status // 0: no response was sent
	bytes  int64       // payload bytes received (BACKUP) or sent (RESTORE, LIST)
	cause  error       // why the request failed or was refused, if it was
	keep   bool        // the connection can carry a further request
}

// serveRequest reads, serves and logs one request. It reports whether the connection can
// carry another.
func (h *handler) serveRequest(first bool) bool {
	start := time.Now()
	// Nothing of the previous request may show in this one's log line if it is cut short.
	h.req = wire.RequestHeader{Name: h.req.Name[:0]}
	err := h.r.ReadRequestHeader(&h.req)
	if err != nil && h.r.Offset() == 0 && (err == io.EOF || !first && isTimeout(err) || h.s.isClosing()) {
		// The client closed, or let the idle wait run out, or Shutdown closed the
		// connection, between requests.
		return false
	}
	var res result
	switch {
	case err != nil:
		res = h.refuse(err)
	case !first && h.req.UserID != h.user:
		// The reference server's policy (SPEC ): a connection belongs to the user of its
		// first request. Bytes a client sends after its request, padding or extra fields, are
		// not taken as requests of whatever user they spell; the connection closes.
		res = h.respond(wire.StatusServerError, nil, 0, nil)
		res.cause, res.keep = errOtherUser, false
	default:
		h.user = h.req.UserID
		switch h.req.Op {
		case wire.OpBackup:
			res = h.backup()
		case wire.OpRestore:
			res = h.restore()
		case wire.OpDelete:
			res = h.delete()
		case wire.OpList:
			res = h.listFiles()
		}
	}
	h.logRequest(start, err, res)
	if h.s.cfg.OneRequest {
		res.keep = false
	}
	if !res.keep {
		if res.status != 0 {
			linger(h.conn.Conn)
		}
		return false
	}
	return true
}

// refuseWith answers status, with name and no payload, to a request that failed for cause.
func (h *handler) refuseWith(status wire.Status, name []byte, cause error) result {
	res := h.respond(status, name, 0, nil)
	res.cause = cause
	return res
}

// refuse answers a request whose header could not be decoded.
func (h *handler) refuse(err error) result {
	var le *wire.LimitError
	if errors.As(err, &le) || errors.Is(err, wire.ErrUnknownOp) {
		// a size over the limit is refused before any of the payload is read; a name
		// over the limit is refused at name_len, so there is no name to echo in a 1001 and
		// RESTORE and DELETE get 1003 too (R-5.1 allows it).: an unknown op is 1003.
		// Either way what follows on the stream cannot be decoded, so the connection closes.
		res := h.respond(wire.StatusServerError, nil, 0, nil)
		res.cause, res.keep = err, false
		return res
	}
	// a truncated or stalled request is owed no answer.
	return result{cause: err}
}

func (h *handler) backup() result {
	name := h.req.Name
	h.conn.beginPayload()
	if err := wire.CheckName(name, h.s.cfg.Limits.MaxName); err != nil {
		// never stored. The size is within the limit, so the payload is read and
		// dropped, at the minimum rate, which keeps the connection usable.
		return h.drainThenRefuse(err)
	}
	up, err := h.s.store.Create(h.req.UserID, string(name), int64(h.req.Size))
	if err != nil {
		// Over a limit (files, quota, free space), a non-regular file in the way, or a
		// failing store: 1003 before any payload byte is read, then close, since the
		// payload is still on the stream.
		res := h.respond(wire.StatusServerError, nil, 0, nil)
		res.cause, res.keep = err, false
		return res
	}
	n, err := io.Copy(payloadSink{conn: h.conn, dst: up}, h.r.Payload())
	if err != nil {
		// The previous version stays; the partial one goes.
		if aerr := up.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		if isPeerFailure(err) {
			return result{bytes: n, cause: err}
		}
		// The store failed: the rest of the payload is still on the stream, so the
		// connection closes after the answer.
		res := h.respond(wire.StatusServerError, nil, 0, nil)
		res.bytes, res.cause, res.keep = n, err, false
		return res
	}
	if err := up.Commit(); err != nil {
		res := h.respond(wire.StatusServerError, nil, 0, nil)
		res.bytes, res.cause = n, err
		return res
	}
	res := h.respond(wire.StatusOK, name, 0, nil)
	res.bytes = n
	return res
}

// drainThenRefuse reads the rest of a BACKUP payload that will not be stored and answers 1003.
func (h *handler) drainThenRefuse(cause error) result {
	n, err := io.Copy(io.Discard, h.r.Payload())
	if err != nil {
		return result{bytes: n, cause: errors.Join(cause, err)}
	}
	res := h.respond(wire.StatusServerError, nil, 0, nil)
	res.bytes, res.cause = n, cause
	return res
}

func (h *handler) restore() result {
	name := h.req.Name
	if err := wire.CheckName(name, h.s.cfg.Limits.MaxName); err != nil {
		return h.refuseWith(wire.StatusNotExist, name, err)
	}
	f, size, err := h.s.store.Open(h.req.UserID, string(name))
	switch {
	case errors.Is(err, storage.ErrNotExist), errors.Is(err, storage.ErrNotRegular):
		// A FIFO, a device or a folder under the name is no file of the user's.
		return h.refuseWith(wire.StatusNotExist, name, err)
	case err == nil && size > math.MaxUint32:
		f.Close()
		err = errors.New("stored file too large for the size field")
	}
	if err != nil {
		return h.refuseWith(wire.StatusServerError, nil, err)
	}
	defer f.Close()
	res := h.respond(wire.StatusRestored, name, uint32(size), f)
	res.bytes = size
	return res
}

func (h *handler) delete() result {
	name := h.req.Name
	if err := wire.CheckName(name, h.s.cfg.Limits.MaxName); err != nil {
		return h.refuseWith(wire.StatusNotExist, name, err)
	}
	err := h.s.store.Delete(h.req.UserID, string(name))
	switch {
	case errors.Is(err, storage.ErrNotExist), errors.Is(err, storage.ErrNotRegular):
		return h.refuseWith(wire.StatusNotExist, name, err)
	case err != nil:
		return h.refuseWith(wire.StatusServerError, nil, err)
	}
	return h.respond(wire.StatusOK, name, 0, nil)
}

func (h *handler) listFiles() result {
	// one name per line, under a fresh random name. The store hands over a snapshot
	// whose size is known before a name is sent, and which is streamed: a LIST costs the same
	// memory for ten names as for ten thousand.
	listing, size, err := h.s.store.List(h.req.UserID)
	if err == nil && size > math.MaxUint32 {
		listing.Close()
		err = errors.New("listing too large for the size field")
	}
	if err != nil {
		return h.refuseWith(wire.StatusServerError, nil, err)
	}
	if size == 0 {
		return h.respond(wire.StatusNoFiles, nil, 0, nil)
	}
	defer listing.Close()
	res := h.respond(wire.StatusListed, listingName(), uint32(size), listing)
	res.bytes = size
	return res
}

// respond writes a response. The result keeps the connection unless the write failed.
func (h *handler) respond(status wire.Status, name []byte, size uint32, payload io.Reader) result {
	rh := wire.ResponseHeader{Version: wire.Version, Status: status, Name: name, Size: size}
	if err := h.w.WriteResponse(&rh, payload); err != nil {
		return result{status: status, cause: err}
	}
	return result{status: status, keep: true}
}

const listingAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ListingNameLen is the length of the random name a LIST response carries.
const ListingNameLen = 32

// listingName returns ListingNameLen characters drawn uniformly from [A-Za-z0-9] with
// crypto/rand: bytes of 248 and above are dropped so that each of the 62 letters is equally
// likely (248 = 4 × 62).
func listingName() []byte {
	name := make([]byte, 0, ListingNameLen)
	var buf [ListingNameLen + ListingNameLen/2]byte
	for len(name) < ListingNameLen {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < 248 && len(name) < ListingNameLen {
				name = append(name, listingAlphabet[b%62])
			}
		}
	}
	return name
}

func (h *handler) logRequest(start time.Time, headerErr error, res result) {
	level := slog.LevelInfo
	if res.status == 0 {
		level = slog.LevelWarn
	}
	ctx := context.Background()
	if !h.s.log.Enabled(ctx, level) {
		return
	}
	end := time.Now()
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("remote", h.conn.RemoteAddr().String()))
	// A header cut short logs only the fields that arrived whole.
	read := h.r.Offset()
	if headerErr == nil || read >= 4 {
		attrs = append(attrs, slog.Uint64("user", uint64(h.req.UserID)))
	}
	if headerErr == nil || read >= wire.RequestPrefixLen {
		attrs = append(attrs, slog.String("op", h.req.Op.String()))
	}
	if len(h.req.Name) > 0 && (headerErr == nil || read >= int64(wire.RequestPrefixLen+2+len(h.req.Name))) {
		attrs = append(attrs, slog.String("name", string(h.req.Name)))
	}
	if res.status != 0 {
		attrs = append(attrs, slog.Int("status", int(res.status)))
	} else {
		attrs = append(attrs, slog.String("status", "none"))
	}
	attrs = append(attrs,
		slog.Int64("bytes", res.bytes),
		slog.Duration("duration", end.Sub(start)),
	)
	if res.cause != nil {
		attrs = append(attrs, slog.String("err", res.cause.Error()))
	}
	// The record goes to the handler with no caller's PC: Logger.LogAttrs would walk the stack
	// for one at every request, a sixth of the line's cost, to name this function.
	r := slog.NewRecord(end, level, "request", 0)
	r.AddAttrs(attrs...)
	h.s.log.Handler().Handle(ctx, r)
}

// errOtherUser is why a request for another user than the connection's is refused.
var errOtherUser = errors.New("a request for another user than the connection's first: refused, and the connection closed")

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}

// isPeerFailure reports whether a payload copy failed on the client's side (closed, reset,
// stalled) rather than the store's: only a store failure is owed an answer.
func isPeerFailure(err error) bool {
	var ne *net.OpError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe) || errors.As(err, &ne)
}
