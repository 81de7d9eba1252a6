package model

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/deadline"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

const (
	// rawKeep is how many bytes of a response a report keeps: the header and the start of
	// the payload, enough to see what went wrong without holding a file.
	rawKeep = 256
	// previewLen is how much of a payload a summary quotes.
	previewLen = 16
	// listSlack is what a listing may hold beyond the longest correct one before the run stops
	// reading it: room for a server's extra names to show in the report.
	listSlack = 4 << 10
	// listNameLen is the length of a LIST response's random name (SPEC §3).
	listNameLen = 32
	// previewWait bounds the wait for the first bytes of a payload the run will not read.
	previewWait = 100 * time.Millisecond
)

// readLimits lets a response's name through up to what name_len can state, so that a wrong
// name is reported rather than refused by the decoder; payload sizes are checked by the
// exchange itself before a byte of the payload is read.
var readLimits = wire.Limits{MaxName: wire.MaxNameField, MaxPayload: wire.DefaultMaxPayload}

// response is what a server answered to one request.
type response struct {
	Status wire.Status
	Name   []byte
	Size   int64 // restore-ok and list-ok: the size the server stated
	// Read is false when the payload was not read because its stated size is over what the
	// run could ever have stored: Sum and Listing are then unset.
	Read    bool
	Sum     [sha256.Size]byte // restore-ok: the payload's SHA-256
	Preview []byte            // restore-ok: the payload's first bytes
	Listing []byte            // list-ok: the payload
	Raw     []byte            // the response's first bytes as received, for the report
	Err     error             // no complete response: a dial, write, read or decoding error
}

// Summary is the response in a script's words: `212 "a"`, `210 "a" (5 bytes)`.
func (r *response) Summary() string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	f, _ := r.Status.Fields()
	s := fmt.Sprintf("%d", int(r.Status))
	switch {
	case r.Status == wire.StatusListed && r.Read:
		names, err := spec.ParseListing(r.Listing)
		if err != nil {
			s += fmt.Sprintf(" %q", r.Listing)
		} else {
			s += " " + spec.QuoteNames(names)
		}
		return s
	case f.Has(wire.HasName):
		s += " " + spec.Quote(string(r.Name))
	}
	if f.Has(wire.HasPayload) {
		s += fmt.Sprintf(" (%d bytes)", r.Size)
	}
	return s
}

// exchanger sends one request per fresh connection.
type exchanger struct {
	addr    string
	timeout time.Duration
	// maxPayload bounds what a RESTORE's payload is read for: no file the run stores is
	// larger, so a larger stated size is a failure whatever follows it.
	maxPayload int64
	// maxListing bounds a LIST's payload likewise.
	maxListing int64
	// lost is set when a request got no complete response: the server may be down.
	lost atomic.Bool
	// capture records every connection, when set (-pcap).
	capture *capture.Recorder
}

// recording makes e record its connections in rec (nil: none) under CaptureID.
func (e *exchanger) recording(rec *capture.Recorder) *exchanger {
	e.capture = rec
	return e
}

// CaptureID names the run's connections in a -pcap file.
const CaptureID = "model"

func newExchanger(addr string, timeout time.Duration, maxPayload int) *exchanger {
	longest := 0
	for _, n := range namePool {
		longest += len(n) + 2 // "\r\n"
	}
	return &exchanger{addr: addr, timeout: timeout, maxPayload: int64(maxPayload), maxListing: int64(longest + listSlack)}
}

// do sends step's request for user and reads the response.
func (e *exchanger) do(ctx context.Context, user uint32, step Step) *response {
	resp := &response{}
	raw := &keepWriter{max: rawKeep}
	defer func() {
		resp.Raw = raw.b
		if resp.Err != nil && ctx.Err() == nil {
			e.lost.Store(true)
		}
	}()

	d := net.Dialer{Timeout: e.timeout}
	nc, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		resp.Err = fmt.Errorf("dial: %w", err)
		return resp
	}
	if e.capture != nil {
		nc = e.capture.Wrap(nc, CaptureID, capture.Client)
	}
	defer nc.Close()
	// Cancelling ctx unblocks whatever read or write is in progress.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	// Every read and write has the timeout, and the whole exchange the timeout and the time its
	// bytes take at 1 MiB/s: a server that drips its answer cannot hold a step for longer.
	c := &deadline.Conn{Conn: nc, Idle: e.timeout,
		End: time.Now().Add(e.timeout + deadline.Transfer(step.Content.Len()+e.maxPayload+e.maxListing))}

	h, payload := request(user, step)
	if err := wire.NewWriter(c).WriteRequest(&h, payload); err != nil {
		resp.Err = ctxErr(ctx, fmt.Errorf("write request: %w", err))
		return resp
	}

	r := wire.NewReader(io.TeeReader(c, raw), readLimits)
	var rh wire.ResponseHeader
	if err := r.ReadResponseHeader(&rh); err != nil {
		resp.Status = rh.Status
		resp.Err = ctxErr(ctx, fmt.Errorf("read response: %w", err))
		return resp
	}
	resp.Status, resp.Name, resp.Size = rh.Status, bytes.Clone(rh.Name), int64(rh.Size)
	switch rh.Status {
	case wire.StatusRestored:
		if resp.Size > e.maxPayload {
			// Too large to be any file the run stored: only its first bytes are read, for
			// the report, and only if they come at once.
			c.Idle = min(c.Idle, previewWait)
			pre := &keepWriter{max: previewLen}
			_, _ = io.CopyN(pre, r.Payload(), previewLen)
			resp.Preview = pre.b
			return resp
		}
		sum := sha256.New()
		pre := &keepWriter{max: previewLen}
		if _, err := io.Copy(io.MultiWriter(sum, pre), r.Payload()); err != nil {
			resp.Err = ctxErr(ctx, fmt.Errorf("read restored content: %w", err))
			return resp
		}
		resp.Read, resp.Preview = true, pre.b
		sum.Sum(resp.Sum[:0])
	case wire.StatusListed:
		if resp.Size > e.maxListing {
			return resp
		}
		var b bytes.Buffer
		// The size was checked above: the buffer grows to at most maxListing.
		if _, err := io.Copy(&b, r.Payload()); err != nil {
			resp.Err = ctxErr(ctx, fmt.Errorf("read listing: %w", err))
			return resp
		}
		resp.Read, resp.Listing = true, b.Bytes()
	}
	return resp
}

// request is step's request for user.
func request(user uint32, step Step) (wire.RequestHeader, io.Reader) {
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: step.Op}
	var payload io.Reader
	if f, _ := step.Op.Fields(); f.Has(wire.HasName) {
		h.Name = []byte(step.Name)
	}
	if step.Op == wire.OpBackup {
		h.Size = uint32(step.Content.Len())
		payload = step.Content.Reader()
	}
	return h, payload
}

// exchangeOf is what a report shows of step's exchange for user: the request's bytes, encoded
// again (a step's request is a function of the step and the user), and the response's first
// bytes as received. Only failures call it, so a large payload is encoded once per report.
func exchangeOf(user uint32, step Step, raw []byte) *report.Exchange {
	var sent, received report.ClipWriter
	h, payload := request(user, step)
	_ = wire.NewWriter(&sent).WriteRequest(&h, payload)
	_, _ = received.Write(raw)
	return &report.Exchange{Label: step.Request(), Conn: 1, Sent: sent.Clip(), Received: received.Clip(), Outcome: step.Got}
}

// ctxErr prefers the context's error: a cancelled run is not a server's fault.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// keepWriter keeps the first max bytes written to it and drops the rest.
type keepWriter struct {
	b   []byte
	max int
}

func (w *keepWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
