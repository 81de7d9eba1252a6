// Package watch is a judging proxy: a client talks to it instead of the server, it forwards
// every byte unchanged both ways as it comes, and it judges each request and response through
// the spec oracle on the way, naming the side that broke each rule. It is what tests a pair of
// a user's own client and server, which work with each other and may share a mistake.
//
// Bytes are forwarded as they are read, one buffer per direction: a payload is never held, so a
// 4 GiB upload passes in constant memory. A judge reads each direction through the codec
// (ref/wire for requests, diagnosis.Profile.ReadHead for responses) from the forwarder's own
// buffer, and the forwarder waits for it before it reads again: the judge sees every byte, in
// order, and knows of each byte whether the other side had sent anything since (a mark), which
// tells bytes after a message from the next message.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/pcapng"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// DefaultTimeout bounds the connect to the server.
const DefaultTimeout = 5 * time.Second

// bufSize is each direction's one buffer.
const bufSize = 32 << 10

// Config is a watch.
type Config struct {
	// Listen is where clients connect, host:port; without a host, loopback only.
	Listen string
	// To is the server, host:port.
	To string
	// Count ends the watch after this many connections have ended; 0 watches until the
	// context ends.
	Count int
	// Timeout bounds each connect to the server; default DefaultTimeout.
	Timeout time.Duration
	// Log gets a line per exchange and per finding, as they happen; nil for none.
	Log io.Writer
	// Capture, when set, records every connection as the client and the server saw it.
	Capture *capture.Recorder
}

// Side is the end of a connection that broke a rule.
type Side string

const (
	SideClient Side = "client"
	SideServer Side = "server"
)

// Finding is a broken rule, with the side that broke it, the connection (from 1) and the
// number of the exchange on it (from 1; 0 for none). The embedded finding's Exchange holds the
// exchange's bytes.
type Finding struct {
	report.Finding
	Side       Side `json:"side"`
	Connection int  `json:"connection"`
	Number     int  `json:"exchange_number"`
}

// Line is the finding in a line, as the watch prints it.
func (f *Finding) Line() string {
	return fmt.Sprintf("%s: %s; expected %s (%s)", f.Side, f.Actual, f.Expected, f.Requirement)
}

// Result is what a watch saw.
type Result struct {
	Listen      string        `json:"listen"`
	Target      string        `json:"target"`
	Connections int           `json:"connections"`
	Exchanges   int           `json:"exchanges"`
	Findings    []*Finding    `json:"findings"`
	Elapsed     time.Duration `json:"duration_ns"`
	// Bytes forwarded: from the clients, from the server.
	BytesUp   int64 `json:"bytes_up"`
	BytesDown int64 `json:"bytes_down"`
	// Interrupted: the watch ended while connections were open.
	Interrupted bool `json:"interrupted"`
	// Failed lists connections to the server that could not be made.
	Unreachable int `json:"unreachable,omitempty"`
}

// Side returns the findings of side s.
func (r *Result) Side(s Side) []report.Finding {
	var out []report.Finding
	for _, f := range r.Findings {
		if f.Side == s {
			out = append(out, f.Finding)
		}
	}
	return out
}

// Proxy is a watch that listens.
type Proxy struct {
	cfg Config
	ln  net.Listener

	mu       sync.Mutex
	res      Result
	held     map[heldKey]spec.Holding
	logMu    sync.Mutex
	stopping atomic.Bool
	up, down atomic.Int64
}

type heldKey struct {
	user uint32
	name string
}

