package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"sync"
	"time"
)

// Config is what a run tests and how.
type Config struct {
	// Addr is the server under test, host:port.
	Addr string
	// Run and Skip select cases by ID; nil selects all, skips none.
	Run, Skip *regexp.Regexp
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// Timeout bounds every connect, read and write. Default 5s.
	Timeout time.Duration
	// Grace is how long the runner waits after a response's end for bytes that should not be
	// there. Default 50ms.
	Grace time.Duration
	// Parallel is how many cases run at once; cases that send bad input always run alone. Default 4.
	Parallel int
	// Keep leaves what the cases stored on the server.
	Keep bool
	// Dialect is "canonical", "auto" or the name of a known dialect. Default canonical.
	Dialect string
	// LargeSize is the size of the backup/large case's file. Default 8 MiB.
	LargeSize int64
	// SkipLarge leaves the backup/large case out.
	SkipLarge bool
	// Clients is how many clients the concurrency cases run at once. Default 8.
	Clients int
	// Stall is how long the stalled client holds its connection at least. Default 300ms.
	Stall time.Duration
	// MaxSize is the server's size limit, when the tester knows it: security/size-over-limit
	// then checks that a BACKUP stating one byte more is answered 1003 before any payload byte
	// is sent. Unset, the runner cannot tell a limit from a slow upload and skips it.
	MaxSize int64
	// StallCutoff is the longest read deadline the transport/stall-cut-off case accepts from
	// the server; unset, that case is skipped, for a server's deadline may be minutes.
	StallCutoff time.Duration
	// MaxList bounds the listings and unchecked payloads the runner reads. Default 1 MiB.
	MaxList int64
	// Verbose keeps the bytes of passing cases in the report too.
	Verbose bool
	// Baseline lists IDs of cases known to fail: their failure does not count, their pass is
	// reported.
	Baseline []string
	// Root is the server's storage folder, when it is local: the runner then checks it for
	// files that escaped a user's folder and for leftovers of failed uploads.
	Root string
	// Exec is a command that starts the server under test listening on Addr; the runner starts
	// it, and restarts it after a crash.
	Exec []string
	// ExecStartTimeout bounds how long the Exec command may take to listen. Default 10s.
	ExecStartTimeout time.Duration
	// ExecLog receives the server's output under Exec; nil discards it.
	ExecLog io.Writer
	// ContinueAfterCrash runs the remaining cases after the server stopped answering (each
	// waits for it to answer again); by default the run stops there. Under Exec the server is
	// restarted and the run always goes on.
	ContinueAfterCrash bool
	// Progress, if set, is called with each result as its case ends (from several goroutines
	// one at a time).
	Progress func(Result)
}

func (c *Config) defaults() error {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 50 * time.Millisecond
	}
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	if c.Dialect == "" {
		c.Dialect = "canonical"
	}
	if c.Dialect != "auto" && DialectByName(c.Dialect) == nil {
		return &UsageError{Msg: fmt.Sprintf("unknown dialect %q (known: auto, canonical, seed003)", c.Dialect)}
	}
	if c.LargeSize <= 0 {
		c.LargeSize = 8 << 20
	}
	if c.LargeSize > 1<<32-1 {
		return &UsageError{Msg: fmt.Sprintf("large size %d does not fit the 4-byte size field", c.LargeSize)}
	}
	if c.MaxSize < 0 || c.MaxSize > 1<<32-1 {
		return &UsageError{Msg: fmt.Sprintf("max size %d does not fit the 4-byte size field", c.MaxSize)}
	}
	if c.ExecStartTimeout <= 0 {
		c.ExecStartTimeout = DefaultStartTimeout
	}
	if c.Clients <= 0 {
		c.Clients = 8
	}
	if c.Stall <= 0 {
		c.Stall = 300 * time.Millisecond
	}
	if c.MaxList <= 0 {
		c.MaxList = 1 << 20
	}
	if c.Addr == "" {
		return &UsageError{Msg: "no address to test"}
	}
	return nil
}

// UsageError is a configuration the run cannot start with.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrNoCases is returned when the selection matches no case: a run that tests nothing must
// not look like a pass.
var ErrNoCases = errors.New("the selection matched no case")

