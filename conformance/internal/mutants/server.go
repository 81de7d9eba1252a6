package mutants

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/ref/wire"
)

// Server is one mutant: an in-memory FBP server with a set of faults switched on.
type Server struct {
	faults map[fault]bool // read-only once New returns
	opt    Options

	// sem is the store lock. It is a channel so that a request waiting for it gives up when
	// the server closes: the deadlock-after-truncated fault never releases it.
	sem chan struct{}
	// folders maps a user's folder (the decimal user_id) to its files. Only the traversal
	// faults reach another folder, or "" (the store's root), where shared-namespace keeps
	// every file.
	folders map[string]map[string][]byte
	// listCache is the stale listing of list-stale-after-delete, by folder.
	listCache map[string][]byte
	// listIndex is list-repeats-overwritten's index of names, by folder.
	listIndex map[string][]string

	mu        sync.Mutex // guards listeners, conns, died and nameBuf
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	died      bool
	// nameBuf is truncated-name-stale-buffer's filename buffer, shared by every connection.
	nameBuf []byte
	// slots holds one token per connection serves-one-at-a-time is serving.
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	handlers  sync.WaitGroup
}

// New returns the named mutant with default options. name is a Name of All, or several
// separated by commas ("list-hangs,status-big-endian"): the server then switches on every
// fault of each.
func New(name string) (*Server, error) { return NewWithOptions(name, Options{}) }

// NewWithOptions returns the named mutant, as New does.
func NewWithOptions(name string, o Options) (*Server, error) {
	faults, err := lookup(name)
	if err != nil {
		return nil, err
	}
	o = o.withDefaults()
	return &Server{
		faults:    faults,
		opt:       o,
		sem:       make(chan struct{}, 1),
		folders:   map[string]map[string][]byte{},
		listCache: map[string][]byte{},
		listIndex: map[string][]string{},
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
		slots:     make(chan struct{}, o.MaxConcurrent),
		done:      make(chan struct{}),
	}, nil
}

// Serve accepts connections on ln until Close, when it returns ErrServerClosed, or until the
// server kills itself, when it returns ErrDied. It closes ln.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		_ = ln.Close()
		return s.stopErr()
	}
	defer s.untrack(ln)
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return s.stopErr()
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		if !s.addConn(nc) {
			_ = nc.Close()
			return s.stopErr()
		}
		if s.has(faultServesOneAtATime) {
			// Fault: a connection is not read until it gets one of MaxConcurrent slots, and keeps
			// it until it closes, however long it idles. The slots go in the order connections
			// were accepted, as in a server that accepts one when it is done with another.
			select {
			case s.slots <- struct{}{}:
			case <-s.done:
				s.handlers.Done()
				s.dropConn(nc)
				return s.stopErr()
			}
		}
		go func() {
			defer s.handlers.Done()
			defer s.dropConn(nc)
			if s.has(faultServesOneAtATime) {
				defer func() { <-s.slots }()
			}
			s.serveConn(nc)
		}()
	}
}

// Close stops the server: it closes every listener and connection and waits for the
// requests in progress to end.
func (s *Server) Close() error {
	s.shutdown()
	s.handlers.Wait()
	return nil
}

// die is the crash of the faults that kill the server: everything closes at once, from inside
// a handler, so it cannot wait for the handlers as Close does.
func (s *Server) die() {
	s.mu.Lock()
	s.died = true
	s.mu.Unlock()
	s.shutdown()
}

func (s *Server) shutdown() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		close(s.done)
		for ln := range s.listeners {
			_ = ln.Close()
		}
		for c := range s.conns {
			_ = c.Close()
		}
	})
}

func (s *Server) closed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) stopErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.died {
		return ErrDied
	}
	return ErrServerClosed
}

func (s *Server) track(ln net.Listener) bool {
	return s.admit(func() { s.listeners[ln] = struct{}{} })
}

func (s *Server) untrack(ln net.Listener) { s.forget(ln, func() { delete(s.listeners, ln) }) }

func (s *Server) addConn(c net.Conn) bool {
	return s.admit(func() {
		s.conns[c] = struct{}{}
		s.handlers.Add(1)
	})
}

func (s *Server) dropConn(c net.Conn) { s.forget(c, func() { delete(s.conns, c) }) }

