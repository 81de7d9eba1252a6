package mutants

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// testOptions keep the servers' waits short. MaxFileSize stays above 1 MiB for
// truncates-over-1mib; AnswerDelay stays well above lateWait.
var testOptions = Options{AnswerDelay: 1500 * time.Millisecond, ReadTimeout: time.Second, MaxFileSize: 2 << 20}

const (
	// clientWait bounds every wait for something that must come.
	clientWait = 5 * time.Second
	// lateWait is how long a test waits for an answer that a correct server gives at once and a
	// faulty one never gives (or gives after testOptions.AnswerDelay).
	lateWait = 500 * time.Millisecond
)

// Users of the scripted exchanges: A acts, B is the victim of cross-user faults.
const (
	userA uint32 = 7
	userB uint32 = 8
)

// quickDeadline is for exchanges that wait for a server's read deadline to pass.
var quickDeadline = Options{AnswerDelay: testOptions.AnswerDelay, ReadTimeout: 300 * time.Millisecond, MaxFileSize: testOptions.MaxFileSize}

func startMutant(t *testing.T, name string) string {
	t.Helper()
	return startMutantWith(t, name, testOptions)
}

func startMutantWith(t *testing.T, name string, o Options) string {
	t.Helper()
	headers := newEventCount()
	if prev := o.OnHeader; prev != nil {
		o.OnHeader = func() { prev(); headers.add() }
	} else {
		o.OnHeader = headers.add
	}
	addr := StartTB(t, name, o)
	headerCounts.Store(addr, headers)
	t.Cleanup(func() { headerCounts.Delete(addr) })
	return addr
}

// headerCounts holds, by address, how many request headers each server started by
// startMutantWith has read.
var headerCounts sync.Map

// eventCount counts events and lets a test wait for a count.
type eventCount struct {
	mu      sync.Mutex
	n       int
	changed chan struct{} // closed and replaced at each event
}

func newEventCount() *eventCount { return &eventCount{changed: make(chan struct{})} }

func (e *eventCount) add() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	close(e.changed)
	e.changed = make(chan struct{})
}

func (e *eventCount) now() (int, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n, e.changed
}

func headersAt(t *testing.T, addr string) *eventCount {
	t.Helper()
	e, ok := headerCounts.Load(addr)
	if !ok {
		t.Fatalf("no server started by startMutantWith at %s", addr)
	}
	return e.(*eventCount)
}

// headersRead is how many request headers the server at addr has read so far.
func headersRead(t *testing.T, addr string) int {
	t.Helper()
	n, _ := headersAt(t, addr).now()
	return n
}

// awaitHeaders waits until the server at addr has read n request headers in all.
func awaitHeaders(t *testing.T, addr string, n int) {
	t.Helper()
	e := headersAt(t, addr)
	guard := time.NewTimer(clientWait)
	defer guard.Stop()
	for {
		got, changed := e.now()
		if got >= n {
			return
		}
		select {
		case <-changed:
		case <-guard.C:
			t.Fatalf("the server read %d request headers, not %d, within %v", got, n, clientWait)
		}
	}
}

// sendInTwo sends req's first head bytes, waits until the server has read one more request
// header, then sends the rest: the server reads the header before the rest has been sent.
func sendInTwo(t *testing.T, p *peer, addr string, req []byte, head int) {
	t.Helper()
	before := headersRead(t, addr)
	p.send(req[:head])
	awaitHeaders(t, addr, before+1)
	p.send(req[head:])
}

func backupReq(user uint32, name string, payload []byte) []byte {
	return (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Payload: payload}).Append(nil)
}

func restoreReq(user uint32, name string) []byte {
	return (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpRestore, Name: []byte(name)}).Append(nil)
}

func deleteReq(user uint32, name string) []byte {
	return (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpDelete, Name: []byte(name)}).Append(nil)
}

func listReq(user uint32) []byte {
	return (&wire.Request{UserID: user, Version: wire.Version, Op: wire.OpList}).Append(nil)
}

// unknownOpReq is the 6-byte prefix of a request with op 99.
func unknownOpReq(user uint32) []byte {
	return (&wire.RawRequest{UserID: user, Version: wire.Version, Op: 99}).Append(nil)
}

// peer is a test client that records what a server sends, byte for byte.
type peer struct {
	t      *testing.T
	c      *net.TCPConn
	buf    []byte // received, not yet decoded
	closed bool
	chunk  [64 << 10]byte
}

