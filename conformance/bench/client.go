package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/wire"
)

// readLimits let any name through that name_len can state, so that a wrong one is judged
// rather than refused by the decoder. Payload sizes are bounded by the client itself.
var readLimits = wire.Limits{MaxName: wire.MaxNameField}

// maxCandidates bounds the versions a client keeps as possibly stored under one name while
// requests fail without telling what happened; past it the client accepts any version of its
// own.
const maxCandidates = 8

// fileName is the name of file i.
func fileName(i int) []byte { return fmt.Appendf(nil, "bench-%02d.bin", i) }

// listingBound is the longest listing a user of these names can have: every name on a line
// of its own, "\r\n" ended.
func listingBound(names int) int64 { return int64(names) * int64(len(fileName(0))+2) }

// picker draws a client's next request.
type picker struct {
	rng   *rand.Rand
	mix   Mix
	sizes Sizes
	names int
}

// name draws a filename, among those for which held says true when there are any.
func (p *picker) name(held func(int) bool) int {
	var some []int
	for i := range p.names {
		if held(i) {
			some = append(some, i)
		}
	}
	if len(some) > 0 {
		return some[p.rng.IntN(len(some))]
	}
	return p.rng.IntN(p.names)
}

// server is a server under load and what its clients share: the users and, with Shared, what
// has been stored under the shared names.
type server struct {
	Target
	cfg      *Config
	userBase uint32
	names    [][]byte
	// issued[c][i] is the latest version client c has sent of name i: with Shared, a RESTORE
	// may return any version up to it.
	issued [][]atomic.Uint32
	// stored[i] is set once a BACKUP of shared name i has been answered 212.
	stored  []atomic.Bool
	clients []*fbpClient
}

func newServer(t Target, cfg *Config, rng *rand.Rand) *server {
	s := &server{Target: t, cfg: cfg, userBase: rng.Uint32(), stored: make([]atomic.Bool, cfg.Names)}
	for i := range cfg.Names {
		s.names = append(s.names, fileName(i))
	}
	for i := range cfg.maxClients() {
		s.issued = append(s.issued, make([]atomic.Uint32, cfg.Names))
		s.clients = append(s.clients, &fbpClient{
			s: s, idx: uint32(i), user: s.userBase + uint32(i),
			pick:    picker{rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i))), mix: cfg.Mix, sizes: cfg.Sizes, names: cfg.Names},
			held:    make([]held, cfg.Names),
			next:    make([]uint32, cfg.Names),
			checker: content.NewChecker(content.Bytes(nil)),
		})
		if cfg.Shared {
			s.clients[i].user = s.userBase
		}
	}
	for i := range s.clients {
		for n := range s.clients[i].held {
			s.clients[i].held[n] = held{absent: true}
		}
	}
	return s
}

func (s *server) label() string { return s.Label }

func (s *server) actor(i int) actor { return s.clients[i] }

// held is what a client may have stored under one name: one version once the server has told,
// several while requests failed without telling whether they took effect.
type held struct {
	versions []version
	absent   bool // the file may not exist
	lost     bool // too many unknowns: any version of the client's own may be there
}

func (h held) present() bool { return len(h.versions) > 0 || h.lost }

// certain reports whether the client knows the file exists.
func (h held) certain() bool { return h.present() && !h.absent }

func (h held) String() string {
	switch {
	case h.lost:
		return "one of its versions or nothing"
	case len(h.versions) == 0:
		return "no file"
	case len(h.versions) == 1 && !h.absent:
		return h.versions[0].String()
	}
	s := fmt.Sprintf("one of %d versions", len(h.versions))
	if h.absent {
		s += " or no file"
	}
	return s
}

// maybe adds what a request may or may not have done.
func (h *held) maybe(v *version) {
	if v == nil {
		h.absent = true
		return
	}
	if len(h.versions) == maxCandidates {
		h.lost, h.absent = true, true
		return
	}
	h.versions = append(h.versions, *v)
}