// admit runs add under the lock unless the server has closed: what Close has already shut
// must not be opened again behind its back. False means it had closed.
func (s *Server) admit(add func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed() {
		return false
	}
	add()
	return true
}

// forget runs remove and closes c under the lock.
func (s *Server) forget(c io.Closer, remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	remove()
	_ = c.Close()
}

// lock takes the store lock; false means the server closed while waiting.
func (s *Server) lock() bool {
	select {
	case s.sem <- struct{}{}:
		return true
	case <-s.done:
		return false
	}
}

func (s *Server) unlock() { <-s.sem }

// secondPerRequest is how long second-per-request takes over each request.
const secondPerRequest = time.Second

// has reports whether fault f is switched on.
func (s *Server) has(f fault) bool { return s.faults[f] }

// pause waits d; false means the server closed first.
func (s *Server) pause(d time.Duration) bool { return deadline.Sleep(s.done, d) }

// deadlineReader puts a read deadline on every read of a connection and counts the reads, so
// that the server can tell a header that came in one piece from one that did not.
type deadlineReader struct {
	nc      net.Conn
	timeout time.Duration // 0: no deadline at all
	reads   int
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if d.timeout > 0 {
		if err := d.nc.SetReadDeadline(time.Now().Add(d.timeout)); err != nil {
			return 0, err
		}
	}
	d.reads++
	return d.nc.Read(p)
}

// conn is one client connection.
type conn struct {
	s   *Server
	nc  net.Conn
	in  *deadlineReader
	br  *bufio.Reader
	src io.Reader // what requests are decoded from: br, or head reading from br
	lim wire.Limits
	r   *wire.Reader
	// head records each request's first bytes, for truncated-name-stale-buffer only.
	head *headRecorder
	// frame is frames-1024's frame buffer; nil for every other server.
	frame []byte
}

const (
	// frameSize is the fixed request frame of frames-1024.
	frameSize = 1024
	// headerReadSize is payload-with-header-dropped's one read for a header.
	headerReadSize = 64 << 10
)

// errFrameCut: frames-1024 found a request longer than its frame.
var errFrameCut = errors.New("request cut at the end of its frame")

// errClosesAfter: the response just sent leaves the peer out of step, so the server closes.
var errClosesAfter = errors.New("connection closed after the response")

// httpBadRequest is what the http fault answers to anything.
const httpBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request"

func (s *Server) serveConn(nc net.Conn) {
	c := &conn{s: s, nc: nc, in: &deadlineReader{nc: nc, timeout: s.opt.ReadTimeout}}
	if s.has(faultNoReadDeadline) {
		// Fault: a stalled peer is waited for forever (R-5.3 wants the read deadline).
		c.in.timeout = 0
	}
	switch {
	case s.has(faultHTTP):
		c.answerHTTP()
		return
	case s.has(faultSilent):
		// Fault: everything is read, nothing answered, until the peer closes or stalls
		// past the read deadline.
		_, _ = io.Copy(io.Discard, c.in)
		return
	}
	c.br = bufio.NewReader(c.in)
	if s.has(faultPayloadWithHeaderDropped) || s.has(faultShortReadCloses) {
		// One read of the socket fills the whole buffer it has (see readHeader).
		c.br = bufio.NewReaderSize(c.in, headerReadSize)
	}
	lim := wire.Limits{
		// Names up to what name_len can state are read (at most 64 KiB), so that every bad
		// name, long ones included, is answered by the same check.
		MaxName:    wire.MaxNameField,
		MaxPayload: s.opt.MaxFileSize,
	}
	switch {
	case s.has(faultOversizeNotRejected):
		// Fault: no size limit at the decoder, so nothing refuses an oversize BACKUP.
		lim.MaxPayload = wire.DefaultMaxPayload
	case s.has(faultAllocatesStatedSize):
		// The limit is checked in backup, after the fault's allocation.
		lim.MaxPayload = wire.DefaultMaxPayload
	}
	if s.has(faultNameLenSigned) {
		// The decoder refuses exactly the name_len values a signed 16-bit read makes
		// negative, so that headerError sees each of them (see there).
		lim.MaxName = math.MaxInt16
	}
	c.lim, c.src = lim, c.br
	if s.has(faultStaleNameBuffer) {
		c.head = &headRecorder{r: c.br}
		c.src = c.head
	}
	c.r = wire.NewReader(c.src, lim)
	if s.has(faultFrames1024) {
		c.frame = make([]byte, frameSize)
	}
	var h wire.RequestHeader
	for {
		if s.has(faultShortReadCloses) && !c.headerInOneRead() {
			// Fault: a short first read is taken for a broken peer.
			return
		}
		var served bool
		switch err := c.readHeader(&h); {
		case errors.Is(err, errFrameCut):
			// Fault frames-1024: what the frame holds is taken for a bad request.
			served = c.send(reply{op: h.Op, status: wire.StatusServerError}) == nil
		case err != nil:
			c.headerError(err, &h)
			return
		default:
			if s.opt.OnHeader != nil {
				s.opt.OnHeader()
			}
			if s.has(faultStaleNameBuffer) {
				// The name's bytes land in the buffer every connection shares.
				s.fillNameBuf(h.Name, len(h.Name))
			}
			if s.has(faultSplitHeaderCloses) && c.in.reads > 1 {
				// Fault: a header that took more than one read is taken for a broken peer.
				return
			}
			served = c.handle(&h)
		}
		if !served {
			return
		}
		if s.has(faultCloseAfterEach) || s.has(faultDiesOnConnectClose) {
			// Allowed by: no session, one response per connection (dies-on-connect-close
			// closes so too; its fault is elsewhere).
			return
		}
	}
}

