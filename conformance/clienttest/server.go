package clienttest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// Bounds of the scripted server.
const (
	// settleWindow: after a whole request, bytes that arrive within this much of the last one,
	// before the response is sent, are bytes after the request. A client that pads a
	// request sends the padding with it, in the same write or the next.
	settleWindow = 25 * time.Millisecond
	// maxAfter bounds what the server reads of bytes after a request: a request padded to 4 GiB
	// is cut off here, and its connection closed.
	maxAfter = 1 << 20
	// maxStored is the largest BACKUP the server stores; a larger one is answered 1003 before
	// its payload, as a server with that limit does.
	maxStored = 1 << 30
	// writeIdle bounds each write of a response: a client that stops reading holds the server
	// no longer than this.
	writeIdle = 10 * time.Second
	// pollEvery is how often a wait on a connection looks at what the client does elsewhere.
	pollEvery = 50 * time.Millisecond
	// oneByteSpan: the one-byte-writes scenario writes this many first bytes of every response
	// one at a time, oneBytePause apart, so that every header arrives in pieces.
	oneByteSpan  = 64
	oneBytePause = 3 * time.Millisecond
	// dripPieces: the slow-drip scenario sends a response in at most this many pieces.
	dripPieces = 60
	// shortBy is how much more than it sends the short-payload scenario's 210 states.
	shortBy = 1 << 20
	// claimSend is what the 210 of a claim under 4 GiB sends before the server closes.
	claimSend = 1 << 20
	// The slow reader's receive buffer, and its pause before each BACKUP's payload: together
	// they hold a client's send of a file over 8 MiB to a part of it. The buffer still takes a
	// few of the largest segments of a loopback link: a window under one of them stalls TCP.
	slowReadBuffer = 256 << 10
	slowReadPause  = 200 * time.Millisecond
	// hostileLineLen is the very long line of the hostile listing.
	hostileLineLen = 100_000
	// maxWaits: after the client has waited this many times on kept connections, the server
	// closes after every response, so that a client that waits for the close does not wait
	// through the whole run.
	maxWaits = 2
)

// Control sequences the hostile listing plants in names: a terminal that receives them raw
// retitles its window or clears its screen.
var planted = [][]byte{[]byte("\x1b]2;conform-title\x07"), []byte("\x1b[2J\x1b[3J")}

// exchange is one request of the client and what the server did with it.
type exchange struct {
	n    int // the request's number in the run, from 1
	conn int // the connection's number in the run, from 1
	req  spec.ClientRequest
	// sent and recv clip the bytes of the client and of the server.
	sent, recv report.ClipWriter
	// status is the response's status when one was sent (whole or in part), 0 when none.
	status uint16
	// whole: every byte of the response was sent.
	whole bool
	// outcome says in a line what became of the request.
	outcome string
	// onClosed: the request arrived after the server had closed the connection (read while the
	// server drained it); it was not answered.
	onClosed bool
	// upload is a BACKUP's payload against the file it names, when conform made that file.
	upload *spec.Upload
	// served is the version of a file a 210 carried; statedSize what the 210 stated.
	served     *version
	statedSize uint32
	sentBody   int64 // payload bytes the 210 carried
	// kept: the server kept the connection open after this whole response, for the client's
	// next move; waited: the client made none for Config.Wait, and the server closed it.
	kept, waited bool
	twist        string // what the scenario did to this answer, if anything
	// mustRead: the response is true to its length, and a client reads it whole; a lying one a
	// client may drop as soon as its header shows the lie.
	mustRead bool
	// unread says how the client closed the connection before it had read the whole response:
	// the server's write failed, or the client's close came as a reset, which a kernel sends
	// when a socket is closed with bytes it has received and not read; "" when it did not.
	unread string
	// answerName is the filename field of the response, as sent.
	answerName []byte
	// closedFirst: the client closed its side before the response was sent. It may still read
	// the response (a half close), or have closed the socket, which the response then resets.
	closedFirst bool
}