// UnreachableError says the server could not be reached when the run started.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("cannot reach %s: %v", e.Addr, e.Err) }
func (e *UnreachableError) Unwrap() error { return e.Err }

// Select returns the catalog's cases that cfg's Run and Skip select, in catalog order.
func Select(cfg *Config) []*Case {
	var out []*Case
	for _, c := range Catalog() {
		if cfg.Run != nil && !cfg.Run.MatchString(c.ID) {
			continue
		}
		if cfg.Skip != nil && cfg.Skip.MatchString(c.ID) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// runner is one run's shared state.
type runner struct {
	cfg      Config
	addr     string
	dialect  *Dialect
	baseline map[string]bool
	sup      *ServerProcess
	root     *rootWatch

	usersMu sync.Mutex
	users   map[uint32]bool

	// gate lets ordinary cases run together and a hostile case run alone.
	gate sync.RWMutex

	// connectOnly, when set, says why the health probe only connects.
	connectOnly string

	stateMu sync.Mutex
	down    string // the case after which the server stopped answering, "" while it answers
	crashes []Crash
}

func (r *runner) newUser() uint32 {
	r.usersMu.Lock()
	defer r.usersMu.Unlock()
	for {
		u := newUserID()
		if !r.users[u] {
			r.users[u] = true
			return u
		}
	}
}

// newRunner checks cfg and reaches the server (starting it under Exec).
func newRunner(ctx context.Context, cfg Config) (*runner, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, addr: cfg.Addr, users: map[uint32]bool{}, baseline: map[string]bool{}}
	for _, id := range cfg.Baseline {
		r.baseline[id] = true
	}
	if len(cfg.Exec) > 0 {
		sup, err := StartServer(ctx, ExecConfig{Command: cfg.Exec, Addr: cfg.Addr, Log: cfg.ExecLog, StartTimeout: cfg.ExecStartTimeout})
		if err != nil {
			return nil, &UnreachableError{Addr: cfg.Addr, Err: err}
		}
		r.sup = sup
	}
	if err := r.reachable(ctx); err != nil {
		r.close()
		return nil, &UnreachableError{Addr: cfg.Addr, Err: err}
	}
	if err := r.probe(ctx); err != nil {
		// The server accepts connections but does not answer a LIST: the health probe falls
		// back to connecting, so that this fault is reported by the LIST cases rather than as a
		// crash after every case.
		r.connectOnly = fmt.Sprintf("the server does not answer a LIST at the start (%v): the health probe only connects", err)
	}
	if cfg.Root != "" {
		w, err := newRootWatch(cfg.Root)
		if err != nil {
			r.close()
			return nil, &UsageError{Msg: err.Error()}
		}
		r.root = w
	}
	return r, nil
}

func (r *runner) close() {
	if r.sup != nil {
		_ = r.sup.Stop()
	}
}

// Run runs the selected cases against cfg.Addr and returns the report. Its errors are a
// *UsageError, ErrNoCases or an *UnreachableError; failures of the server are in the report.
// A cancelled ctx ends the run early: the report marks what did not run and is still returned.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cases := Select(&cfg)
	if len(cases) == 0 {
		return Report{}, ErrNoCases
	}
	r, err := newRunner(ctx, cfg)
	if err != nil {
		return Report{}, err
	}
	defer r.close()
	rep := Report{Schema: ReportSchema, Target: r.addr, Strict: r.cfg.Strict, Started: time.Now()}
	for _, id := range r.cfg.Baseline {
		if !slices.ContainsFunc(Catalog(), func(c *Case) bool { return c.ID == id }) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline names %q, which is not a case", id))
		}
	}
	if r.connectOnly != "" {
		rep.Warnings = append(rep.Warnings, r.connectOnly)
	}
	r.dialect, rep.DialectNote = r.chooseDialect(ctx)
	rep.Dialect = r.dialect.Name

	results := make([]Result, len(cases))
	work := make(chan int)
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	for range min(r.cfg.Parallel, len(cases)) {
		wg.Go(func() {
			for i := range work {
				results[i] = r.runOne(ctx, cases[i])
				if r.cfg.Progress != nil {
					progressMu.Lock()
					r.cfg.Progress(results[i])
					progressMu.Unlock()
				}
			}
		})
	}
	for i := range cases {
		if ctx.Err() != nil {
			results[i] = r.notRun(cases[i], "interrupted")
			continue
		}
		select {
		case work <- i:
		case <-ctx.Done():
			results[i] = r.notRun(cases[i], "interrupted")
		}
	}
	close(work)
	wg.Wait()
	rep.Results = results
	rep.Interrupted = ctx.Err() != nil
	r.stateMu.Lock()
	rep.Crashes = slices.Clone(r.crashes)
	r.stateMu.Unlock()
	rep.Duration = time.Since(rep.Started)
	rep.summarize()
	return rep, nil
}