// readHeader reads the next request's header into h.
func (c *conn) readHeader(h *wire.RequestHeader) error {
	c.in.reads = 0
	if c.head != nil {
		c.head.b = c.head.b[:0]
	}
	if c.frame != nil {
		// Fault: a request is whatever the next 1024 bytes hold; the server waits for all of
		// them (R-2.1: a LIST is 6 bytes), decodes the request at their start and ignores the
		// rest, whatever it is.
		if _, err := io.ReadFull(c.src, c.frame); err != nil {
			return err
		}
		c.r = wire.NewReader(bytes.NewReader(c.frame), c.lim)
		err := c.r.ReadRequestHeader(h)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return errFrameCut
		}
		return err
	}
	if err := c.r.ReadRequestHeader(h); err != nil {
		if errors.Is(err, wire.ErrUnknownOp) && c.s.has(faultNameLenEveryOp) {
			// Fault: an op it does not know is read to a name_len too, before it is refused.
			var more [2]byte
			if _, rerr := io.ReadFull(c.src, more[:]); rerr != nil {
				return rerr
			}
		}
		return err
	}
	if h.Op == wire.OpList && (c.s.has(faultListHangs) || c.s.has(faultNameLenEveryOp)) {
		// Fault: the 6-byte LIST is taken for the start of a longer header; the server waits
		// for a name_len that never comes. A peer that leaves meanwhile has cut a
		// header short, to this server (see headerError).
		var more [2]byte
		if _, err := io.ReadFull(c.src, more[:]); err != nil {
			return err
		}
	}
	if c.s.has(faultPayloadWithHeaderDropped) {
		// Fault: the header was read with one read of the socket into a buffer (or more, had
		// it come in pieces), and whatever else that read returned goes with the buffer: the
		// payload that came with the header, the requests that came after it.
		_, _ = c.br.Discard(c.br.Buffered())
	}
	return nil
}

// headerInOneRead reads once, unless bytes are already buffered, and reports whether what is
// buffered holds a whole request header (or fills the buffer, past which it cannot tell).
func (c *conn) headerInOneRead() bool {
	if _, err := c.br.Peek(1); err != nil {
		return false
	}
	b, _ := c.br.Peek(c.br.Buffered())
	if len(b) == c.br.Size() {
		return true
	}
	need := wire.RequestPrefixLen
	if len(b) >= need {
		switch op := wire.Op(b[5]); {
		case op == wire.OpList && c.s.has(faultListHangs), !op.Known() && c.s.has(faultNameLenEveryOp), op == wire.OpList && c.s.has(faultNameLenEveryOp):
			need += 2
		case op == wire.OpBackup || op == wire.OpRestore || op == wire.OpDelete:
			need += 2
			if len(b) >= need {
				need += int(binary.LittleEndian.Uint16(b[6:8]))
			}
			if op == wire.OpBackup {
				need += 4
			}
		}
	}
	return len(b) >= need
}