func (ex *exchange) label() string {
	op := wire.Op(ex.req.Op)
	who := fmt.Sprintf("user %d", ex.req.UserID)
	switch {
	case !op.Known():
		return fmt.Sprintf("request %d: op %d %s", ex.n, ex.req.Op, who)
	case op == wire.OpList:
		return fmt.Sprintf("request %d: LIST %s", ex.n, who)
	}
	return fmt.Sprintf("request %d: %v %s %s", ex.n, op, who, spec.Quote(ex.req.Name))
}

func (ex *exchange) row(scenario string) report.Exchange {
	return report.Exchange{Label: scenario + ", " + ex.label(), Conn: ex.conn, Sent: ex.sent.Clip(), Received: ex.recv.Clip(), Outcome: ex.outcome}
}

// version is one stored file: BACKUPs never overwrite a version, so that a 210's payload can be
// compared with tmp after a DELETE.
type version struct {
	path string
	n    int64
}

// stallRecord is what became of the stalled connection.
type stallRecord struct {
	held   time.Duration
	gaveUp bool // the client closed the connection, or ended, before the limit
}

// session is the scripted server of one scenario's run: it serves the client as the scenario
// says and records every connection's bytes.
type session struct {
	sc        *Scenario
	cfg       *Config
	root      string // the scenario's folder, holding the client's folder and the store
	clientDir string // "" when conform does not start the client
	storeDir  string
	escape    string // the path a name-twisted 210 points at, "" for other scenarios
	done      chan struct{}
	wg        sync.WaitGroup

	mu          sync.Mutex
	stopped     bool
	conns       []net.Conn
	nconns      int
	open        int
	events      int64 // the client's moves: connections, bytes, the end of the process
	exchanges   []*exchange
	store       map[uint32]map[string]*version
	twistPlayed bool
	waits       int
	stall       *stallRecord
	lastServed  *version  // the last whole 210's payload
	tmpAtDelete *tmpCheck // tmp as the first DELETE found it
	lastQuiet   time.Time // when the last open connection closed
}

func newSession(sc *Scenario, cfg *Config, root, clientDir string) (*session, error) {
	s := &session{sc: sc, cfg: cfg, root: root, clientDir: clientDir, storeDir: filepath.Join(root, "store"),
		done: make(chan struct{}), store: map[uint32]map[string]*version{}}
	if err := os.MkdirAll(s.storeDir, 0o700); err != nil {
		return nil, err
	}
	switch sc.twist {
	case twistNameDotDot:
		s.escape = "../conform-escape-" + spec.RandomName(8)
	case twistNameAbsolute:
		s.escape = filepath.Join(root, "conform-escape-abs-"+spec.RandomName(8))
	}
	return s, nil
}

// bump records that the client moved.
func (s *session) bump() {
	s.mu.Lock()
	s.events++
	s.mu.Unlock()
}

func (s *session) eventCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events
}

// accept serves c, a connection of this run; once the run is over it only closes it.
func (s *session) accept(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		c.Close()
		return
	}
	if rec := s.cfg.Capture; rec != nil {
		c = rec.Wrap(c, captureID(s.sc), capture.Server)
	}
	s.nconns++
	n := s.nconns
	s.conns = append(s.conns, c)
	s.open++
	s.events++
	s.wg.Go(func() {
		defer func() {
			c.Close()
			s.mu.Lock()
			s.open--
			if s.open == 0 {
				s.lastQuiet = time.Now()
			}
			s.mu.Unlock()
		}()
		s.serveConn(c, n)
	})
}

// stop ends every connection and waits for their handlers.
func (s *session) stop() {
	s.mu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.done)
		for _, c := range s.conns {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ended reports whether the run is over.
func (s *session) ended() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// sleep waits d, or less if the run ends.
func (s *session) sleep(d time.Duration) bool { return deadline.Sleep(s.done, d) }

func (s *session) newExchange(conn int) *exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	ex := &exchange{n: len(s.exchanges) + 1, conn: conn}
	s.exchanges = append(s.exchanges, ex)
	return ex
}

// connReader reads the client's bytes into the current exchange's record, each read bounded
// by a deadline: none for the first byte of a request, Config.Wait for the rest.
type connReader struct {
	s  *session
	c  net.Conn
	ex *exchange
}

