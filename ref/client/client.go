package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

const (
	// DefaultMaxList bounds a LIST payload: a listing of 16 MiB holds some 60 000 names of the
	// longest kind, far more than a user's backups.
	DefaultMaxList = 16 << 20
	// DefaultMaxListNames bounds the names of a listing: ten times what the reference server
	// lets a user hold. A listing is held in memory, about its own size plus 16 bytes a name, so
	// a server cannot make a small listing of very short names cost much more than its bytes.
	DefaultMaxListNames = 100_000
	// DefaultMaxRestore bounds what a RESTORE may write: 1 GiB, refused before a byte is
	// written. A restored payload is streamed, never held, so the bound protects the disk, not
	// memory; a caller that expects larger files raises it, up to 4 GiB - 1.
	DefaultMaxRestore = 1 << 30
	// DefaultDialTimeout bounds connecting when the context allows longer.
	DefaultDialTimeout = 10 * time.Second
	// DefaultStallTimeout is how long a read or write may wait for the server to move a byte.
	DefaultStallTimeout = 30 * time.Second
	// DefaultMinRate and DefaultMinRateTime: a transfer that moves fewer than 1 KiB a second
	// over 15 s fails, so that a server trickling a byte now and then cannot hold a request for
	// long (2 bytes a second ends a restore after 15 s), while a large file on a slow link that
	// keeps moving is never cut.
	DefaultMinRate     = 1 << 10
	DefaultMinRateTime = 15 * time.Second
	// listingNameLen is the length of the random name of a LIST response (SPEC §3).
	listingNameLen = 32
)

// Options tune a Client. A zero field takes its default.
type Options struct {
	// ReuseConn sends every request of a user on one kept connection, one request at a time,
	// instead of a connection per request. A server may close a connection after any response
	// a LIST or RESTORE that finds the kept connection closed is sent again on a new
	// one. A request of another user starts a new connection, since a server may hold a
	// connection to the user of its first request, as the reference server does.
	ReuseConn bool
	// MaxName is the longest filename, in bytes, the client sends or accepts in a response.
	MaxName int
	// MaxList is the largest LIST payload accepted, in bytes.
	MaxList uint32
	// MaxListNames is the most names a listing may hold.
	MaxListNames int
	// MaxRestore is the largest RESTORE payload accepted, in bytes: a larger one is refused
	// before a byte of it is written.
	MaxRestore uint32
	// MaxTime, when positive, bounds a whole request, connecting included, within the
	// context's deadline: a request that takes longer fails with a *TimeLimitError, however
	// steadily bytes move. Unset, nothing bounds a request that keeps up MinRate.
	MaxTime time.Duration
	// MinRate is the fewest bytes a second a transfer (a request's bytes going out, an
	// answer's coming in from its first byte) may move, averaged over MinRateTime: a slower one
	// fails with a *RateError. The server's time to answer is bounded by StallTimeout alone.
	MinRate     int64
	MinRateTime time.Duration
	// now reads the clock the rate is judged by (time.Now): tests set it.
	now func() time.Time
	// DialTimeout bounds connecting, within the context's deadline.
	DialTimeout time.Duration
	// StallTimeout fails a request whose connection moves no byte for this long, within the
	// context's deadline, so that a silent server cannot hold a request without one forever.
	StallTimeout time.Duration
	// Progress, when set, is called as a payload starts moving: a BACKUP's file once the request
	// goes out, a RESTORE's once its response header has been checked. The meter it returns
	// (nil for none) is told of the bytes as they move and of the end of the transfer.
	Progress func(op wire.Op, name string, size int64) ProgressMeter
}

// ProgressMeter follows one payload transfer, for a display.
type ProgressMeter interface {
	// Add reports n more bytes moved.
	Add(n int)
	// Done reports the end of the transfer: err is nil when every byte moved.
	Done(err error)
}