// answerHTTP is the http fault's whole exchange: the first bytes of any request (or its
// close, or the read deadline) are answered as an HTTP server answers a request it cannot
// parse.
func (c *conn) answerHTTP() {
	buf := make([]byte, 4<<10)
	_, _ = c.in.Read(buf)
	_ = c.write([]byte(httpBadRequest))
	// A close with unread bytes would reset the connection and could take the answer with it
	// before the peer reads it: the server half-closes and reads until the peer closes too.
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, c.in)
}

// peerEnded reports whether err is the peer's close: at a message boundary or inside one.
func peerEnded(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// headerError answers a request whose header could not be decoded, if an answer is owed; the
// connection is closed after it in every case, for the stream is no longer at a message
// boundary. h holds what was decoded before the error.
func (c *conn) headerError(err error, h *wire.RequestHeader) {
	switch {
	case errors.Is(err, wire.ErrUnknownOp):
		switch {
		case c.s.has(faultDiesOnUnknownOp):
			// Fault: the whole server goes down.
			c.s.die()
		case c.s.has(faultUnknownOpCloses):
			// Fault: no answer at all.
		case c.s.has(faultUnknownOp1001):
			// Fault: the wrong status, with an empty filename to fill 1001's layout.
			_ = c.send(reply{status: wire.StatusNotExist})
		default:
			// unknown op: 1003.
			_ = c.send(reply{status: wire.StatusServerError})
		}
	case c.s.has(faultNameLenSigned) && errors.Is(err, wire.ErrNameTooLong):
		// Fault: name_len 32768 and up is negative as an int16, and the allocation of a
		// buffer that long (a huge size_t) takes the process down.
		c.s.die()
	case errors.Is(err, wire.ErrPayloadTooLarge), errors.Is(err, wire.ErrNameTooLong):
		// 1003 before reading the payload, then close.
		_ = c.send(reply{status: wire.StatusServerError})
	case c.s.has(faultDiesOnReset) && errors.Is(err, syscall.ECONNRESET):
		// Fault: the read error of a reset connection is not caught and takes the process
		// down (a clean close, io.EOF, is handled).
		c.s.die()
	case c.s.has(faultDiesOnTruncatedHeader) && errors.Is(err, io.ErrUnexpectedEOF):
		// Fault: a short read inside a header is taken for an impossible state and takes the
		// process down.
		c.s.die()
	case c.s.has(faultDiesOnConnectClose) && peerEnded(err):
		// Fault: a connection that ends with no whole request (none at all: a bare connect
		// and close) is taken for an impossible state and takes the process down.
		c.s.die()
	case c.s.has(faultStaleNameBuffer):
		c.goAheadWithStaleName(err, h)
	default:
		// End of stream, truncated request, deadline: no response is owed.
	}
}

// goAheadWithStaleName is truncated-name-stale-buffer's handling of a request cut inside its
// filename. Fault: the read's error is not checked, so a RESTORE or DELETE, complete once its
// name is read, goes ahead with name_len bytes of the shared buffer: the bytes received, then
// whatever an earlier request left there (R-5.3: a truncated request must change nothing).
func (c *conn) goAheadWithStaleName(err error, h *wire.RequestHeader) {
	var de *wire.Error
	if !errors.As(err, &de) || de.Field != wire.FieldFilename || !errors.Is(err, io.ErrUnexpectedEOF) ||
		(h.Op != wire.OpRestore && h.Op != wire.OpDelete) {
		return
	}
	if len(c.head.b) < nameStart {
		return
	}
	stated := int(binary.LittleEndian.Uint16(c.head.b[wire.RequestPrefixLen:]))
	received := int(de.Offset) - nameStart
	h.Name = c.s.fillNameBuf(h.Name[:received], stated)
	// The answer goes to a peer that has left; the connection closes after it.
	c.handle(h)
}

// nameStart is where a request's filename starts: after the prefix and the 2-byte name_len.
const nameStart = wire.RequestPrefixLen + 2

// headRecorder keeps the first nameStart bytes of the current request as the decoder reads
// them: truncated-name-stale-buffer needs the name_len of a request cut inside its filename,
// which the decoder's error does not give.
type headRecorder struct {
	r io.Reader
	b []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if k := min(n, nameStart-len(h.b)); k > 0 {
		h.b = append(h.b, p[:k]...)
	}
	return n, err
}

// fillNameBuf writes received over the start of the shared name buffer and returns a copy of
// its first n bytes.
func (s *Server) fillNameBuf(received []byte, n int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.nameBuf) < n {
		s.nameBuf = append(s.nameBuf, make([]byte, n-len(s.nameBuf))...)
	}
	copy(s.nameBuf, received)
	return bytes.Clone(s.nameBuf[:n])
}