func (r *connReader) read(b []byte, idle time.Duration) (int, error) {
	var dl time.Time
	if idle > 0 {
		dl = time.Now().Add(idle)
	}
	if err := r.c.SetReadDeadline(dl); err != nil {
		return 0, err
	}
	n, err := r.c.Read(b)
	if n > 0 {
		r.ex.sent.Write(b[:n])
		r.s.bump()
	}
	return n, err
}

// full reads len(b) bytes, each read bounded by idle; got counts them into the request.
func (r *connReader) full(b []byte, idle time.Duration) error {
	for done := 0; done < len(b); {
		n, err := r.read(b[done:], idle)
		done += n
		r.ex.req.Got += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// serveConn serves one connection: requests, answers as the scenario says, and between them
// the watch for a client that waits for the close.
func (s *session) serveConn(c net.Conn, num int) {
	r := &connReader{s: s, c: c}
	var first []byte
	for {
		ex := s.newExchange(num)
		r.ex = ex
		ok := s.readRequest(r, ex, first)
		first = nil
		if !ok {
			return
		}
		keep, tail := s.answer(r, ex)
		if !keep {
			if tail {
				s.drain(r, ex)
			}
			return
		}
		var moved bool
		if first, moved = s.waitForMove(c, ex); !moved {
			return
		}
	}
}

// readRequest reads a request's header and, for a BACKUP, its payload into the store. It
// returns false when the connection is to end: nothing came (the exchange is dropped), or the
// request stopped short.
func (s *session) readRequest(r *connReader, ex *exchange, first []byte) bool {
	var p [wire.RequestPrefixLen]byte
	n := copy(p[:], first)
	if n > 0 {
		ex.sent.Write(first)
		ex.req.Got = int64(n)
	}
	// The first byte may take any time: the client starts a request when it likes.
	if n == 0 {
		if k, _ := r.read(p[:1], 0); k == 0 {
			s.drop(ex)
			return false
		}
		ex.req.Got, n = 1, 1
	}
	q := &ex.req
	if err := r.full(p[n:], s.cfg.Wait); err != nil {
		return s.cut(ex, err)
	}
	q.UserID = binary.LittleEndian.Uint32(p[:4])
	q.Version, q.Op = p[4], p[5]
	f, ok := wire.Op(q.Op).Fields()
	if !ok {
		return true
	}
	var b [4]byte
	if f.Has(wire.HasName) {
		if err := r.full(b[:2], s.cfg.Wait); err != nil {
			return s.cut(ex, err)
		}
		// name_len is at most 65535: a bounded allocation whatever the client states.
		q.Name = make([]byte, binary.LittleEndian.Uint16(b[:2]))
		if err := r.full(q.Name, s.cfg.Wait); err != nil {
			return s.cut(ex, err)
		}
	}
	if f.Has(wire.HasPayload) {
		if err := r.full(b[:4], s.cfg.Wait); err != nil {
			return s.cut(ex, err)
		}
		q.Size = binary.LittleEndian.Uint32(b[:4])
	}
	q.Want = q.HeaderLen() + int64(q.Size)
	if wire.Op(q.Op) == wire.OpBackup {
		return s.readPayload(r, ex)
	}
	return true
}

// drop forgets an exchange that never began.
func (s *session) drop(ex *exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.exchanges, ex); i >= 0 {
		s.exchanges = slices.Delete(s.exchanges, i, i+1)
		for j := i; j < len(s.exchanges); j++ {
			s.exchanges[j].n = j + 1
		}
	}
}

// cut records a request that stopped short and ends the connection.
func (s *session) cut(ex *exchange, err error) bool {
	how := "then the connection closed"
	if isTimeout(err) {
		how = fmt.Sprintf("then nothing for %v", s.cfg.Wait)
	}
	switch {
	case ex.req.Want > 0:
		ex.outcome = fmt.Sprintf("request cut short: %d of %d bytes, %s; no answer", ex.req.Got, ex.req.Want, how)
	default:
		ex.outcome = fmt.Sprintf("request cut short after %d bytes, %s; no answer", ex.req.Got, how)
	}
	return false
}

// readPayload reads a BACKUP's payload into a new version in the store, and compares it with
// the file it names when conform made that file.
func (s *session) readPayload(r *connReader, ex *exchange) bool {
	q := &ex.req
	var file *File
	for i := range s.sc.Files {
		// A name sent with its path is still the upload of that file, and says it is wrong.
		if s.clientDir != "" && (s.sc.Files[i].Name == string(q.Name) || path.Base(strings.ReplaceAll(string(q.Name), "\\", "/")) == s.sc.Files[i].Name) {
			file = &s.sc.Files[i]
		}
	}
	if q.Size > maxStored {
		return true
	}
	if s.sc.slowReader && !s.sleep(slowReadPause) {
		return false
	}
	f, err := os.CreateTemp(s.storeDir, "v-*")
	if err != nil {
		ex.outcome = "the server could not store the payload: " + err.Error()
		return false
	}
	defer f.Close()
	var check *content.Checker
	var w io.Writer = f
	if file != nil {
		check = content.NewChecker(file.Content)
		w = io.MultiWriter(f, check)
	}
	buf := make([]byte, 64<<10)
	var got int64
	for got < int64(q.Size) {
		n, err := r.read(buf[:min(int64(len(buf)), int64(q.Size)-got)], s.cfg.Wait)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				ex.outcome = "the server could not store the payload: " + werr.Error()
				return false
			}
			got += int64(n)
			q.Got += int64(n)
		}
		if err != nil {
			break
		}
	}
	if file != nil {
		ex.upload = &spec.Upload{Name: q.Name, Size: q.Size, Got: got, Mismatch: check.Mismatch(), FileName: file.Name, FileLen: file.Content.Len()}
	}
	if got < int64(q.Size) {
		return s.cut(ex, os.ErrDeadlineExceeded)
	}
	s.mu.Lock()
	if s.store[q.UserID] == nil {
		s.store[q.UserID] = map[string]*version{}
	}
	s.store[q.UserID][string(q.Name)] = &version{path: f.Name(), n: got}
	s.mu.Unlock()
	return true
}

