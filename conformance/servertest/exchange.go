package servertest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// ending is how an exchange with the server ended. A case can expect any of them: a
// truncated request, for instance, expects no response at all.
type ending string

const (
	// endAnswered: a whole response of a status the dialect defines arrived.
	endAnswered ending = "response"
	// endTimeout: nothing, or part of a response, arrived before the timeout.
	endTimeout ending = "timeout"
	// endClosed: the server closed the connection (EOF) before a whole response.
	endClosed ending = "closed"
	// endReset: the connection was reset.
	endReset ending = "reset"
	// endRefused: the runner could not connect.
	endRefused ending = "refused"
	// endSentOnly: the runner sent the request (often cut short) and closed or kept the
	// connection without reading: no answer is owed.
	endSentOnly ending = "sent-only"
	// endUndefined: a response began with a status the dialect does not define, so its layout is unknown.
	endUndefined ending = "undefined-status"
	// endBlocked: the request was not sent, for a problem found earlier keeps its op from
	// being tested (the reply's blockedBy says which).
	endBlocked ending = "blocked"
)

// classify turns a network error into an outcome.
func classify(err error) ending {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return endTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return endReset
	case errors.Is(err, syscall.ECONNREFUSED):
		return endRefused
	}
	return endClosed
}

// reply is what came back for one request, decoded by the runner itself under the run's
// dialect. Its fields are meaningful only when Outcome is Answered, except Got.
type reply struct {
	Outcome  ending
	Err      error // the error that ended the exchange, when it did not end with a response
	WriteErr error // sending failed part way; the server may still have answered
	Version  uint8
	Status   uint16
	Fields   wire.Fields // the layout the status has in the dialect
	Name     []byte
	Size     uint32
	// Payload holds the payload when it was read into memory.
	Payload []byte
	// PayloadRead is false when the size field was over what the case accepts (or differed from
	// the expected content's length), so the runner left the payload unread.
	PayloadRead bool
	// Mismatch is the offset of the first payload byte that differs from the expected content,
	// -1 if none (only when the case gave expected content).
	Mismatch int64
	// Got is how many bytes of the response arrived.
	Got int64
	// statusRead: the version and status arrived, whatever became of the fields after them.
	statusRead bool
	// Trailing holds bytes that arrived after the response's end, once the tail check is done.
	Trailing []byte

	Elapsed time.Duration
	// Wait is how long the answer took once the request was sent: the server's latency, for
	// a small answer.
	Wait    time.Duration
	index   int // the exchange's index in the case's record
	dialect *spec.Dialect
	// req is what was asked: its op, and whether the spec defines it.
	req spec.Request
	// pieces: the request went out a byte or a few at a time.
	pieces bool
	// blockedBy is the problem key of a request not sent (Outcome endBlocked), and
	// blockedReq the rule of that problem.
	blockedBy  string
	blockedReq spec.ID
}

// noAnswer is the problem key of r when it is no answer ("" when it is one), and the rule the
// missing answer breaks.
func (r *reply) noAnswer() (key string, req spec.ID) {
	if r.cut() {
		// A response cut short after its status, by a close or by silence: its layout's
		// fault, not an answer missing.
		return diagnosis.KeyCut(r.Status), spec.R3_1
	}
	switch r.Outcome {
	case endClosed, endReset:
		if r.pieces && r.Got == 0 {
			return diagnosis.KeyPieces(string(r.Outcome)), spec.R1_1
		}
		return diagnosis.KeyUnanswered(r.req, string(r.Outcome)), r.unansweredReq()
	case endTimeout, endRefused:
		if r.pieces && r.Got == 0 && r.Outcome == endTimeout {
			return diagnosis.KeyPieces(string(r.Outcome)), spec.R1_1
		}
		return diagnosis.KeyUnanswered(r.req, string(r.Outcome)), r.unansweredReq()
	case endBlocked:
		return r.blockedBy, r.blockedReq
	}
	return "", ""
}