// Listen binds the watch's address.
func Listen(cfg Config) (*Proxy, error) {
	if cfg.To == "" {
		return nil, errors.New("watch: no server address")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	addr := cfg.Listen
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		// A port alone listens on loopback: a watch is opened to another host on purpose.
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Proxy{cfg: cfg, ln: ln, held: map[heldKey]spec.Holding{}}, nil
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Run forwards and judges connections until ctx ends or Count connections have ended.
func (p *Proxy) Run(ctx context.Context) *Result {
	start := time.Now()
	p.res.Listen, p.res.Target = p.Addr(), p.cfg.To
	var wg sync.WaitGroup
	var conns sync.Map // *connection -> struct{}
	stop := context.AfterFunc(ctx, func() {
		// Interrupted: no more connections, and what is still open is cut; its ends are not
		// judged.
		p.stopping.Store(true)
		p.ln.Close()
		conns.Range(func(k, _ any) bool { k.(*connection).abort(); return true })
	})
	defer stop()
	accepted := 0
	for p.cfg.Count == 0 || accepted < p.cfg.Count {
		c, err := p.ln.Accept()
		if err != nil {
			break
		}
		accepted++
		cn := &connection{p: p, n: accepted, client: c}
		conns.Store(cn, struct{}{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			cn.serve()
			conns.Delete(cn)
		}()
	}
	p.ln.Close()
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.res.Elapsed = time.Since(start)
	p.res.BytesUp, p.res.BytesDown = p.up.Load(), p.down.Load()
	p.res.Interrupted = ctx.Err() != nil
	res := p.res
	return &res
}

func (p *Proxy) logf(format string, args ...any) {
	if p.cfg.Log == nil {
		return
	}
	p.logMu.Lock()
	defer p.logMu.Unlock()
	fmt.Fprintf(p.cfg.Log, format+"\n", args...)
}

// exchange is one request on a connection and its answer.
type exchange struct {
	n     int
	q     spec.Request
	user  uint32
	line  string // the request, for the log
	after int64  // bytes the client sent after it before the answer began
	// The bytes of each side, their head and tail, for a finding's evidence; written and read
	// under the connection's lock.
	sent, recv *report.ClipWriter
	outcome    string
}

// clipTo is a writer into a clip under the connection's lock.
type clipTo struct {
	mu *sync.Mutex
	w  *report.ClipWriter
}

func (c clipTo) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Write(b)
}

// evidence is ex's bytes so far, as a finding shows them.
func (c *connection) evidence(ex *exchange) *report.Exchange {
	if ex == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &report.Exchange{Label: ex.line, Conn: c.n, Outcome: ex.outcome}
	if ex.sent != nil {
		e.Sent = ex.sent.Clip()
	}
	if ex.recv != nil {
		e.Received = ex.recv.Clip()
	}
	return e
}

// connection is one client's connection and the server connection it is forwarded to.
type connection struct {
	p      *Proxy
	n      int
	client net.Conn
	server net.Conn
	flow   *pcapng.Flow
	label  string

	// Bytes each side sent so far, counted before they are forwarded: the marks.
	sentUp, sentDown atomic.Int64
	aborted          atomic.Bool
	// clientGone: the client closed or reset its side, before the server could see it.
	clientGone atomic.Bool

	mu        sync.Mutex
	exchanges []*exchange
	partial   bool // a request has begun and its header is not whole
	answered  int  // responses whose head was read
	afterAny  bool // the client sent bytes after a request: answers to them are not judged
	failed    bool
}

func (c *connection) abort() {
	c.aborted.Store(true)
	c.client.Close()
	c.mu.Lock()
	s := c.server
	c.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

func (c *connection) serve() {
	p := c.p
	c.label = fmt.Sprintf("watch/connection-%d", c.n)
	d := net.Dialer{Timeout: p.cfg.Timeout}
	s, err := d.Dial("tcp", p.cfg.To)
	if err != nil {
		p.logf("connection %d: the server %s cannot be reached: %v", c.n, p.cfg.To, err)
		c.client.Close()
		p.mu.Lock()
		p.res.Unreachable++
		p.mu.Unlock()
		return
	}
	c.mu.Lock()
	c.server = s
	c.mu.Unlock()
	if p.stopping.Load() {
		c.abort()
	}
	p.mu.Lock()
	p.res.Connections++
	p.mu.Unlock()
	p.logf("connection %d: %s -> %s", c.n, c.client.RemoteAddr(), p.cfg.To)
	if rec := p.cfg.Capture; rec != nil {
		ca, _ := netip.ParseAddrPort(c.client.RemoteAddr().String())
		sa, _ := netip.ParseAddrPort(s.RemoteAddr().String())
		c.flow = rec.Flow(c.label, ca, sa, capture.Server, time.Now())
	}
	up, down := newFeed(), newFeed()
	var wg sync.WaitGroup
	wg.Add(4)
	go func() { defer wg.Done(); c.pump(c.client, s, up, pcapng.Client) }()
	go func() { defer wg.Done(); c.pump(s, c.client, down, pcapng.Server) }()
	go func() { defer wg.Done(); c.judgeRequests(up); up.drain() }()
	go func() { defer wg.Done(); c.judgeResponses(down); down.drain() }()
	wg.Wait()
	c.client.Close()
	s.Close()
	if rec := p.cfg.Capture; rec != nil {
		c.mu.Lock()
		failed := c.failed
		c.mu.Unlock()
		rec.End(c.label, failed, "")
	}
}

// pump forwards src to dst. Each read is judged first, then recorded, then written: the judge
// has registered a request before the server can answer it.
func (c *connection) pump(src, dst net.Conn, f *feed, from pcapng.Side) {
	sent, other, total := &c.sentUp, &c.sentDown, &c.p.up
	if from == pcapng.Server {
		sent, other, total = &c.sentDown, &c.sentUp, &c.p.down
	}
	buf := make([]byte, bufSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			sent.Add(int64(n))
			total.Add(int64(n))
			f.push(buf[:n], other.Load())
			if c.flow != nil {
				c.flow.Data(time.Now(), from, buf[:n], "")
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				// The other side is gone: so is this one.
				if from == pcapng.Server {
					c.clientGone.Store(true)
				}
				f.close(werr)
				src.Close()
				return
			}
		}
		if err != nil {
			if from == pcapng.Client {
				c.clientGone.Store(true)
			}
			if err == io.EOF {
				if c.flow != nil {
					c.flow.Fin(time.Now(), from)
				}
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					cw.CloseWrite()
				}
			} else {
				if c.flow != nil && errors.Is(err, syscall.ECONNRESET) {
					c.flow.Reset(time.Now(), from)
				}
				if tc, ok := dst.(*net.TCPConn); ok {
					// A reset is passed on as a reset.
					tc.SetLinger(0)
				}
				dst.Close()
			}
			f.close(err)
			return
		}
	}
}

// find records a violation of side on exchange ex (nil: none).
func (c *connection) find(side Side, ex *exchange, v *spec.Violation, what string) {
	if v == nil {
		return
	}
	n := 0
	if ex != nil {
		n = ex.n
	}
	where := fmt.Sprintf("connection %d", c.n)
	if n > 0 {
		// As the exchange's line in the log names it.
		where += fmt.Sprintf(" #%d", n)
	}
	fd := &Finding{Finding: report.FindingOf(v, c.evidence(ex), where), Side: side, Connection: c.n, Number: n}
	if what != "" {
		fd.Detail = what
	}
	c.mu.Lock()
	c.failed = true
	c.mu.Unlock()
	c.p.mu.Lock()
	c.p.res.Findings = append(c.p.res.Findings, fd)
	c.p.mu.Unlock()
	c.p.logf("  %s: %s", where, fd.Line())
	if c.flow != nil {
		from := pcapng.Client
		if side == SideServer {
			from = pcapng.Server
		}
		c.flow.Note(time.Now(), from, fd.Line())
	}
}

// limits decode whatever the fields can state: the watch judges, it does not refuse.
var limits = wire.Limits{MaxName: wire.MaxNameField, MaxPayload: ^uint32(0)}

// judgeRequests reads the client's stream request by request.
func (c *connection) judgeRequests(f *feed) {
	tee := &report.RecordingReader{R: f}
	r := wire.NewReader(tee, limits)
	var h wire.RequestHeader
	for i := 1; ; i++ {
		if _, ok := f.peekMark(); !ok {
			c.clientEnded(nil)
			return
		}
		c.mu.Lock()
		c.partial = true
		if i > 2 {
			// The bytes of an exchange two requests back are judged: a connection that
			// carries many requests keeps the clips of the last two only.
			old := c.exchanges[i-3]
			old.sent, old.recv = nil, nil
		}
		c.mu.Unlock()
		ex := &exchange{n: i, sent: &report.ClipWriter{}}
		tee.Rec = clipTo{&c.mu, ex.sent}
		err := r.ReadRequestHeader(&h)
		ex.user, ex.q = h.UserID, spec.Request{Op: h.Op, Name: append([]byte(nil), h.Name...)}
		cr := &spec.ClientRequest{UserID: h.UserID, Version: h.Version, Op: uint8(h.Op), Name: ex.q.Name, Size: h.Size, Got: r.Offset()}
		cr.Want = cr.HeaderLen() + int64(h.Size)
		switch {
		case err == nil:
		case errors.Is(err, wire.ErrUnknownOp):
			ex.q.Form = spec.UnknownOp
		default:
			ex.q.Form = spec.Truncated
		}
		ex.line = describeRequest(cr, ex.q)
		c.mu.Lock()
		c.partial = false
		c.exchanges = append(c.exchanges, ex)
		c.mu.Unlock()
		c.p.mu.Lock()
		c.p.res.Exchanges++
		c.p.mu.Unlock()
		if r.Offset() >= 6 {
			c.find(SideClient, ex, spec.JudgeClientVersion(h.Version), "")
			c.find(SideClient, ex, spec.JudgeClientOp(uint8(h.Op), nil), "")
		}
		if ex.q.Form == spec.UnknownOp {
			// Where the request ends is unknown: nothing after it can be read.
			return
		}
		if err != nil {
			c.clientEnded(func() { c.find(SideClient, ex, spec.JudgeRequestLayout(cr), "") })
			return
		}
		if h.Size > 0 {
			got, err := io.Copy(io.Discard, r.Payload())
			if err != nil {
				cr.Got += got
				c.clientEnded(func() {
					c.find(SideClient, ex, spec.JudgeUpload(spec.Upload{Name: cr.Name, Size: cr.Size, Got: got, Mismatch: -1, FileName: string(cr.Name), FileLen: int64(cr.Size)}), "")
				})
				return
			}
		}
		// Bytes that come before the server has sent anything since the request ended are
		// bytes after it, not the next request.
		if cr.After, cr.AfterLen = f.takeUnanswered(tee.Rec); cr.AfterLen > 0 {
			ex.after = cr.AfterLen
			c.mu.Lock()
			c.afterAny = true
			c.mu.Unlock()
			c.find(SideClient, ex, spec.JudgeRequestLayout(cr), "")
		}
	}
}

// clientEnded notes that the client's stream ended; judge, when not nil, judges how, unless
// the watch cut the connection itself.
func (c *connection) clientEnded(judge func()) {
	c.mu.Lock()
	c.partial = false
	c.mu.Unlock()
	if judge != nil && !c.aborted.Load() {
		judge()
	}
}

// canonical lays responses out as SPEC §3 does.
func canonical(code uint16) (wire.Fields, bool) { return wire.Status(code).Fields() }

// judgeResponses reads the server's stream response by response, each against its request.
func (c *connection) judgeResponses(f *feed) {
	var prof diagnosis.Profile
	for i := 1; ; i++ {
		if _, ok := f.peekMark(); !ok {
			c.serverEnded(i)
			return
		}
		recv := &report.ClipWriter{}
		got := &report.RecordingReader{R: f, Rec: clipTo{&c.mu, recv}}
		h, err := prof.ReadHead(got, canonical)
		c.mu.Lock()
		c.answered = i
		var ex *exchange
		if i <= len(c.exchanges) {
			ex = c.exchanges[i-1]
			ex.recv = recv
			ex.outcome = fmt.Sprintf("status %d", h.Status)
		}
		afterAny, partial := c.afterAny, c.partial
		c.mu.Unlock()
		if ex == nil {
			// An answer to bytes the client sent after a request, or to a request not yet
			// whole, is not the server's fault alone; one to nothing is bytes after the last
			// response.
			c.p.logf("connection %d: a response with no whole request before it", c.n)
			if !afterAny && !partial {
				c.find(SideServer, nil, &spec.Violation{Req: spec.R3_1, Check: spec.CheckTrailingBytes, Expected: "no response before a request",
					Actual: fmt.Sprintf("a %d response with no request to answer", h.Status)}, "")
			}
			return
		}
		if !h.StatusRead {
			c.find(SideServer, ex, spec.JudgeResponseCut(0, got.N, 3), "")
			return
		}
		if !h.Defined {
			c.find(SideServer, ex, spec.JudgeStatusCode(h.Status), "")
			c.p.logf("connection %d #%d: %s -> status %d", c.n, ex.n, ex.line, h.Status)
			return
		}
		st := wire.Status(h.Status)
		c.p.logf("connection %d #%d: %s -> %d %s", c.n, ex.n, ex.line, h.Status, st.Name(ex.q.Op))
		if err != nil {
			if !c.aborted.Load() {
				c.find(SideServer, ex, spec.JudgeResponseCut(h.Status, got.N, got.N+1), "the response's header was cut")
			}
			return
		}
		if v := spec.JudgeAnswer(ex.q, st, h.Name); v != nil {
			c.find(SideServer, ex, v, "")
		} else {
			c.judgeHeld(ex, st)
		}
		if h.Size > 0 {
			n, err := io.CopyN(io.Discard, got, int64(h.Size))
			if err != nil {
				if !c.aborted.Load() {
					head := got.N
					c.find(SideServer, ex, spec.JudgeResponseCut(h.Status, head+n, head+int64(h.Size)), "")
				}
				return
			}
		}
		// Bytes before the client sent anything more are bytes after the response.
		if trailing, count := f.takeUnanswered(got.Rec); count > 0 {
			v := spec.TrailingBytes(h.Status, h.Fields, h.Size, true, trailing)
			if count > int64(len(trailing)) {
				v.Actual = fmt.Sprintf("%d more bytes followed the response: % x …", count, trailing)
			}
			c.find(SideServer, ex, v, "")
		}
	}
}

// judgeHeld judges an answer against what the watch saw of the file before, and notes what it
// says of the file now.
func (c *connection) judgeHeld(ex *exchange, st wire.Status) {
	k := heldKey{ex.user, string(ex.q.Name)}
	c.p.mu.Lock()
	h := c.p.held[k]
	if nh, ok := spec.HoldingAfter(ex.q, st); ok {
		c.p.held[k] = nh
	}
	c.p.mu.Unlock()
	c.find(SideServer, ex, spec.JudgeHeld(ex.q, st, h), "")
}

// serverEnded judges a server that closed after i-1 responses: a whole request still waiting
// for its answer, with the client still there, is owed one.
func (c *connection) serverEnded(i int) {
	if c.aborted.Load() {
		return
	}
	c.mu.Lock()
	var ex *exchange
	if i <= len(c.exchanges) {
		ex = c.exchanges[i-1]
	}
	c.mu.Unlock()
	if ex == nil || c.clientGone.Load() || ex.after > 0 {
		return
	}
	c.find(SideServer, ex, spec.JudgeUnanswered(ex.q), "")
}

func describeRequest(cr *spec.ClientRequest, q spec.Request) string {
	switch q.Form {
	case spec.Truncated:
		return fmt.Sprintf("a request cut short after %d bytes", cr.Got)
	case spec.UnknownOp:
		return fmt.Sprintf("user %d: op %d", cr.UserID, cr.Op)
	}
	return fmt.Sprintf("user %d: %s", cr.UserID, cr.String())
}