// fbpClient is one client of a server: its own user (or, Shared, the common one), its
// connection when kept, and what it stored.
type fbpClient struct {
	s       *server
	idx     uint32
	user    uint32
	pick    picker
	held    []held   // by name; unused with Shared
	next    []uint32 // the number of the client's next version of each name
	conn    net.Conn
	reused  bool // conn has carried a request before
	rd      *wire.Reader
	checker *content.Checker
}

func (c *fbpClient) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
}

// prepare stores every name once, so that the run's restores find files.
func (c *fbpClient) prepare(ctx context.Context) []outcome {
	if c.s.cfg.Shared && c.idx != 0 {
		return nil
	}
	var outs []outcome
	for i := range c.s.names {
		outs = append(outs, c.do(ctx, wire.OpBackup, i))
	}
	return outs
}

// cleanup deletes what the client may have stored.
func (c *fbpClient) cleanup(ctx context.Context) {
	if c.s.cfg.Shared && c.idx != 0 {
		return
	}
	for i := range c.s.names {
		if c.s.cfg.Shared || c.held[i].present() {
			c.do(ctx, wire.OpDelete, i)
		}
	}
	c.close()
}

func (c *fbpClient) step(ctx context.Context) outcome {
	op := c.pick.mix.pick(c.pick.rng)
	name := 0
	if op != wire.OpList {
		name = c.pick.name(func(i int) bool {
			return op != wire.OpBackup && !c.s.cfg.Shared && c.held[i].present()
		})
	}
	return c.do(ctx, op, name)
}

// do sends one request and judges the answer.
func (c *fbpClient) do(ctx context.Context, op wire.Op, name int) outcome {
	h := wire.RequestHeader{UserID: c.user, Version: wire.Version, Op: op}
	if op != wire.OpList {
		h.Name = c.s.names[name]
	}
	var v *version
	if op == wire.OpBackup {
		c.next[name]++
		v = &version{name: uint32(name), client: c.idx, n: c.next[name], size: c.pick.sizes.draw(c.pick.rng)}
		h.Size = uint32(v.size)
		c.s.issued[c.idx][name].Store(v.n)
	}
	// With Shared, an answer is judged by what was stored before the request left: a name
	// counts as stored once a backup of it has been answered.
	var before []bool
	if c.s.cfg.Shared {
		before = make([]bool, len(c.s.stored))
		for i := range c.s.stored {
			before[i] = c.s.stored[i].Load()
		}
	}
	out := c.exchange(ctx, &h, v, name, before)
	if op == wire.OpBackup && !out.ok && !c.s.cfg.Shared && out.kind != ServerError {
		// The backup may or may not have landed. A 1003 leaves the previous version.
		c.held[name].maybe(v)
	}
	if op == wire.OpDelete && !out.ok && !c.s.cfg.Shared && out.kind != ServerError {
		c.held[name].maybe(nil)
	}
	out.op = op
	return out
}

// exchange sends h on the client's connection, dialling one if it has none, and reads and
// judges the answer. A kept connection the server closed since its last answer is replaced
// once: a server may close after each response.
func (c *fbpClient) exchange(ctx context.Context, h *wire.RequestHeader, v *version, name int, before []bool) outcome {
	var dialTime time.Duration
	dialed := false
	for {
		if c.conn == nil {
			start := time.Now()
			d := net.Dialer{Timeout: c.s.cfg.Timeout}
			nc, err := d.DialContext(ctx, "tcp", c.s.Addr)
			if err != nil {
				k := ioKind(err)
				if k == Closed {
					k = ConnectFailed
				}
				return failed(k, "connect: %v", err)
			}
			dialTime, dialed = time.Since(start), true
			dc := &deadline.Conn{Conn: nc, Idle: c.s.cfg.Timeout}
			c.conn, c.reused, c.rd = dc, false, wire.NewReader(dc, readLimits)
		}
		out, retry := c.roundTrip(h, v, name, before)
		if retry && c.reused {
			c.close()
			continue
		}
		out.connect, out.dialed = dialTime, dialed
		if !out.ok || !c.s.cfg.KeepConns {
			c.close()
		} else {
			c.reused = true
		}
		return out
	}
}