// unansweredReq is the rule r's missing answer breaks: a connection refused is the server
// down, whatever was asked, as KeyUnanswered files it.
func (r *reply) unansweredReq() spec.ID {
	if r.Outcome == endRefused && r.req.Form == spec.BadName {
		return spec.R1_3
	}
	return r.req.Owed()
}

// cut reports whether r is a response of a status the dialect defines that ended before its
// fields did: the status can be read, and is judged as any other (status first).
func (r *reply) cut() bool {
	switch r.Outcome {
	case endTimeout, endClosed, endReset:
		_, defined := r.dialect.Layout(r.Status)
		return r.statusRead && defined
	}
	return false
}

// statusIs reports whether r carries one of ms, a response cut short after its status
// included: what a status says (a 212 to an unsafe name accepts it) stands whatever follows.
func (r *reply) statusIs(ms ...spec.Meaning) bool {
	if r.cut() {
		for _, m := range ms {
			if r.dialect.Means(r.Status, m) {
				return true
			}
		}
		return false
	}
	return r.is(ms...)
}

// answered reports whether a status came back, whole or cut short after it.
func (r *reply) answered() bool {
	return r.Outcome == endAnswered || r.Outcome == endUndefined || r.cut()
}

// is reports whether r is a whole response carrying one of ms.
func (r *reply) is(ms ...spec.Meaning) bool {
	if r.Outcome != endAnswered {
		return false
	}
	for _, m := range ms {
		if r.dialect.Means(r.Status, m) {
			return true
		}
	}
	return false
}

// String says what came back, in a line.
func (r *reply) String() string {
	switch r.Outcome {
	case endAnswered:
		s := "status " + r.dialect.DescribeCode(r.Status)
		if r.Fields.Has(wire.HasName) {
			s += " name " + spec.Quote(r.Name)
		}
		if r.Fields.Has(wire.HasPayload) {
			s += fmt.Sprintf(" size %d", r.Size)
		}
		return s
	case endTimeout, endClosed, endReset:
		s := r.failure()
		if r.WriteErr != nil {
			s += fmt.Sprintf(" (sending had failed: %v)", r.WriteErr)
		}
		return s
	case endRefused:
		return fmt.Sprintf("could not connect: %v", r.Err)
	case endUndefined:
		return fmt.Sprintf("status %d, which the %s dialect does not define", r.Status, r.dialect.Name)
	case endSentOnly:
		if r.WriteErr != nil {
			return fmt.Sprintf("sending failed: %v", r.WriteErr)
		}
		return "sent; no answer read"
	case endBlocked:
		if r.Err != nil {
			return "not sent, " + r.Err.Error()
		}
		return "not sent"
	}
	return string(r.Outcome)
}

// failure says how an exchange ended without a response: after which status, when it came.
func (r *reply) failure() string {
	if r.cut() {
		return "status " + r.dialect.DescribeCode(r.Status) + ", cut short: " + r.ending()
	}
	return r.ending()
}

func (r *reply) ending() string {
	switch r.Outcome {
	case endTimeout:
		if r.Got > 0 {
			return fmt.Sprintf("only %d bytes of a response, then nothing until the timeout", r.Got)
		}
		return "no answer within the timeout"
	case endClosed:
		if r.Got > 0 {
			return fmt.Sprintf("connection closed after %d bytes of a response", r.Got)
		}
		return "connection closed without a response"
	}
	return fmt.Sprintf("connection reset after %d bytes of a response", r.Got)
}

// record is one request and its reply as the case saw them, bytes clipped as they passed;
// row turns it into what the report keeps.
type record struct {
	label      string
	conn       int // the connection it used, numbered within the case
	sent, recv report.ClipWriter
	reply      *reply
}

func (x *record) row() report.Exchange {
	e := report.Exchange{Label: x.label, Conn: x.conn, Sent: x.sent.Clip(), Received: x.recv.Clip()}
	if x.reply != nil {
		e.Outcome = x.reply.String()
		if len(x.reply.Trailing) > 0 {
			e.Outcome += fmt.Sprintf(", then %d bytes more", len(x.reply.Trailing))
		}
	}
	return e
}