func dial(t *testing.T, addr string) *peer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, clientWait)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &peer{t: t, c: c.(*net.TCPConn)}
}

// send writes each message. A write error is not fatal: a server that has closed shows as
// "closed" in what the peer receives next.
func (p *peer) send(msgs ...[]byte) {
	_ = p.c.SetWriteDeadline(time.Now().Add(clientWait))
	for _, m := range msgs {
		if _, err := p.c.Write(m); err != nil {
			return
		}
	}
}

var decodeLimits = wire.Limits{MaxName: wire.MaxNameField}

// next returns the next whole response, or, when none comes before deadline, the event that
// ended the wait: "timeout", or "closed" preceded by the hex of any bytes that do not make a
// response.
func (p *peer) next(deadline time.Time) (*wire.Response, string) {
	for {
		if resp, n, err := wire.ParseResponse(p.buf, decodeLimits); err == nil {
			r := wire.Response{Version: resp.Version, Status: resp.Status,
				Name: append([]byte(nil), resp.Name...), Payload: append([]byte(nil), resp.Payload...)}
			p.buf = p.buf[n:]
			return &r, ""
		}
		if p.closed {
			event := "closed"
			if len(p.buf) > 0 {
				event = "!" + hex.EncodeToString(p.buf) + " | closed"
				p.buf = nil
			}
			return nil, event
		}
		_ = p.c.SetReadDeadline(deadline)
		n, err := p.c.Read(p.chunk[:])
		p.buf = append(p.buf, p.chunk[:n]...)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, "timeout"
		default:
			// EOF or reset: both are the server closing.
			p.closed = true
		}
	}
}

// recv returns a transcript of the next n responses (n < 0: all until the server closes), cut
// short by the server closing or by wait passing.
func (p *peer) recv(n int, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	var out []string
	for n < 0 || len(out) < n {
		r, event := p.next(deadline)
		if r == nil {
			out = append(out, event)
			break
		}
		out = append(out, format(r))
	}
	return strings.Join(out, " | ")
}

// finish half-closes the connection, so that a correct server answers what it has and closes,
// and returns the transcript of everything until then.
func (p *peer) finish() string {
	if err := p.c.CloseWrite(); err != nil {
		p.t.Logf("close write: %v", err)
	}
	return p.recv(-1, clientWait)
}

// exchange sends the requests on one new connection and returns the transcript of every
// response up to the server's close.
func exchange(t *testing.T, addr string, reqs ...[]byte) string {
	p := dial(t, addr)
	p.send(reqs...)
	return p.finish()
}

// rawExchange sends one request on a new connection and returns every byte the server sends
// until it closes, undecoded.
func rawExchange(t *testing.T, addr string, req []byte) []byte {
	p := dial(t, addr)
	p.send(req)
	if err := p.c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = p.c.SetReadDeadline(time.Now().Add(clientWait))
	var got []byte
	for {
		n, err := p.c.Read(p.chunk[:])
		got = append(got, p.chunk[:n]...)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("no close within %v", clientWait)
			}
			return got
		}
	}
}

var (
	alnumName = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	// listLine is a listing line that is a LIST name: masked, for it is random.
	listLine = regexp.MustCompile(`(?m)^[A-Za-z0-9]{32}(\r?)$`)
)

// format writes a response as "[vN ]status [name] [payload]": a LIST name, being random, as
// <N alnum> when it is well-formed, a payload over 64 bytes as its length.
func format(r *wire.Response) string {
	var b strings.Builder
	if r.Version != wire.Version {
		fmt.Fprintf(&b, "v%d ", r.Version)
	}
	fmt.Fprintf(&b, "%d", r.Status)
	f, _ := r.Status.Fields()
	if f.Has(wire.HasName) {
		if r.Status == wire.StatusListed && alnumName.Match(r.Name) {
			fmt.Fprintf(&b, " <%d alnum>", len(r.Name))
		} else {
			fmt.Fprintf(&b, " %q", r.Name)
		}
	}
	if f.Has(wire.HasPayload) {
		switch {
		case len(r.Payload) > 64:
			fmt.Fprintf(&b, " <%d bytes>", len(r.Payload))
		case r.Status == wire.StatusListed:
			fmt.Fprintf(&b, " %q", listLine.ReplaceAll(r.Payload, []byte("<32 alnum>$1")))
		default:
			fmt.Fprintf(&b, " %q", r.Payload)
		}
	}
	return b.String()
}