// roundTrip writes the request and reads the answer. retry says the connection was found
// closed before any byte of an answer: on a kept connection, the server's right.
func (c *fbpClient) roundTrip(h *wire.RequestHeader, v *version, name int, before []bool) (outcome, bool) {
	var payload io.Reader
	if v != nil {
		payload = v.reader(c.s.cfg.Seed)
	}
	if err := wire.NewWriter(c.conn).WriteRequest(h, payload); err != nil {
		return failed(ioKind(err), "sending the request: %v", err), ioKind(err) == Closed
	}
	var rh wire.ResponseHeader
	if err := c.rd.ReadResponseHeader(&rh); err != nil {
		k := ioKind(err)
		if errors.Is(err, wire.ErrUnknownStatus) {
			if viol := spec.JudgeStatusCode(uint16(rh.Status)); viol != nil {
				return judged(Malformed, viol, h, nil), false
			}
		}
		return failed(k, "reading the answer: %v", err), k == Closed && c.rd.Offset() == 0
	}
	q := spec.Request{Op: h.Op, Name: h.Name, Form: spec.Whole}
	if viol := spec.JudgeAnswer(q, rh.Status, rh.Name); viol != nil {
		return judged(WrongStatus, viol, h, &rh), false
	}
	if viol := spec.JudgeHeld(q, rh.Status, c.holding(name, before)); viol != nil {
		return judged(WrongStatus, viol, h, &rh), false
	}
	if rh.Status == wire.StatusServerError {
		return failed(ServerError, "1003 (server error)"), false
	}
	cfg := c.s.cfg
	hd := &c.held[name]
	switch h.Op {
	case wire.OpBackup:
		if cfg.Shared {
			c.s.stored[name].Store(true)
		} else {
			*hd = held{versions: []version{*v}}
		}
		return outcome{ok: true, bytes: v.size}, false
	case wire.OpDelete:
		if !cfg.Shared {
			*hd = held{absent: true}
		}
		return outcome{ok: true}, false
	case wire.OpRestore:
		if rh.Status == wire.StatusNotExist {
			if !cfg.Shared {
				*hd = held{absent: true}
			}
			return outcome{ok: true}, false
		}
		return c.restored(h, &rh, name, hd), false
	default:
		return c.listed(h, &rh, before), false
	}
}

// holding is what the client knows the server holds of file name: what it stored, unless a
// request failed without telling whether it landed; with Shared, a file some client stored
// when no client deletes.
func (c *fbpClient) holding(name int, before []bool) spec.Holding {
	if c.s.cfg.Shared {
		if before[name] && !c.s.cfg.Mix.Has(wire.OpDelete) {
			return spec.HoldingStored
		}
		return spec.HoldingUnknown
	}
	switch hd := c.held[name]; {
	case hd.certain():
		return spec.HoldingStored
	case !hd.present():
		return spec.HoldingMissing
	}
	return spec.HoldingUnknown
}

// Checks bench reports besides the oracle's.
const (
	checkContent = "content" // a restored file that is not a whole version the client may have stored
	checkListing = "listing" // a listing that is not the user's files
)