// chooseDialect returns the configured dialect, or under "auto" the one the server's answers
// match, with a note saying what was found.
func (r *runner) chooseDialect(ctx context.Context) (*Dialect, string) {
	if r.cfg.Dialect != "auto" {
		return DialectByName(r.cfg.Dialect), ""
	}
	t := r.newT(ctx, &Case{ID: "dialect-fingerprint"}, Canonical)
	var fp Fingerprint
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		fp, err = t.Fingerprint()
	}()
	<-done
	t.tails.Wait()
	t.cleanup()
	switch d := fp.match(); {
	case err != nil:
		return Canonical, fmt.Sprintf("auto: fingerprint failed (%v); running as canonical", err)
	case d == nil:
		return Canonical, fmt.Sprintf("auto: unknown mapping %s; running as canonical", fp)
	case d == Canonical:
		return d, "auto: the server follows the canonical mapping"
	default:
		return d, fmt.Sprintf("auto: dialect %s (deviates from %v); the other cases run under it", d.Name, d.Deviates)
	}
}

func (r *runner) newT(ctx context.Context, c *Case, d *Dialect) *T {
	return &T{ctx: ctx, run: r, c: c, dialect: d}
}

func (r *runner) notRun(c *Case, why string) Result {
	return Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc, Status: NotRun, Reason: why}
}

// runOne runs c, then checks the server's health after it when c sent bad input or failed.
func (r *runner) runOne(ctx context.Context, c *Case) Result {
	if c.Hostile {
		r.gate.Lock()
		defer r.gate.Unlock()
	} else {
		r.gate.RLock()
		defer r.gate.RUnlock()
	}
	if ctx.Err() != nil {
		return r.notRun(c, "interrupted")
	}
	if why := r.waitUp(ctx); why != "" {
		return r.notRun(c, why)
	}
	start := time.Now()
	t := r.newT(ctx, c, r.dialect)
	stopWatch := t.watchContext(ctx)
	t.runCase()
	stopWatch()
	if ctx.Err() != nil {
		t.closeAll()
		return r.notRun(c, "interrupted")
	}
	t.closeAll()
	t.checkTails()
	if r.root != nil {
		r.root.check(t)
	}
	res := t.result()
	if c.Hostile || res.Status == Fail {
		if crash := r.health(ctx, c); crash != "" {
			res.Crash = crash
			res.Failures = append(res.Failures, Failure{Req: "R-5.3", Sentence: requirements["R-5.3"],
				Expected: "the server to keep serving other connections", Actual: crash, Exchange: -1})
			res.Status = Fail
			res.Reason = crash
		}
	}
	if res.Crash == "" {
		t.cleanup()
	}
	t.closeAll()
	res.Duration = time.Since(start)
	r.applyBaseline(&res)
	if !r.cfg.Verbose && res.Status != Fail && res.Status != Known {
		res.Exchanges = nil
	}
	return res
}

func (r *runner) applyBaseline(res *Result) {
	if !r.baseline[res.ID] {
		return
	}
	switch res.Status {
	case Fail:
		res.Status = Known
	case Pass:
		res.Status = Fixed
		res.Reason = "passes, though the baseline lists it as a known failure"
	}
}