// send is what to put on the wire for one request.
type send struct {
	label string
	head  []byte    // header, and a small payload
	body  io.Reader // a payload streamed after head, or nil
	bodyN int64
	chunk int           // >0: write at most this many bytes per write
	pause time.Duration // between chunks
	// closeAfter closes the connection right after sending, for truncated requests.
	closeAfter bool
	// noTail skips the check for bytes after the response: the reply was read only in part.
	noTail bool
	// raw sends and reads the bytes as they are, without the workarounds of the run's
	// profile: for the cases that check the very rule a workaround speaks around.
	raw bool
	// oneWrite sends a BACKUP's header and payload in one write, whatever the profile: for
	// the case of the server that drops a payload that comes with its header.
	oneWrite bool
}

// requestOf is what the spec makes of a request's bytes, read by the codec: its op, its
// filename, and its form.
func requestOf(head []byte) spec.Request {
	if len(head) < wire.RequestPrefixLen {
		return spec.Request{Form: spec.Truncated}
	}
	q := spec.Request{Op: wire.Op(head[5])}
	if !q.Op.Known() {
		q.Form = spec.UnknownOp
		return q
	}
	var h wire.RequestHeader
	if wire.NewReader(bytes.NewReader(head), wire.Limits{MaxName: wire.MaxNameField}).ReadRequestHeader(&h) != nil {
		// Sent cut short on purpose: the case judges what comes of it.
		return q
	}
	return spec.Named(h.Op, h.Name)
}

// headerLen is the length of a BACKUP's header in head, up to its size field; 0 for another op.
func headerLen(head []byte) int {
	if len(head) < 8 || wire.Op(head[5]) != wire.OpBackup {
		return 0
	}
	return 12 + int(binary.LittleEndian.Uint16(head[6:8]))
}

// readSpec bounds what the runner reads of a response.
type readSpec struct {
	maxPayload int64            // payloads over this are not read
	expect     *content.Content // compare the payload against this instead of keeping it
	dialect    *spec.Dialect    // read by this mapping's layouts instead of the case's
}

// caseConn is a connection a case uses for several requests in a row.
type caseConn struct {
	t   *caseRun
	c   net.Conn
	num int
}

// dial opens a connection, bounded by the timeout and the run's context.
func (t *caseRun) dial() (*caseConn, error) {
	d := net.Dialer{Timeout: t.run.cfg.Timeout}
	c, err := d.DialContext(t.ctx, "tcp", t.run.target())
	if err != nil {
		return nil, err
	}
	if rec := t.run.cfg.Capture; rec != nil {
		c = rec.Wrap(c, t.c.ID, capture.Client)
	}
	t.mu.Lock()
	t.conns++
	n := t.conns
	t.open = append(t.open, c)
	t.mu.Unlock()
	return &caseConn{t: t, c: c, num: n}, nil
}

// mustDial opens a connection the case manages itself (several requests, a stall).
// The runner closes it when the case ends.
func (t *caseRun) mustDial() *caseConn {
	c, err := t.dial()
	if err != nil {
		t.fatalf(spec.R1_3, nil, "a connection", "could not connect: %v", err)
	}
	return c
}

// close closes the connection.
func (c *caseConn) close() { c.t.closeConn(c.c, false) }

// write sends raw bytes with a deadline and records nothing: for stalls and partial requests
// whose bytes a later Exchange records.
func (c *caseConn) write(b []byte) error {
	c.t.noteSent(b)
	_, err := (&deadline.Conn{Conn: c.c, Idle: c.t.run.cfg.Timeout}).Write(b)
	return err
}

// do sends a request on c and reads its response, without a tail check: the connection stays
// at a message boundary for the next request. A payload is kept up to the run's list bound.
func (c *caseConn) do(label string, req []byte) *reply {
	return c.t.exchange(c, send{label: label, head: req}, readSpec{maxPayload: c.t.run.cfg.MaxList}, false)
}

// doRaw is do with the bytes as the spec writes them, without the run's workarounds.
func (c *caseConn) doRaw(label string, req []byte) *reply {
	return c.t.exchange(c, send{label: label, head: req, raw: true}, readSpec{maxPayload: c.t.run.cfg.MaxList}, false)
}

