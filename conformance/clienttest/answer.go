package clienttest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// plan is what the server answers a request. The fields sent are those status carries; name
// and size are stated as the plan says, true or not.
type plan struct {
	status  wire.Status
	name    []byte
	size    uint32    // the size field stated
	body    io.Reader // the payload bytes actually sent
	bodyLen int64
	served  *version
	none    bool // no answer: close the connection
	stall   bool // no answer: hold the connection
	close   bool // close after the answer
	twist   string
	// lies: the answer states more than it sends, or lists what no client need accept whole, so
	// that a client may close on it before it has read it all.
	lies bool
}

// answer answers ex as the scenario says. It reports whether the connection stays open for a
// further request, and otherwise whether the server drains what the client still sends.
func (s *session) answer(r *connReader, ex *exchange) (keep, tail bool) {
	q := &ex.req
	known := wire.Op(q.Op).Known()
	settled := true
	// Bytes after a request of an unknown op, or after the header of a BACKUP too large to
	// read, belong to the request: nothing can tell where it ends.
	if known && !(wire.Op(q.Op) == wire.OpBackup && q.Size > maxStored) {
		settled = s.settle(r, ex)
	}
	p := s.plan(ex)
	defer func() {
		if p.served != nil {
			closeQuiet(p.body)
		}
	}()
	switch {
	case p.stall:
		s.holdStalled(r.c, ex)
		return false, false
	case p.none:
		ex.outcome = "read whole; the server closed the connection without an answer (the scenario)"
		closeWrite(r.c)
		return false, true
	}
	head := p.header()
	ex.status, ex.twist, ex.answerName = uint16(p.status), p.twist, p.name
	ex.served, ex.statedSize = p.served, p.size
	var body io.Reader = bytes.NewReader(nil)
	if p.body != nil {
		body = p.body
	}
	n, err := s.write(r.c, ex, io.MultiReader(bytes.NewReader(head), io.LimitReader(body, p.bodyLen)), int64(len(head))+p.bodyLen)
	ex.sentBody = max(0, n-int64(len(head)))
	stated := int64(len(head))
	if p.hasSize() {
		stated += int64(p.size)
	}
	ex.whole = err == nil && n == stated
	ex.mustRead = !p.lies
	if err != nil && closedByPeer(err) {
		ex.unread = fmt.Sprintf("the client closed the connection after %d of the response's %d bytes had gone out", n, stated)
	}
	ex.outcome = s.describe(ex, p, err)
	if p.served != nil && p.twist == "" {
		s.mu.Lock()
		s.lastServed = p.served
		s.mu.Unlock()
	}
	switch {
	case err != nil || p.close || !settled || !known:
		closeWrite(r.c)
		return false, err == nil
	case s.keepNow():
		ex.kept = true
		return true, false
	}
	closeWrite(r.c)
	return false, true
}

// header is the answer's header: the fields its status carries, as the plan states them.
func (p *plan) header() []byte {
	return (&wire.ResponseHeader{Version: wire.Version, Status: p.status, Name: p.name, Size: p.size}).Append(nil)
}

// hasSize reports whether the answer carries a size field, and with it a payload.
func (p *plan) hasSize() bool {
	f, _ := p.status.Fields()
	return f.Has(wire.HasPayload)
}

func (s *session) describe(ex *exchange, p plan, err error) string {
	d := fmt.Sprintf("answered %d", p.status)
	if p.hasSize() {
		d += fmt.Sprintf(" stating %d bytes", p.size)
		if p.bodyLen != int64(p.size) {
			d += fmt.Sprintf(", %d sent", ex.sentBody)
		}
	}
	if p.twist != "" {
		d += " (" + p.twist + ")"
	}
	if err != nil {
		d += fmt.Sprintf("; sending failed after %d bytes: %v", ex.recv.Clip().Total, err)
	}
	return d
}

// keepNow reports whether the server keeps connections at this point of the run.
func (s *session) keepNow() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sc.keep && s.waits < maxWaits
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}

func closeQuiet(r io.Reader) {
	if c, ok := r.(io.Closer); ok {
		_ = c.Close()
	}
}

// plan decides the answer to ex: the canonical one, or the scenario's twist of it.
func (s *session) plan(ex *exchange) plan {
	q := &ex.req
	op := wire.Op(q.Op)
	errorOnly := plan{status: wire.StatusServerError}
	switch {
	case s.sc.twist == twistCloseNoAnswer:
		return plan{none: true}
	case s.sc.twist == twistStall && s.claimTwist():
		return plan{stall: true}
	case !op.Known():
		errorOnly.close = true
		return errorOnly
	case s.sc.twist == twistAll1003:
		errorOnly.twist = "the scenario answers 1003 to everything"
		return errorOnly
	case op == wire.OpBackup && q.Size > maxStored:
		errorOnly.close = true
		return errorOnly
	case op != wire.OpList && wire.CheckName(q.Name, wire.DefaultMaxName) != nil:
		return errorOnly
	}
	named := func(st wire.Status) plan { return plan{status: st, name: q.Name} }
	switch op {
	case wire.OpBackup:
		return named(wire.StatusOK)
	case wire.OpDelete:
		s.noteTmpAtDelete()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.store[q.UserID][string(q.Name)] == nil {
			return named(wire.StatusNotExist)
		}
		delete(s.store[q.UserID], string(q.Name))
		return named(wire.StatusOK)
	case wire.OpList:
		return s.planList(q.UserID)
	}
	s.mu.Lock()
	v := s.store[q.UserID][string(q.Name)]
	s.mu.Unlock()
	if v == nil {
		return named(wire.StatusNotExist)
	}
	f, err := os.Open(v.path)
	if err != nil {
		return errorOnly
	}
	p := named(wire.StatusRestored)
	p.size, p.body, p.bodyLen, p.served = uint32(v.n), f, v.n, v
	if !s.sc.twist.of210() || !s.claimTwist() {
		return p
	}
	switch s.sc.twist {
	case twistNameDotDot, twistNameAbsolute:
		p.name = []byte(s.escape)
		p.twist = "the scenario names " + spec.Quote(p.name)
	case twistShortPayload:
		p.size, p.close = uint32(v.n+shortBy), true
		p.twist = fmt.Sprintf("the scenario states %d bytes more than it sends, then closes", shortBy)
	case twistClaim:
		f.Close()
		send := int64(claimSend)
		if s.sc.claim == 1<<32-1 {
			send = s.cfg.HugeSend
		}
		huge := content.Drawn(min(send, int64(s.sc.claim)-1), 0x4619)
		p.size, p.body, p.bodyLen, p.close, p.served = s.sc.claim, huge.Reader(), huge.Len(), true, nil
		p.twist = fmt.Sprintf("the scenario claims %d bytes and sends %d, then closes", s.sc.claim, huge.Len())
	}
	p.lies = true
	return p
}