// result turns what the case recorded into its Result.
func (t *T) result() Result {
	c := t.c
	res := Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc}
	t.mu.Lock()
	defer t.mu.Unlock()
	res.Failures = t.failures
	res.Notes = t.notes
	for _, ex := range t.exchanges {
		e := *ex
		e.Sent, e.Received = ex.sent.clip(), ex.recv.clip()
		if ex.reply != nil {
			e.Outcome = ex.reply.String()
			if len(ex.reply.Trailing) > 0 {
				e.Outcome += fmt.Sprintf(", then %d bytes more", len(ex.reply.Trailing))
			}
		}
		res.Exchanges = append(res.Exchanges, e)
	}
	switch {
	case len(t.failures) > 0 && c.Level == Info:
		// An INFO case's broken expectations are observations.
		res.Status = Noted
		for _, f := range t.failures {
			res.Notes = append(res.Notes, fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual))
		}
		res.Failures = nil
		res.Reason = res.Notes[0]
	case len(t.failures) > 0:
		res.Status = Fail
		f := t.failures[0]
		res.Reason = fmt.Sprintf("%s: expected %s, got %s", f.Req, f.Expected, f.Actual)
	case t.skipped != "":
		res.Status = Skipped
		res.Reason = t.skipped
	case c.Level == Info:
		res.Status = Noted
		if len(t.notes) > 0 {
			res.Reason = t.notes[0]
		}
	default:
		res.Status = Pass
	}
	return res
}

// cleanup deletes what the case stored, unless the run keeps it.
func (t *T) cleanup() {
	if t.run.cfg.Keep || t.ctx.Err() != nil {
		return
	}
	t.mu.Lock()
	var todo []struct {
		u uint32
		n string
	}
	for u, names := range t.stored {
		for n := range names {
			todo = append(todo, struct {
				u uint32
				n string
			}{u, n})
		}
	}
	t.mu.Unlock()
	for _, x := range todo {
		deleteQuietly(t.ctx, t.run.addr, t.run.cfg.Timeout, x.u, x.n)
	}
}

// deleteQuietly sends a DELETE and reads whatever comes back, recording nothing.
func deleteQuietly(ctx context.Context, addr string, timeout time.Duration, user uint32, name string) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(nameRequest(user, 201, []byte(name))); err != nil {
		return
	}
	var b [64]byte
	c.Read(b[:])
}

// reachable checks that the server accepts a connection.
func (r *runner) reachable(ctx context.Context) error {
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// probe checks that the server answers a LIST of a fresh user with at least a status.
func (r *runner) probe(ctx context.Context) error {
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(r.cfg.Timeout))
	if _, err := c.Write(listRequest(r.newUser())); err != nil {
		return fmt.Errorf("sending LIST: %w", err)
	}
	var b [3]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return fmt.Errorf("reading the answer to LIST: %w", err)
	}
	return nil
}

// health runs the probe after case c. It returns "" if the server answers, and otherwise says
// what happened, restarting the server under Exec or marking it down.
func (r *runner) health(ctx context.Context, c *Case) string {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return ""
			case <-time.After(200 * time.Millisecond):
			}
		}
		if r.sup != nil && r.sup.Exited() {
			break
		}
		if r.connectOnly != "" {
			err = r.reachable(ctx)
		} else {
			err = r.probe(ctx)
		}
		if err == nil {
			return ""
		}
	}
	if ctx.Err() != nil {
		return ""
	}
	msg := fmt.Sprintf("server stopped answering after case %s", c.ID)
	detail := fmt.Sprint(err)
	if r.sup != nil {
		detail = r.sup.Describe()
		if rerr := r.sup.Restart(ctx); rerr != nil {
			detail += fmt.Sprintf("; restart failed: %v", rerr)
			r.markDown(c.ID)
		}
	} else {
		r.markDown(c.ID)
	}
	r.stateMu.Lock()
	r.crashes = append(r.crashes, Crash{After: c.ID, Detail: detail})
	r.stateMu.Unlock()
	return msg + " (" + detail + ")"
}

func (r *runner) markDown(id string) {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	if r.down == "" {
		r.down = id
	}
}

// waitUp returns "" when the server is (again) answering, or why the case cannot run.
func (r *runner) waitUp(ctx context.Context) string {
	r.stateMu.Lock()
	down := r.down
	r.stateMu.Unlock()
	if down == "" {
		return ""
	}
	if !r.cfg.ContinueAfterCrash {
		return fmt.Sprintf("not run: the server stopped answering after case %s", down)
	}
	if r.reachable(ctx) == nil && (r.connectOnly != "" || r.probe(ctx) == nil) {
		r.stateMu.Lock()
		r.down = ""
		r.stateMu.Unlock()
		return ""
	}
	return fmt.Sprintf("not run: the server has not answered since case %s", down)
}