func (o Options) withDefaults() Options {
	o.MaxName = min(positiveOr(o.MaxName, wire.DefaultMaxName), wire.MaxNameField)
	o.MaxList = cmp.Or(o.MaxList, DefaultMaxList)
	o.MaxListNames = positiveOr(o.MaxListNames, DefaultMaxListNames)
	o.MaxRestore = cmp.Or(o.MaxRestore, DefaultMaxRestore)
	o.MaxTime = max(o.MaxTime, 0)
	o.MinRate = positiveOr(o.MinRate, DefaultMinRate)
	o.MinRateTime = positiveOr(o.MinRateTime, DefaultMinRateTime)
	if o.now == nil {
		o.now = time.Now
	}
	o.DialTimeout = positiveOr(o.DialTimeout, DefaultDialTimeout)
	o.StallTimeout = positiveOr(o.StallTimeout, DefaultStallTimeout)
	return o
}

// positiveOr is v, or def where v is zero or negative: an option left unset or set to nonsense.
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Client talks to one FBP server. Its methods may be called from several goroutines; with
// ReuseConn they take turns on the kept connection.
type Client struct {
	addr     string
	opt      Options
	turn     chan struct{} // ReuseConn: held by the request using kept
	kept     net.Conn      // ReuseConn: the connection at a message boundary, or nil
	keptUser uint32        // the user whose requests kept carried
}

// New returns a client of the server at addr (host:port). It connects only when a request is made.
func New(addr string, opt Options) *Client {
	return &Client{addr: addr, opt: opt.withDefaults(), turn: make(chan struct{}, 1)}
}

// Addr is the server's address.
func (c *Client) Addr() string { return c.addr }

// Close closes the kept connection, if any. The client stays usable.
func (c *Client) Close() error {
	c.turn <- struct{}{}
	defer func() { <-c.turn }()
	if c.kept == nil {
		return nil
	}
	err := c.kept.Close()
	c.kept = nil
	return err
}

// Backup stores size bytes read from r as name in user's folder. r must yield at least
// size bytes; only size are read.
func (c *Client) Backup(ctx context.Context, user uint32, name string, r io.Reader, size int64) error {
	x := &exchange{op: wire.OpBackup, user: user, name: name, payload: r, success: wire.StatusOK}
	if err := c.checkName(name); err != nil {
		return c.wrap(x, err)
	}
	if size < 0 || size > math.MaxUint32 {
		return c.wrap(x, fmt.Errorf("%d bytes: %w", size, ErrTooLarge))
	}
	x.size = uint32(size)
	return c.do(ctx, x)
}