// settle reads what the client sends after a whole request and before its response: bytes that
// must not be there. It returns false when there were so many that the connection is
// to be closed after the answer.
func (s *session) settle(r *connReader, ex *exchange) bool {
	buf := make([]byte, 32<<10)
	for ex.req.AfterLen < maxAfter {
		n, err := r.read(buf, settleWindow)
		if n > 0 {
			if room := report.ClipHead - len(ex.req.After); room > 0 {
				ex.req.After = append(ex.req.After, buf[:min(n, room)]...)
			}
			ex.req.AfterLen += int64(n)
		}
		if err != nil {
			ex.closedFirst = errors.Is(err, io.EOF)
			return true
		}
	}
	return false
}

// waitForMove waits, on a connection the server keeps, for the client's next move after a whole
// response: the first byte of a request on it (returned), its close, or a move elsewhere (a new
// connection, bytes on another, the end of the process). With no move for Config.Wait the
// client is taken to wait for the close: the server records it and closes the connection.
func (s *session) waitForMove(c net.Conn, ex *exchange) (first []byte, ok bool) {
	start := s.eventCount()
	limit := time.Now().Add(s.cfg.Wait)
	var b [1]byte
	for !s.ended() {
		if err := c.SetReadDeadline(time.Now().Add(pollEvery)); err != nil {
			return nil, false
		}
		n, err := c.Read(b[:])
		if n == 1 {
			s.bump()
			return b[:], true
		}
		if !isTimeout(err) {
			noteReset(ex, err)
			return nil, false
		}
		if s.eventCount() != start {
			// The client moved on elsewhere: this connection may idle as long as it likes.
			limit = time.Time{}
		}
		if !limit.IsZero() && time.Now().After(limit) {
			ex.waited = true
			ex.outcome += fmt.Sprintf("; then nothing from the client for %v: the server closed the connection", s.cfg.Wait)
			s.mu.Lock()
			s.waits++
			s.mu.Unlock()
			return nil, false
		}
	}
	return nil, false
}