// roundtripBytes sends req on a fresh connection and reads the response, keeping a payload up to
// the run's list bound; after it, a tail check looks for bytes beyond the response's end and
// then closes the connection.
func (t *caseRun) roundtripBytes(label string, req []byte) *reply {
	return t.roundtrip(send{label: label, head: req}, readSpec{maxPayload: t.run.cfg.MaxList})
}

func (t *caseRun) roundtrip(s send, rs readSpec) *reply {
	q := requestOf(s.head)
	if key, req, why := t.run.blocked(q.Op, s); key != "" {
		ex := t.record(s.label, 0)
		r := &reply{Outcome: endBlocked, blockedBy: key, blockedReq: req, Err: errors.New(why), Mismatch: -1, index: ex, dialect: t.dialect, req: q}
		t.finishRecord(ex, r)
		return r
	}
	c, err := t.dial()
	if err != nil {
		ex := t.record(s.label, 0)
		r := &reply{Outcome: classify(err), Err: err, Mismatch: -1, index: ex, dialect: t.dialect, req: q}
		if r.Outcome != endReset && r.Outcome != endTimeout {
			r.Outcome = endRefused
		}
		t.finishRecord(ex, r)
		return r
	}
	return t.exchange(c, s, rs, true)
}

// record adds an exchange to the case's record and returns its index.
func (t *caseRun) record(label string, conn int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.exchanges = append(t.exchanges, &record{label: label, conn: conn})
	return len(t.exchanges) - 1
}

func (t *caseRun) finishRecord(i int, r *reply) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.exchanges[i].reply = r
}

func (t *caseRun) ex(i int) *record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.exchanges[i]
}

// pacedWriter writes in chunks of at most chunk bytes (at once when 0), pausing between them,
// and records what went out.
type pacedWriter struct {
	w     io.Writer
	chunk int
	pause time.Duration
	rec   io.Writer
}