// claimTwist reports whether the caller is to play the scenario's twist: true once per run,
// however many connections ask at once.
func (s *session) claimTwist() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.twistPlayed {
		return false
	}
	s.twistPlayed = true
	return true
}

// planList answers a LIST: the user's names, 1002 for none, or the scenario's hostile listing.
func (s *session) planList(user uint32) plan {
	s.mu.Lock()
	var names []string
	for n := range s.store[user] {
		names = append(names, n)
	}
	s.mu.Unlock()
	slices.Sort(names)
	var listing []byte
	twist := ""
	switch {
	case s.sc.twist == twistHostileListing:
		listing = hostileListing(s.root)
		twist = "the scenario lists hostile names"
	case s.sc.twist == twistLargeListing:
		listing = largeListing()
		twist = fmt.Sprintf("the scenario lists %d names more", largeListNames)
	case len(names) == 0:
		return plan{status: wire.StatusNoFiles}
	}
	for _, n := range names {
		listing = append(listing, n+"\n"...)
	}
	return plan{status: wire.StatusListed, name: []byte(spec.RandomName(spec.ListingNameLen)),
		size: uint32(len(listing)), body: bytes.NewReader(listing), bodyLen: int64(len(listing)), twist: twist,
		lies: s.sc.twist == twistHostileListing}
}

// The large listing: past the 4096 bytes of a client's one read, past 64 names, still far
// under any limit a client may keep on a listing, and small enough to lie whole in the
// client's receive buffer once written.
const (
	largeListNames = 400
	largeListLen   = largeListNames * 40
)

// largeListing is largeListNames names of 39 characters, each on its line.
func largeListing() []byte {
	b := make([]byte, 0, largeListLen)
	for i := range largeListNames {
		b = fmt.Appendf(b, "conform-listed-%04d-%s.bin\n", i, strings.Repeat("x", 15))
	}
	return b
}

// hostileListing is a listing a client must neither trust nor echo raw: paths out of its folder,
// terminal control sequences, and a line longer than any name.
func hostileListing(root string) []byte {
	var b bytes.Buffer
	b.WriteString("../conform-listed-escape\n")
	b.WriteString(filepath.Join(root, "conform-listed-abs") + "\n")
	b.WriteString(string(planted[0]) + "retitled\n")
	b.WriteString(string(planted[1]) + "cleared\n")
	// Names are ASCII; these are not, and the second is not UTF-8 either.
	b.WriteString("conform-caf\xc3\xa9.bin\n")
	b.WriteString("conform-\xff\xfe-latin1-\xe9.bin\n")
	b.WriteString(strings.Repeat("L", hostileLineLen) + "\n")
	return b.Bytes()
}

// write sends n bytes of r to c, paced as the scenario says, recording them in ex.
func (s *session) write(c net.Conn, ex *exchange, r io.Reader, n int64) (int64, error) {
	w := &recordingWriter{c: c, rec: &ex.recv, idle: writeIdle}
	switch s.sc.pacing {
	case spec.OneByteWrites:
		var sent int64
		var b [1]byte
		for sent < min(n, oneByteSpan) {
			if _, err := io.ReadFull(r, b[:]); err != nil {
				return sent, err
			}
			if _, err := w.Write(b[:]); err != nil {
				return sent, err
			}
			sent++
			if !s.sleep(oneBytePause) {
				return sent, errRunOver
			}
		}
		k, err := io.CopyN(w, r, n-sent)
		return sent + k, err
	case spec.SlowDrip:
		pieces := min(n, dripPieces)
		size := (n + pieces - 1) / pieces
		pause := s.cfg.Drip / time.Duration(pieces)
		var sent int64
		for sent < n {
			k, err := io.CopyN(w, r, min(size, n-sent))
			sent += k
			if err != nil {
				return sent, err
			}
			if sent < n && !s.sleep(pause) {
				return sent, errRunOver
			}
		}
		return sent, nil
	}
	if ex.closedFirst && n > 1 {
		// The response in two writes: when the client has closed its socket, the first draws a
		// reset, and the second fails on it, as no read of the server's can tell once the
		// client's close has been read.
		k, err := io.CopyN(w, r, n-1)
		if err != nil {
			return k, err
		}
		last, err := io.CopyN(w, r, 1)
		return k + last, err
	}
	return io.CopyN(w, r, n)
}

var errRunOver = errors.New("the run is over")

// recordingWriter writes to the client with a deadline per write, and records what went out.
type recordingWriter struct {
	c    net.Conn
	rec  io.Writer
	idle time.Duration
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.idle)); err != nil {
		return 0, err
	}
	n, err := w.c.Write(b)
	w.rec.Write(b[:n])
	return n, err
}