// restored reads and checks a RESTORE's payload: a whole version the client may have stored
// (with Shared, that any client sent).
func (c *fbpClient) restored(h *wire.RequestHeader, rh *wire.ResponseHeader, name int, hd *held) outcome {
	cfg := c.s.cfg
	wrong := func(format string, a ...any) outcome {
		return judged(WrongContent, &spec.Violation{Req: spec.R4_2, Check: checkContent, Expected: c.owed(hd),
			Actual: fmt.Sprintf(format, a...)}, h, rh)
	}
	size := int64(rh.Size)
	if size < HeaderLen || size > cfg.Sizes.Max {
		// No version the run stores has this size; the payload is left unread.
		return wrong("%d bytes, a size no client stored (%s)", size, cfg.Sizes)
	}
	payload := c.rd.Payload()
	var hdr [HeaderLen]byte
	if _, err := io.ReadFull(payload, hdr[:]); err != nil {
		return failed(ioKind(err), "reading the restored file: %v", err)
	}
	v, ok := parseHeader(hdr[:])
	switch {
	case !ok:
		return wrong("a file that starts % x: no version of the run", hdr[:])
	case v.size != size:
		return wrong("%d bytes, with the header of %v", size, v)
	case v.name != uint32(name):
		return wrong("%v of %s", v, spec.Quote(fileName(int(v.name))))
	case cfg.Shared && (int(v.client) >= len(c.s.issued) || v.n == 0 || v.n > c.s.issued[v.client][name].Load()):
		return wrong("%v, which no client sent", v)
	case !cfg.Shared && !(v.client == c.idx && (hd.lost && v.n <= c.next[name] || slices.Contains(hd.versions, v))):
		return wrong("%v", v)
	}
	c.checker.Reset(v.body(cfg.Seed))
	n, err := io.Copy(c.checker, payload)
	if err != nil {
		return failed(ioKind(err), "reading the restored file: %v", err)
	}
	if off := c.checker.Mismatch(); off >= 0 || n != size-HeaderLen {
		return wrong("the header of %v, then other bytes from offset %d: a torn or mixed file", v, HeaderLen+max(off, 0))
	}
	if !cfg.Shared {
		*hd = held{versions: []version{v}}
	}
	return outcome{ok: true, bytes: size}
}

// owed says what a RESTORE should have returned.
func (c *fbpClient) owed(hd *held) string {
	if c.s.cfg.Shared {
		return "a whole version that a client stored"
	}
	return hd.String()
}

// listed reads and checks a LIST's answer: exactly the names the client holds (with Shared,
// only names the clients use, and every stored one unless clients delete).
func (c *fbpClient) listed(h *wire.RequestHeader, rh *wire.ResponseHeader, before []bool) outcome {
	cfg := c.s.cfg
	// mustList reports whether name i must be in the listing.
	mustList := func(i int) bool {
		if cfg.Shared {
			return before[i] && !cfg.Mix.Has(wire.OpDelete)
		}
		return c.held[i].certain()
	}
	if rh.Status == wire.StatusNoFiles {
		for i := range c.s.names {
			if mustList(i) {
				return judged(WrongStatus, spec.Canonical.JudgeOwed(spec.Request{Op: wire.OpList}, spec.HoldingStored, spec.Answer{Code: uint16(rh.Status)}), h, rh)
			}
		}
		if !cfg.Shared {
			for i := range c.held {
				c.held[i] = held{absent: true}
			}
		}
		return outcome{ok: true}
	}
	bound := listingBound(len(c.s.names))
	if int64(rh.Size) > bound {
		return judged(WrongContent, &spec.Violation{Req: spec.R4_4, Check: checkListing, Expected: fmt.Sprintf("a listing of at most %d names", len(c.s.names)),
			Actual: fmt.Sprintf("a listing of %d bytes", rh.Size)}, h, rh)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, c.rd.Payload()); err != nil {
		return failed(ioKind(err), "reading the listing: %v", err)
	}
	got, err := spec.ParseListing(b.Bytes())
	if err != nil {
		return judged(WrongContent, &spec.Violation{Req: spec.R4_4, Check: checkListing, Expected: "a listing of names, one a line", Actual: err.Error()}, h, rh)
	}
	// want holds what must be listed, and what may be and is.
	var want []string
	for i, n := range c.s.names {
		listed := slices.Contains(got, string(n))
		if mustList(i) || listed && (cfg.Shared || c.held[i].present()) {
			want = append(want, string(n))
		}
	}
	if d := spec.DiffListing(want, got); !d.Empty() {
		return judged(WrongContent, &spec.Violation{Req: spec.R4_4, Check: checkListing, Expected: "the user's files " + spec.QuoteNames(want), Actual: "a listing with " + d.String()}, h, rh)
	}
	if !cfg.Shared {
		for i, n := range c.s.names {
			if !slices.Contains(got, string(n)) {
				c.held[i] = held{absent: true}
			} else {
				c.held[i].absent = false
			}
		}
	}
	return outcome{ok: true, bytes: int64(rh.Size)}
}