// reply is a response in the canonical mapping, before any fault touches its encoding.
type reply struct {
	op      wire.Op // the request's op, for the seed-003 status map
	status  wire.Status
	name    []byte
	payload []byte
}

// send writes rep as raw bytes, so that the byte-level faults can break it. An error means
// the connection is to be closed: it failed, or the response leaves the peer out of step.
func (c *conn) send(rep reply) error {
	s := c.s
	raw := s.encode(rep)
	b := raw.Append(nil)
	if s.has(faultFixedHeader) {
		// Fault: one struct for every response, its size before its filename.
		b = fixedHeader(raw)
	}
	if s.has(faultStatusBigEndian) {
		// Fault: the status's bytes in network order (R-1.1 says little-endian).
		binary.BigEndian.PutUint16(b[1:3], raw.Status)
	}
	if s.has(faultSizeBeforeName) && raw.Fields.Has(wire.HasName|wire.HasPayload) {
		// Fault: the size goes out before name_len and the filename.
		b = sizeBeforeName(b, len(raw.Name))
	}
	notFound := rep.status == wire.StatusNotExist && (s.has(faultNotFoundNameMissing) || s.has(faultNotFoundNameStalls))
	cut := notFound || s.has(faultOKNameMissing) && rep.status == wire.StatusOK
	if cut {
		// Fault: the filename is never written, though name_len states it.
		b = b[:wire.ResponsePrefixLen+2]
	}
	if s.has(faultLengthPrefixed) {
		// Fault: a framing of the server's own in front of the response.
		b = append(binary.LittleEndian.AppendUint64(nil, uint64(len(b))), b...)
	}
	if s.has(faultLateAnswer) {
		// Fault: the answer comes after any sensible timeout.
		if !s.pause(s.opt.AnswerDelay) {
			return ErrServerClosed
		}
	}
	if s.has(faultSecondPerRequest) && !s.pause(secondPerRequest) {
		return ErrServerClosed
	}
	if err := c.write(b); err != nil {
		return err
	}
	if cut && !s.has(faultNotFoundNameStalls) {
		// The peer waits for name bytes that will never come; not-found-name-stalls leaves
		// it waiting and reads on.
		return errClosesAfter
	}
	if s.has(faultLengthPrefixed) {
		// Fault: nothing more is read until the peer acknowledges the response with a byte
		// of its own, taken from the stream wherever the peer's next request begins.
		var ack [1]byte
		if _, err := io.ReadFull(c.br, ack[:]); err != nil {
			return err
		}
	}
	return nil
}

// write sends b with a write deadline.
func (c *conn) write(b []byte) error {
	step := len(b)
	if c.s.has(faultDrip) {
		// Fault: one byte at a time, with a pause between bytes.
		step = 1
	}
	for off := 0; off < len(b); off += step {
		if off > 0 && !c.s.pause(c.s.opt.DripInterval) {
			return ErrServerClosed
		}
		if err := c.nc.SetWriteDeadline(time.Now().Add(c.s.opt.ReadTimeout)); err != nil {
			return err
		}
		if _, err := c.nc.Write(b[off:min(off+step, len(b))]); err != nil {
			return err
		}
	}
	return nil
}

// sizeBeforeName moves the 4-byte size of response b, whose filename is nameLen bytes long,
// from after the filename to right after the status.
func sizeBeforeName(b []byte, nameLen int) []byte {
	nameEnd := wire.ResponsePrefixLen + 2 + nameLen
	out := append([]byte(nil), b[:wire.ResponsePrefixLen]...)
	out = append(out, b[nameEnd:nameEnd+4]...)
	out = append(out, b[wire.ResponsePrefixLen:nameEnd]...)
	return append(out, b[nameEnd+4:]...)
}