// drain reads what the client still sends on a connection the server has closed for writing,
// until the client closes it: a request sent there was never read, other bytes are
// bytes after the request.
func (s *session) drain(r *connReader, ex *exchange) {
	var head []byte
	buf := make([]byte, 32<<10)
	var total int64
	for total < maxAfter {
		if err := r.c.SetReadDeadline(time.Time{}); err != nil {
			return
		}
		n, err := r.c.Read(buf)
		if err != nil && total == 0 {
			noteReset(ex, err)
		}
		if n > 0 {
			s.bump()
			if room := 8 + wire.DefaultMaxName - len(head); room > 0 {
				head = append(head, buf[:min(n, room)]...)
			}
			total += int64(n)
		}
		if err != nil {
			break
		}
	}
	if total == 0 {
		return
	}
	// A request of the same user and version is the client's next one, sent where it could
	// not be read.
	q := &ex.req
	if len(head) >= wire.RequestPrefixLen && binary.LittleEndian.Uint32(head) == q.UserID && head[4] == q.Version && wire.Op(head[5]).Known() && wire.Op(q.Op).Known() {
		next := s.newExchange(ex.conn)
		next.onClosed = true
		next.sent.Write(head)
		next.req = spec.ClientRequest{UserID: q.UserID, Version: head[4], Op: head[5], Got: total}
		if f, _ := wire.Op(head[5]).Fields(); f.Has(wire.HasName) && len(head) >= 8 {
			nl := int(binary.LittleEndian.Uint16(head[6:8]))
			next.req.Name = head[8:min(len(head), 8+nl)]
		}
		next.outcome = fmt.Sprintf("%d bytes sent on a connection the server had closed after its response: never read, never answered", total)
		return
	}
	ex.sent.Write(head)
	if room := report.ClipHead - len(q.After); room > 0 {
		q.After = append(q.After, head[:min(len(head), room)]...)
	}
	q.AfterLen += total
	ex.outcome += fmt.Sprintf("; then %d more bytes from the client after the response", total)
}

// noteReset records that the client closed the connection of ex with bytes of the response
// unread, when err, the server's read after the whole response, is the reset that says so: a
// reset that comes after the client's own close reads as a broken pipe.
func noteReset(ex *exchange, err error) {
	if ex.unread != "" || !closedByPeer(err) {
		return
	}
	ex.unread = "the client closed the connection with bytes of the response unread: it came as a reset"
	ex.outcome += "; " + ex.unread
}

// closedByPeer reports whether a write failed because the client had closed the connection.
func closedByPeer(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// holdStalled holds a connection without answering until the client lets go of it or the
// stall limit passes.
func (s *session) holdStalled(c net.Conn, ex *exchange) {
	start := time.Now()
	limit := start.Add(s.cfg.StallLimit)
	var b [512]byte
	rec := &stallRecord{}
	for {
		if err := c.SetReadDeadline(limit); err != nil {
			break
		}
		n, err := c.Read(b[:])
		if n > 0 {
			s.bump()
			continue
		}
		rec.held = time.Since(start)
		rec.gaveUp = !isTimeout(err) && !s.ended()
		break
	}
	if rec.gaveUp {
		ex.outcome = fmt.Sprintf("never answered (the scenario); the client closed the connection after %v", rec.held.Round(time.Millisecond))
	} else {
		ex.outcome = fmt.Sprintf("never answered (the scenario); the client still held the connection after %v", rec.held.Round(time.Millisecond))
	}
	s.mu.Lock()
	s.stall = rec
	s.mu.Unlock()
}

// tmpCheck is tmp against the last whole 210's payload.
type tmpCheck struct {
	spec.RestoredFile
	// err says tmp, or the payload stored, could not be read: RestoredFile then tells nothing.
	err error
}

// noteTmpAtDelete looks at tmp when the first DELETE arrives: the RESTORE before it is over.
func (s *session) noteTmpAtDelete() {
	s.mu.Lock()
	done, served := s.tmpAtDelete != nil, s.lastServed
	s.mu.Unlock()
	if done || s.clientDir == "" || served == nil {
		return
	}
	chk := checkTmp(filepath.Join(s.clientDir, "tmp"), served)
	s.mu.Lock()
	s.tmpAtDelete = &chk
	s.mu.Unlock()
}