// Restore writes the content of user's file name to w as it arrives and returns how many
// bytes it wrote. Nothing is written unless the server answers 210 for name with a size within
// MaxRestore; if the payload then ends early, the error is a *ProtocolError and w holds only part
// of the file: RestoreFile handles that.
func (c *Client) Restore(ctx context.Context, user uint32, name string, w io.Writer) (int64, error) {
	var written int64
	x := &exchange{op: wire.OpRestore, user: user, name: name, success: wire.StatusRestored, limit: c.opt.MaxRestore}
	x.handle = func(h *wire.ResponseHeader, payload io.Reader) error {
		meter := c.meter(x, int64(h.Size))
		dst := &sinkWriter{w: w, meter: meter}
		n, err := io.Copy(dst, payload)
		written = n
		switch {
		case err == nil:
		case dst.err != nil:
			err = fmt.Errorf("writing the restored file: %w", dst.err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = &ProtocolError{Op: x.op, Reason: fmt.Sprintf("payload truncated: %d of %d bytes arrived", n, h.Size), Err: err}
		default:
			err = fmt.Errorf("reading the payload after %d of %d bytes: %w", n, h.Size, err)
		}
		if meter != nil {
			meter.Done(err)
		}
		return err
	}
	if err := c.checkName(name); err != nil {
		return 0, c.wrap(x, err)
	}
	err := c.do(ctx, x)
	return written, err
}

// RestoreFile restores user's file name into the file at path and returns its size. It writes to
// a temporary file in path's folder and renames it to path only when the whole payload arrived;
// on any failure it removes the temporary file and leaves path as it was. The name the
// server sends is never used for a path. A new file gets mode 0644 less the umask, as files a
// user makes usually do; a replaced one keeps its permissions.
func (c *Client) RestoreFile(ctx context.Context, user uint32, name, path string) (int64, error) {
	x := &exchange{op: wire.OpRestore, name: name}
	if err := c.checkName(name); err != nil {
		return 0, c.wrap(x, err)
	}
	f, err := createBeside(path)
	if err != nil {
		return 0, c.wrap(x, fmt.Errorf("creating a temporary file beside %s: %w", path, err))
	}
	tmp, done := f.Name(), false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err := c.Restore(ctx, user, name, f)
	if err != nil {
		return n, err
	}
	// A file that is replaced keeps its permissions; a new one keeps the temporary file's.
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		if err := f.Chmod(st.Mode().Perm()); err != nil {
			return n, c.wrap(x, fmt.Errorf("saving %s: %w", path, err))
		}
	}
	if err := f.Sync(); err != nil {
		return n, c.wrap(x, fmt.Errorf("saving %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		return n, c.wrap(x, fmt.Errorf("saving %s: %w", path, err))
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		done = true
		return n, c.wrap(x, fmt.Errorf("saving %s: %w", path, err))
	}
	done = true
	return n, nil
}

// createBeside creates a new temporary file in path's folder, as os.CreateTemp does, but with
// mode 0644 less the umask rather than 0600: it becomes the restored file.
func createBeside(path string) (*os.File, error) {
	dir := filepath.Dir(path)
	for range 100 {
		tmp := filepath.Join(dir, ".fbp-restore-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}

// Delete removes user's file name.
func (c *Client) Delete(ctx context.Context, user uint32, name string) error {
	x := &exchange{op: wire.OpDelete, user: user, name: name, success: wire.StatusOK}
	if err := c.checkName(name); err != nil {
		return c.wrap(x, err)
	}
	return c.do(ctx, x)
}

// List returns the names of user's files, in the server's order. A user with no files
// gets ErrNoFiles. Every name must pass wire.CheckName, so that a name shown or used by the
// caller cannot hold a path or a terminal control sequence.
func (c *Client) List(ctx context.Context, user uint32) ([]string, error) {
	var names []string
	x := &exchange{op: wire.OpList, user: user, success: wire.StatusListed, limit: c.opt.MaxList}
	x.handle = func(h *wire.ResponseHeader, payload io.Reader) error {
		src := &countingReader{r: payload}
		var err error
		names, err = readListing(src, c.opt.MaxName, c.opt.MaxListNames)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("listing truncated: %d of %d bytes arrived", src.n, h.Size), Err: err}
		case errors.As(err, new(*listingError)):
			return &ProtocolError{Op: x.op, Reason: "listing", Err: err}
		}
		return fmt.Errorf("reading the listing: %w", err)
	}
	if err := c.do(ctx, x); err != nil {
		return nil, err
	}
	return names, nil
}

// listingError is a listing the client refuses.
type listingError struct{ msg string }

func (e *listingError) Error() string { return e.msg }

// listBlock is the size of the blocks a listing's names are kept in.
const listBlock = 64 << 10

// readListing reads a listing as it arrives, by R-4.4's one policy (wire.ListingScanner): one
// name a line, "\n" or "\r\n", the last line's end optional, an empty line malformed. Each name
// must pass wire.CheckName under maxName, and there may be at most maxNames. The names are cut
// from blocks filled as bytes arrive, so a listing costs its own size plus a string header a
// name, never a multiple of it.
func readListing(r io.Reader, maxName, maxNames int) ([]string, error) {
	var names []string
	var block strings.Builder
	var ends []int // where each name of the current block ends in it
	seal := func() {
		text, start := block.String(), 0
		if len(names)+len(ends) > cap(names) {
			// Doubling, as for the blocks: append grows a long slice a quarter at a time.
			names = slices.Grow(names, max(len(names), len(ends)))
		}
		for _, end := range ends {
			names, start = append(names, text[start:end]), end
		}
		block, ends = strings.Builder{}, ends[:0]
	}
	sc := wire.NewListingScanner(r, maxName)
	for line := 1; sc.Scan(); line++ {
		name := sc.Name()
		var ne *wire.NameError
		if cerr := wire.CheckName(name, maxName); errors.As(cerr, &ne) {
			return nil, &listingError{fmt.Sprintf("line %d: filename %s: %s", line, quoteClip(name), ne.Reason)}
		}
		if len(names)+len(ends) == maxNames {
			return nil, &listingError{fmt.Sprintf("more than the client's limit of %d names", maxNames)}
		}
		if block.Cap()-block.Len() < len(name) {
			seal()
			block.Grow(max(listBlock, len(name)))
		}
		block.Write(name)
		ends = append(ends, block.Len())
	}
	var le *wire.ListingError
	switch err := sc.Err(); {
	case errors.As(err, &le) && le.TooLong:
		return nil, &listingError{fmt.Sprintf("line %d is longer than the client's limit of %d bytes: %s", le.Line, maxName, quoteClip(le.Start))}
	case errors.As(err, &le):
		return nil, &listingError{le.Error()}
	case err != nil:
		return nil, err
	}
	seal()
	return names, nil
}

// maxQuoted is the most bytes of what a server sent that an error quotes: enough to recognize
// a name, never a flood of bytes on a terminal.
const maxQuoted = 40

// quoteClip quotes at most maxQuoted bytes of b, in ASCII, with "..." after it if b is longer.
func quoteClip(b []byte) string {
	if len(b) <= maxQuoted {
		return strconv.QuoteToASCII(string(b))
	}
	return strconv.QuoteToASCII(string(b[:maxQuoted])) + "..."
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func (c *Client) checkName(name string) error {
	return wire.CheckName([]byte(name), c.opt.MaxName)
}

func (c *Client) meter(x *exchange, size int64) ProgressMeter {
	if c.opt.Progress == nil {
		return nil
	}
	return c.opt.Progress(x.op, x.name, size)
}

// exchange is one request and how to take its response.
type exchange struct {
	op      wire.Op
	user    uint32
	name    string
	size    uint32
	payload io.Reader
	success wire.Status
	limit   uint32 // largest response payload accepted
	// handle takes the payload of a success response whose header has been checked.
	handle func(h *wire.ResponseHeader, payload io.Reader) error
}

// wrap says which request failed, on which server.
func (c *Client) wrap(x *exchange, err error) error {
	if x.op == wire.OpList {
		return fmt.Errorf("list on %s: %w", c.addr, err)
	}
	return fmt.Errorf("%s %s on %s: %w", strings.ToLower(x.op.String()), strconv.Quote(x.name), c.addr, err)
}

func (c *Client) do(ctx context.Context, x *exchange) error {
	if c.opt.MaxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, c.opt.MaxTime, &TimeLimitError{Limit: c.opt.MaxTime})
		defer cancel()
	}
	// A backup's payload cannot be read twice: only requests without one are sent again.
	retries := 0
	if x.op == wire.OpList || x.op == wire.OpRestore {
		retries = 1
	}
	for {
		conn, reused, err := c.acquire(ctx, x.user)
		if err != nil {
			return c.wrap(x, err)
		}
		res := c.exchange(ctx, conn, x)
		c.release(conn, x.user, res.keep)
		if res.stale && reused && retries > 0 {
			retries--
			continue
		}
		if res.err != nil {
			return c.wrap(x, res.err)
		}
		return nil
	}
}

func (c *Client) acquire(ctx context.Context, user uint32) (conn net.Conn, reused bool, err error) {
	if c.opt.ReuseConn {
		select {
		case c.turn <- struct{}{}:
		case <-ctx.Done():
			return nil, false, context.Cause(ctx)
		}
		if c.kept != nil && c.keptUser == user {
			conn, c.kept = c.kept, nil
			return conn, true, nil
		}
		if c.kept != nil {
			c.kept.Close()
			c.kept = nil
		}
	}
	d := net.Dialer{Timeout: c.opt.DialTimeout}
	conn, err = d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		if c.opt.ReuseConn {
			<-c.turn
		}
		return nil, false, fmt.Errorf("connecting: %w", err)
	}
	return conn, false, nil
}

// release keeps conn for the next request of user if keep and ReuseConn say so, and closes it
// otherwise.
func (c *Client) release(conn net.Conn, user uint32, keep bool) {
	if !c.opt.ReuseConn {
		conn.Close()
		return
	}
	if keep {
		c.kept, c.keptUser = conn, user
	} else {
		conn.Close()
	}
	<-c.turn
}

type result struct {
	err   error
	keep  bool // the connection is at a message boundary and may carry another request
	stale bool // the connection was closed before the server read anything: safe to try again
}

func (c *Client) exchange(ctx context.Context, conn net.Conn, x *exchange) result {
	rate := rateWindow{min: c.opt.MinRate, window: c.opt.MinRateTime, now: c.opt.now}
	dc, stop := newDeadlineConn(ctx, conn, c.opt.StallTimeout, rate)
	defer stop()

	h := wire.RequestHeader{UserID: x.user, Version: wire.Version, Op: x.op, Name: []byte(x.name), Size: x.size}
	var src *sourceReader
	var payload io.Reader
	if x.payload != nil {
		src = &sourceReader{r: x.payload}
		payload = src
		if src.meter = c.meter(x, int64(x.size)); src.meter != nil {
			defer func() { src.meter.Done(src.result) }()
		}
	}
	dc.rateFrom(false)
	werr := wire.NewWriter(dc).WriteRequest(&h, payload)
	if werr != nil {
		switch {
		case src != nil && src.err != nil:
			werr = fmt.Errorf("reading the file to back up: %w", src.err)
		case errors.Is(werr, wire.ErrShortPayload):
			werr = fmt.Errorf("the file to back up is shorter than its size: %w", werr)
		default:
			werr = fmt.Errorf("sending the request: %w", werr)
		}
		if src != nil {
			src.result = werr
		}
		if !isNetworkError(werr) || errors.Is(werr, os.ErrDeadlineExceeded) || ctx.Err() != nil {
			return result{err: werr}
		}
		// A server may answer before it reads the payload (R-5.4: 1003, then close); its
		// answer says more than the failed write.
	}

	// A request with no payload in its answer leaves limit 0, the codec's whole range: an
	// unexpected answer with a payload is then reported by its status, and never read.
	rd := wire.NewReader(dc, wire.Limits{MaxName: c.opt.MaxName, MaxPayload: x.limit})
	var resp wire.ResponseHeader
	dc.rateFrom(true)
	if rerr := rd.ReadResponseHeader(&resp); rerr != nil {
		stale := rd.Offset() == 0 && ctx.Err() == nil &&
			(werr != nil || errors.Is(rerr, io.EOF) || errors.Is(rerr, syscall.ECONNRESET))
		if werr != nil {
			return result{err: werr, stale: stale}
		}
		return result{err: c.headerError(x, &resp, rerr), stale: stale}
	}
	err := c.checkResponse(x, &resp)
	if resp.Version != wire.Version {
		err = versionError(x, &resp)
	}
	if err == nil && werr != nil {
		// A success without the whole payload cannot be one.
		err = &ProtocolError{Op: x.op, Reason: fmt.Sprintf("server answered %s before it had the whole request", resp.Status), Err: werr}
	}
	if err == nil && x.handle != nil {
		err = x.handle(&resp, rd.Payload())
	}
	if src != nil && src.result == nil {
		src.result = err
	}
	keep := werr == nil && rd.PayloadLeft() == 0 && (err == nil || IsStatus(err))
	return result{err: err, keep: keep}
}

// headerError explains why a response header could not be decoded.
func (c *Client) headerError(x *exchange, resp *wire.ResponseHeader, err error) error {
	var le *wire.LimitError
	var we *wire.Error
	switch {
	case err == io.EOF:
		return &ProtocolError{Op: x.op, Reason: "the server closed the connection without a response", Err: err}
	case errors.As(err, &we) && we.Offset >= wire.ResponsePrefixLen && resp.Version != wire.Version:
		return versionError(x, resp)
	case errors.Is(err, wire.ErrUnknownStatus):
		return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("status %d, which the protocol does not define: not an FBP response", uint16(resp.Status))}
	case errors.As(err, &le) && le.Field == wire.FieldSize:
		return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("%s response of %d bytes, over the client's limit of %d", resp.Status, le.Value, le.Max), Err: err}
	case errors.As(err, &le):
		return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("response filename of %d bytes, over the client's limit of %d", le.Value, le.Max), Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &ProtocolError{Op: x.op, Reason: "response truncated", Err: err}
	}
	return fmt.Errorf("reading the response: %w", err)
}