func (w *pacedWriter) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		if done > 0 && w.pause > 0 {
			time.Sleep(w.pause)
		}
		k := len(b) - done
		if w.chunk > 0 {
			k = min(k, w.chunk)
		}
		n, err := w.w.Write(b[done : done+k])
		w.rec.Write(b[done : done+n])
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (t *caseRun) exchange(c *caseConn, s send, rs readSpec, fresh bool) *reply {
	start := time.Now()
	i := t.record(s.label, c.num)
	ex := t.ex(i)
	r := &reply{Mismatch: -1, index: i, dialect: cmp.Or(rs.dialect, t.dialect), req: requestOf(s.head), pieces: s.chunk > 0 && s.chunk < wire.RequestPrefixLen}
	t.noteSent(s.head)
	defer t.finishRecord(i, r)
	// A raw request goes out as the spec writes it; its answer is read as the server frames
	// answers all the same.
	sending := &t.run.profile
	if s.raw {
		sending = &diagnosis.Profile{}
	}
	hl := headerLen(s.head)
	if s.oneWrite {
		hl = 0
	}
	writes, err := sending.Writes(s.head, r.req.Op, hl)
	if s.closeAfter {
		// A request cut short on purpose stays cut: see diagnosis.Profile.CutWrites.
		writes, err = sending.CutWrites(s.head, r.req.Op, hl)
	}
	if err == nil && s.body != nil && sending.FrameSize > 0 {
		err = fmt.Errorf("%w: %s-byte payload", diagnosis.ErrFrameTooSmall, words.A(int(s.bodyN)))
	}
	if err != nil {
		// The server's framing cannot carry this request: the case cannot go on with it.
		t.closeConn(c.c, false)
		r.Outcome, r.Err, r.blockedBy, r.blockedReq = endBlocked, err, t.run.profileKey, spec.R2_1
		return r
	}
	// Every wait has its deadline, and each half of the exchange one more: a server that reads
	// or answers a byte at a time cannot hold a case for longer than the timeout and the time
	// its bytes take at a modest rate. Sending counts its own pauses.
	sendN := s.bodyN + int64(len(s.head))
	pauses := time.Duration(0)
	if s.chunk > 0 {
		pauses = s.pause * time.Duration(sendN/int64(s.chunk)+1)
	}
	// A loaded machine stretches the pauses: they count twice, and the timeout too.
	dc := &deadline.Conn{Conn: c.c, Idle: t.run.cfg.Timeout, End: start.Add(2*t.run.cfg.Timeout + deadline.Transfer(sendN) + 2*pauses)}
	w := &pacedWriter{w: dc, chunk: s.chunk, pause: s.pause, rec: &ex.sent}
	err = t.writeApart(w, writes)
	if err == nil && s.body != nil {
		if len(writes) > 1 || sending.SplitBackup {
			time.Sleep(t.run.splitPause())
		}
		_, err = io.CopyN(w, s.body, s.bodyN)
	}
	r.WriteErr = err
	if s.closeAfter {
		t.closeConn(c.c, false)
		r.Outcome = endSentOnly
		r.Elapsed = time.Since(start)
		return r
	}
	if sending.HalfClose && fresh {
		deadline.Leave(c.c)
	}
	sentAt := time.Now()
	readN := rs.maxPayload
	if rs.expect != nil {
		readN = rs.expect.Len()
	}
	dc.End = time.Now().Add(t.run.cfg.Timeout + deadline.Transfer(readN))
	rd := &report.RecordingReader{R: dc, Rec: &ex.recv}
	skipTail := t.readResponse(rd, r, rs)
	r.Got = rd.N
	r.Elapsed, r.Wait = time.Since(start), time.Since(sentAt)
	t.run.noteAnswer(r, s.raw || s.oneWrite || t.c.Hostile || t.c.concurrent || r.pieces)
	if !fresh && t.run.profile.AckResponses && r.Outcome == endAnswered && !skipTail {
		// The server reads the connection's next request only once this response is
		// acknowledged: the acknowledgement is a workaround of its framing, so a raw
		// request's answer gets one too.
		if _, err := w.Write(diagnosis.Ack); err != nil {
			r.WriteErr = err
		}
	}
	if fresh && (skipTail || s.noTail) && (r.Outcome == endAnswered || r.Outcome == endUndefined) {
		// The case read what it needed and leaves the rest of the response: it is read and
		// dropped before the close, as a close with bytes unread is a reset.
		bound := t.run.cfg.MaxList
		if skipTail && r.Fields.Has(wire.HasPayload) {
			bound = int64(r.Size)
		}
		t.background(func() {
			t.closeConn(c.c, t.settle(c.c, &ex.recv, bound))
		})
		return r
	}
	if !fresh || skipTail || s.noTail || r.Outcome == endClosed || r.Outcome == endReset {
		if fresh {
			t.closeConn(c.c, r.Outcome == endClosed || r.Outcome == endReset)
		}
		return r
	}
	// The response is complete: whatever arrives within the grace period is beyond its end.
	// The check runs in the background so that the case goes on; the case's end waits for it.
	// A server that serves one connection at a time would be held by it, and left to read the
	// case's next request late: there the check is done before the case goes on.
	t.background(func() {
		serverClosed := false
		defer func() { t.closeConn(c.c, serverClosed) }()
		// The sending half is closed first, as a client that is done: a server that closes
		// when its client leaves ends the watch with its own close, and whatever it sends
		// beyond the response arrives before that close. The grace bounds the watch on a
		// server that keeps the connection open all the same.
		deadline.Leave(c.c)
		c.c.SetReadDeadline(time.Now().Add(t.run.cfg.Grace))
		buf := make([]byte, report.ClipHead)
		n, err := io.ReadFull(c.c, buf)
		serverClosed = serverEnded(err)
		if n > 0 {
			ex.recv.Write(buf[:n])
			r.Trailing = buf[:n]
		}
		if n == len(buf) {
			// More may follow: the connection is not closed on it unread.
			serverClosed = t.settle(c.c, &ex.recv, t.run.cfg.MaxList)
		}
	})
	return r
}