// fixedHeader lays raw out as a server that writes one fixed header for every response does:
// version, status, name_len, size, then the filename and the payload, with zeros for the
// fields its status does not carry.
func fixedHeader(raw wire.RawResponse) []byte {
	var name, payload []byte
	if raw.Fields.Has(wire.HasName) {
		name = raw.Name
	}
	size := uint32(0)
	if raw.Fields.Has(wire.HasPayload) {
		payload = raw.Payload
		size = uint32(len(payload))
		if raw.Size != nil {
			size = *raw.Size
		}
	}
	b := []byte{raw.Version}
	b = binary.LittleEndian.AppendUint16(b, raw.Status)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	b = binary.LittleEndian.AppendUint32(b, size)
	b = append(append(b, name...), payload...)
	return append(b, raw.Trailer...)
}

// encode lays rep out as SPEC §3 says, then applies the layout faults.
func (s *Server) encode(rep reply) wire.RawResponse {
	if s.has(faultSeed003) {
		return seed003(rep)
	}
	f, _ := rep.status.Fields()
	raw := wire.RawResponse{Version: wire.Version, Status: uint16(rep.status), Fields: f, Name: rep.name}
	if f.Has(wire.HasPayload) {
		raw.Payload = rep.payload
	}
	if s.has(faultVersionZero) {
		// Fault: the wrong server version.
		raw.Version = 0
	}
	switch {
	case s.has(faultOKTrailingSize) && rep.status == wire.StatusOK:
		// Fault: 212 carries a size field it must not have.
		raw.Fields |= wire.HasPayload
		raw.Payload = nil
	case s.has(faultNoFilesExtraFields) && rep.status == wire.StatusNoFiles:
		// Fault: 1002 carries name_len 0 and size 0.
		raw.Fields = wire.HasName | wire.HasPayload
		raw.Name, raw.Payload = nil, nil
	case s.has(faultRestoreSizeOverstated) && rep.status == wire.StatusRestored:
		// Fault: the size field promises 16 bytes that never come.
		raw.Size = new(uint32(len(rep.payload) + 16))
	case s.has(faultListTrailingNUL) && rep.status == wire.StatusListed:
		// Fault: the listing's C-string terminator goes out after it.
		raw.Trailer = []byte{0}
	}
	return raw
}

// seed003 is the status map of seed 003, each status with the fields of its meaning there.
func seed003(rep reply) wire.RawResponse {
	raw := wire.RawResponse{Version: wire.Version, Name: rep.name}
	switch {
	case rep.status == wire.StatusOK && rep.op == wire.OpBackup:
		raw.Status, raw.Fields = 210, wire.HasName
	case rep.status == wire.StatusOK && rep.op == wire.OpDelete:
		raw.Status, raw.Fields = 211, wire.HasName
	case rep.status == wire.StatusRestored, rep.status == wire.StatusListed:
		raw.Status, raw.Fields, raw.Payload = 212, wire.HasName|wire.HasPayload, rep.payload
	case rep.status == wire.StatusNoFiles:
		// The seed has no "no files" status: its LIST of an empty folder is an empty list.
		raw.Status, raw.Fields = 212, wire.HasName|wire.HasPayload
	case rep.status == wire.StatusNotExist && rep.op == wire.OpDelete:
		raw.Status = 1002 // "delete failed"
	case rep.status == wire.StatusNotExist:
		raw.Status, raw.Fields = 1003, wire.HasName // "file not found"
	default:
		raw.Status = 1001 // "general error"
	}
	return raw
}

// handle serves one request whose header has been read; false means close the connection.
func (c *conn) handle(h *wire.RequestHeader) bool {
	if c.s.has(faultVersionRejected) && h.Version != wire.Version {
		// Allowed by: an unsupported version answers 1003. A BACKUP's payload is
		// skipped by the next header read.
		return c.send(reply{op: h.Op, status: wire.StatusServerError}) == nil
	}
	switch h.Op {
	case wire.OpBackup:
		return c.backup(h)
	case wire.OpRestore:
		return c.restore(h)
	case wire.OpDelete:
		return c.delete(h)
	case wire.OpList:
		return c.list(h)
	}
	// The decoder refuses every other op before it gets here.
	return false
}

// folderOf is the folder a user's files live in: the decimal user_id.
func (s *Server) folderOf(user uint32) string {
	if s.has(faultSharedNamespace) {
		// Fault: one folder for every user.
		return ""
	}
	return strconv.FormatUint(uint64(user), 10)
}