// versionError refuses a response whose version byte is not the one this client speaks: the
// rest of it cannot be trusted to mean what the client would read in it.
func versionError(x *exchange, resp *wire.ResponseHeader) error {
	return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("response version %d, not %d: not an FBP response this client speaks", resp.Version, wire.Version)}
}

// checkResponse maps a response's status to the request's outcome and checks that the response
// is about what was asked.
func (c *Client) checkResponse(x *exchange, resp *wire.ResponseHeader) error {
	switch {
	case resp.Status == x.success && resp.Status == wire.StatusListed:
		return checkListingName(x, resp.Name)
	case resp.Status == x.success:
		return checkSameName(x, resp.Name)
	case resp.Status == wire.StatusNotExist && (x.op == wire.OpRestore || x.op == wire.OpDelete):
		if err := checkSameName(x, resp.Name); err != nil {
			return err
		}
		return ErrNotExist
	case resp.Status == wire.StatusNoFiles && x.op == wire.OpList:
		return ErrNoFiles
	}
	return &StatusError{Op: x.op, Status: resp.Status}
}

func checkSameName(x *exchange, name []byte) error {
	if string(name) == x.name {
		return nil
	}
	return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("response names %s, not the requested %s", quoteClip(name), strconv.QuoteToASCII(x.name))}
}

func checkListingName(x *exchange, name []byte) error {
	ok := len(name) == listingNameLen
	for _, b := range name {
		ok = ok && ('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9')
	}
	if ok {
		return nil
	}
	return &ProtocolError{Op: x.op, Reason: fmt.Sprintf("listing name %s is not 32 characters [A-Za-z0-9]", quoteClip(name))}
}

// isNetworkError reports whether err came from the connection rather than from a file.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// sourceReader reads a backup's payload, keeping apart its errors from the connection's.
type sourceReader struct {
	r      io.Reader
	err    error
	meter  ProgressMeter
	result error // the transfer's outcome, for the meter
}

func (s *sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF {
		s.err = err
	}
	if s.meter != nil && n > 0 {
		s.meter.Add(n)
	}
	return n, err
}

// sinkWriter writes a restored payload, keeping apart its errors from the connection's.
type sinkWriter struct {
	w     io.Writer
	err   error
	meter ProgressMeter
}

func (s *sinkWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	if err != nil {
		s.err = err
	}
	if s.meter != nil && n > 0 {
		s.meter.Add(n)
	}
	return n, err
}