// background runs f, the end of an exchange, beside the case as it goes on; the case's end
// waits for it. A server that serves one connection at a time would be held by it, and left
// to read the case's next request late: there f runs before the case goes on.
func (t *caseRun) background(f func()) {
	if t.run.profile.Serial {
		f()
		return
	}
	t.tails.Add(1)
	go func() {
		defer t.tails.Done()
		f()
	}()
}

// settle reads and drops what the server still sends on c, recording it in rec, until the
// server closes, goes quiet for the grace period or has sent bound bytes more (and a little
// slack), so that the case closes c with nothing unread: a close with bytes in the receive
// buffer sends a reset, which kills some servers, and a case must not cause a fault that
// another case is aimed at. Every read is bounded by the timeout and the whole by the time
// the bytes take. It reports whether the server closed the connection.
func (t *caseRun) settle(c net.Conn, rec io.Writer, bound int64) (serverClosed bool) {
	// The server's close ends it as soon as the server has sent all it means to (see deadline.Leave).
	deadline.Leave(c)
	bound = min(bound, maxSettle) + report.ClipHead
	dc := &deadline.Conn{Conn: c, Idle: t.run.cfg.Grace, End: time.Now().Add(t.run.cfg.Timeout + deadline.Transfer(bound))}
	n, err := io.Copy(rec, io.LimitReader(dc, bound))
	// io.Copy ends without an error at the end of the stream, or at the bound.
	return err == nil && n < bound || serverEnded(err)
}

// maxSettle bounds what settle reads: a server that claims a 4 GiB payload and sends it is not
// waited for to its end.
const maxSettle = 16 << 20

// writeApart writes the writes of a request as the profile cuts it, pausing between them: a
// BACKUP's payload apart from its header, say, where the server must have read the header alone
// before the payload arrives.
func (t *caseRun) writeApart(w io.Writer, writes [][]byte) error {
	for k, b := range writes {
		if k > 0 {
			time.Sleep(t.run.splitPause())
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// readResponse decodes one response from rd by the dialect's layout, with the one decoder of
// responses (diagnosis.Profile.ReadHead) in the order the server writes its fields, reading no
// further than the layout and spec allow. It reports whether the stream was left off a message
// boundary, so that a tail check would be meaningless.
func (t *caseRun) readResponse(rd io.Reader, r *reply, rs readSpec) (offBoundary bool) {
	fail := func(err error) bool {
		r.Err = err
		r.Outcome = classify(err)
		return true
	}
	h, err := t.run.profile.ReadHead(rd, r.dialect.Layout)
	r.Version, r.Status, r.statusRead, r.Name = h.Version, h.Status, h.StatusRead, h.Name
	if h.Defined {
		r.Fields = h.Fields
	}
	if err != nil {
		return fail(err)
	}
	if !h.Defined {
		// The layout is unknown: the tail check shows the bytes that follow.
		r.Outcome = endUndefined
		return false
	}
	f := h.Fields
	if f.Has(wire.HasPayload) {
		r.Size = h.Size
		switch {
		case rs.expect != nil && int64(r.Size) != rs.expect.Len():
			r.Outcome = endAnswered
			return true
		case rs.expect != nil:
			check := content.NewChecker(*rs.expect)
			if _, err := io.CopyN(check, rd, int64(r.Size)); err != nil {
				return fail(err)
			}
			r.Mismatch = check.Mismatch()
		case int64(r.Size) > rs.maxPayload:
			r.Outcome = endAnswered
			return true
		default:
			var buf bytes.Buffer
			if _, err := io.CopyN(&buf, rd, int64(r.Size)); err != nil {
				return fail(err)
			}
			r.Payload = buf.Bytes()
		}
		r.PayloadRead = true
	}
	r.Outcome = endAnswered
	return false
}

// closeAll closes every connection the case opened; a context cancellation uses it too.
func (t *caseRun) closeAll() {
	for _, c := range cloneLocked(&t.mu, &t.open) {
		// Still open here: not seen closed by the server (see departures).
		t.closeConn(c, false)
	}
}

// watchContext closes the case's connections when ctx ends, so that no read outlives it.
func (t *caseRun) watchContext(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, t.closeAll)
}
