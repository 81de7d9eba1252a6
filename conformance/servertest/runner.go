package servertest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/ref/wire"
)

// runner is one run's shared state.
type runner struct {
	cfg      Config
	dialect  *spec.Dialect
	baseline map[string]bool
	sup      *target.ServerProcess
	root     *rootWatch

	addrMu sync.Mutex
	addr   string // the server's address: a restart with {port} moves it

	// diag is what the diagnosis found; profile is how the cases speak to the server past it,
	// and profileKey the problem of a framing that some requests cannot fit.
	diag       *diagnosis.Diagnosis
	profile    diagnosis.Profile
	profileKey string
	// listKey is the problem of a server that does not answer the 6-byte LIST as it comes,
	// "" if it does.
	listKey string
	// nameLenKey is the problem of a server that reads a name_len for every op, LIST
	// included, "" if it does not.
	nameLenKey string

	usersMu sync.Mutex
	users   map[uint32]bool

	// sent holds every filename a request of the run carried: a listed name none carried is
	// a file of the server's own.
	sentMu sync.Mutex
	sent   map[string]bool

	// gate lets ordinary cases run together and a hostile case run alone.
	gate sync.RWMutex

	// connectOnly, when set, says why the health probe only sends its LIST and does not wait
	// for the answer.
	connectOnly string

	// restartMu makes one health check at a time record a crash and restart the server.
	restartMu sync.Mutex

	stateMu  sync.Mutex
	down     string // the case after which the server stopped answering, "" while it answers
	crashes  []report.Crash
	inflight map[string]bool // the cases running now
	pins     []crashPin      // crashes during cases that ran together

	// opMu guards the ops found unanswered: an op that timed out twice is not waited on again
	// at full length by every later case.
	opMu     sync.Mutex
	timeouts map[wire.Op]int
	opDown   map[wire.Op]string

	// lastAnswer is how long the last small request took to be answered: a loaded server
	// is slow to read as well, and a BACKUP's payload that must come apart from its header
	// waits that much more.
	lastAnswer atomic.Int64

	// departures says when each case last left a connection the server had not closed.
	departures departures
}

// target is the server's address now.
func (r *runner) target() string {
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	return r.addr
}

func (r *runner) setTarget(addr string) {
	r.addrMu.Lock()
	r.addr = addr
	r.addrMu.Unlock()
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

// newPrefixedUsers returns two user ids no other case of the run uses, the first a decimal
// prefix of the second (12 and 127): a server that keeps names inside a user's folder by a
// string prefix test lets the first reach the folder of the second.
func (r *runner) newPrefixedUsers() (a, b uint32) {
	r.usersMu.Lock()
	defer r.usersMu.Unlock()
	for {
		a = newUserID() % ((1<<32 - 1 - 9) / 10)
		b = a*10 + newUserID()%10
		if a != 0 && !r.users[a] && !r.users[b] {
			r.users[a], r.users[b] = true, true
			return a, b
		}
	}
}

// makeRunner is a runner for cfg that has not reached its server yet: no diagnosis, the
// canonical mapping, nothing worked around.
func makeRunner(cfg Config) *runner {
	r := &runner{cfg: cfg, addr: cfg.Addr, users: map[uint32]bool{}, baseline: map[string]bool{},
		inflight: map[string]bool{}, timeouts: map[wire.Op]int{}, opDown: map[wire.Op]string{}, dialect: spec.Canonical,
		diag: &diagnosis.Diagnosis{}}
	r.departures.init()
	return r
}

// newRunner checks cfg and reaches the server (starting it under Exec).
func newRunner(ctx context.Context, cfg Config) (*runner, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := makeRunner(cfg)
	for _, id := range cfg.Baseline {
		r.baseline[id] = true
	}
	if len(cfg.Exec) > 0 {
		sup, err := target.StartServer(ctx, target.ExecConfig{Command: cfg.Exec, Addr: cfg.Addr, Log: cfg.ExecLog,
			StartTimeout: cfg.ExecStartTimeout, RestartTimeout: cfg.ExecRestartTimeout})
		if err != nil {
			return nil, &target.UnreachableError{Addr: cfg.Addr, Err: err}
		}
		r.sup = sup
		r.setTarget(sup.Addr())
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

// errDeadline is the cause of a run's context that ended at Config.Deadline.
var errDeadline = errors.New("the run's deadline passed")

// caseOutcome is a case's result and the problems it met, before the report groups them.
type caseOutcome struct {
	res      report.Result
	keys     []string // the problems of its own failures, first first
	failures []report.Failure
	firstOf  map[string]int // the index in failures of each key's first failure
	evidence []caseEvidence // what it met of other rules' problems
	requests int            // the requests it made
	blocked  string         // the problem that kept it from running
	blockedF report.Failure
	unjudged *report.Unjudged // what it skipped for want of a flag
}

// Run runs the selected cases against cfg.Addr and returns the report. Its errors are a
// *UsageError, ErrNoCases or a *target.UnreachableError; failures of the server are in the report.
// A cancelled ctx ends the run early: the report marks what did not run and is still returned.
//
// Before the cases, a diagnosis (package conformance/diagnosis) probes the server and names
// the root causes of what is wrong with it; the cases then speak around what it found (its
// Profile), so that one broken basic is one problem, not a page of failures.
func Run(ctx context.Context, cfg Config) (report.Report, error) {
	cases := Select(&cfg)
	if len(cases) == 0 {
		return report.Report{}, ErrNoCases
	}
	if err := cfg.defaults(); err != nil {
		return report.Report{}, err
	}
	parent := ctx
	// The cases end a little before the deadline: stopping the server and writing the report
	// take their time too, and the run as a whole ends within it.
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Deadline-finishing(cfg.Deadline), errDeadline)
	defer cancel()
	r, err := newRunner(ctx, cfg)
	if err != nil {
		return report.Report{}, err
	}
	defer r.close()
	rep := report.Report{Schema: report.Schema, Target: r.target(), Strict: r.cfg.Strict, Started: time.Now()}
	r.diagnose(ctx, &rep)
	// A diagnosis cut short by an interrupt or the deadline judged nothing: its findings
	// would blame the server for the run's own end.
	cut := ctx.Err() != nil
	if r.diag.Cut != "" {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("the diagnosis stopped during %s: what those probes and the ones after them would have found is left out, as a probe cut short would blame the server", r.diag.Cut))
	}
	if f := r.diag.Finding("nothing-listens"); f != nil && !cut {
		// The diagnosis's first probe is the run's reach: nothing to test.
		return report.Report{}, &target.UnreachableError{Addr: r.target(), Err: errors.New(f.Detail)}
	}
	rep.Dialect = r.dialect.Name
	if note := r.slowTimeout(); note != "" {
		rep.Warnings = append(rep.Warnings, note)
	}
	if r.diag.Cut != "" && !r.diag.ConcurrencyProbed && r.cfg.Parallel > 1 {
		rep.Warnings = append(rep.Warnings, "the cases run one at a time: the diagnosis did not get to see how many connections the server serves at once")
	}

	outcomes := make([]caseOutcome, len(cases))
	var tally caseTally
	reordered := false
	if f := r.diag.Fatal(); f != nil && !cut {
		for i, c := range cases {
			outcomes[i] = r.blockedOutcome(c, f.Requirement, f.Key, fmt.Sprintf("blocked by [%s]: %s", f.ID, f.Summary))
		}
	} else {
		tally, reordered = r.runCases(ctx, cases, outcomes)
		r.pinCrashes(ctx, cases, outcomes)
	}
	rep.Results, rep.Problems = r.assemble(cases, outcomes)
	rep.Unjudged = r.unjudged(cases, outcomes)
	for _, id := range r.cfg.Baseline {
		if p := rep.Problem(id); p != nil {
			// A baseline that names a fault expects every case it fails to fail.
			p.KnownFailure = true
			for i := range rep.Results {
				if res := &rep.Results[i]; res.Status == report.VerdictFail && slices.Contains(p.Cases, res.ID) {
					res.ApplyBaseline()
				}
			}
		} else if !slices.ContainsFunc(Catalog(), func(c *Case) bool { return c.ID == id }) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline names %q, which is neither a case nor a problem of this run", id))
		}
	}
	rep.Interrupted = parent.Err() != nil
	r.stateMu.Lock()
	rep.Crashes = slices.Clone(r.crashes)
	r.stateMu.Unlock()
	rep.Duration = time.Since(rep.Started)
	rep.Summarize()
	rep.NextSteps = r.nextSteps(&rep)
	if context.Cause(ctx) == errDeadline {
		rep.DeadlinePassed = true
		warning, step, need := r.notReached(&rep, tally, reordered)
		if warning == "" {
			warning = fmt.Sprintf("the run's deadline of %v passed as its last case ended (-deadline)", r.cfg.Deadline)
		}
		rep.Warnings = append(rep.Warnings, warning)
		rep.DeadlineNeeded = need
		if step != "" {
			rep.NextSteps = append([]string{step}, rep.NextSteps...)
		}
		rep.Summarize()
	}
	if r.cfg.Progress != nil {
		// A caller that showed progress sees the run end.
		r.cfg.Progress(Progress{Total: len(cases), Done: len(cases), Failed: rep.Summary.Must.Fail + rep.Summary.Should.Fail})
	}
	return rep, nil
}

// finishing is what the run keeps of its deadline for its end: stopping a case cut short,
// stopping the server, the report.
func finishing(deadline time.Duration) time.Duration {
	return min(2*time.Second, deadline/20)
}

// runCases runs the cases, ordinary ones first and then those that send bad input: a server
// that dies of bad input has had every other case tested first. When the measured latency says
// that the cases cannot all run before the deadline, they run by what they protect instead
// (protectOrder), and reordered says so. The tally is what the cases that ran measured.
func (r *runner) runCases(ctx context.Context, cases []*Case, outcomes []caseOutcome) (tally caseTally, reordered bool) {
	order := make([]int, len(cases))
	for i := range order {
		order[i] = i
	}
	left := r.cfg.Deadline
	if end, ok := ctx.Deadline(); ok {
		left = time.Until(end)
	}
	if reordered = !r.fits(len(cases), left); reordered {
		protectOrder(cases, order)
	} else {
		slices.SortStableFunc(order, func(a, b int) int {
			return cmp.Compare(boolInt(cases[a].Hostile), boolInt(cases[b].Hostile))
		})
	}
	parallel := r.width()
	work := make(chan int)
	var wg sync.WaitGroup
	var progressMu sync.Mutex
	done, failed := 0, 0
	start := time.Now()
	for range min(parallel, len(cases)) {
		wg.Go(func() {
			for i := range work {
				outcomes[i] = r.runOne(ctx, cases[i])
				progressMu.Lock()
				if outcomes[i].res.Status != report.VerdictNotRun {
					tally.ran++
					tally.requests += outcomes[i].requests
				}
				if r.cfg.Progress != nil {
					done++
					if outcomes[i].res.Status == report.VerdictFail {
						failed++
					}
					r.cfg.Progress(Progress{Total: len(cases), Done: done, Failed: failed, Last: outcomes[i].res})
				}
				progressMu.Unlock()
			}
		})
	}
	for _, i := range order {
		if ctx.Err() != nil {
			outcomes[i] = r.notRun(ctx, cases[i])
			continue
		}
		select {
		case work <- i:
		case <-ctx.Done():
			outcomes[i] = r.notRun(ctx, cases[i])
		}
	}
	close(work)
	wg.Wait()
	tally.elapsed = time.Since(start)
	return tally, reordered
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Progress is what Config.Progress is told as cases end.
type Progress struct {
	Total, Done, Failed int
	// Last is the result of the case that just ended; zero in the call that ends the run.
	Last report.Result
}

func (r *runner) newT(ctx context.Context, c *Case, d *spec.Dialect) *caseRun {
	t := &caseRun{ctx: ctx, run: r, c: c, dialect: d}
	if c.concurrent && r.profile.Serial {
		// Of clients at once, one left unanswered by a server that serves one connection
		// at a time is that fault's, whatever else held the server.
		t.noAnswerAs = problemAs{spec.R5_3, diagnosis.KeyStalledClients}
	}
	return t
}

func baseResult(c *Case) report.Result {
	return report.Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc}
}

// notRun is the outcome of a case the run ended before.
func (r *runner) notRun(ctx context.Context, c *Case) caseOutcome {
	res := baseResult(c)
	res.Status, res.Reason = report.VerdictNotRun, "interrupted"
	if context.Cause(ctx) == errDeadline {
		res.Reason = fmt.Sprintf("not reached: the run's deadline of %v passed", r.cfg.Deadline)
	}
	return caseOutcome{res: res}
}

// blockedOutcome is the outcome of a case a problem keeps from running.
func (r *runner) blockedOutcome(c *Case, req spec.ID, key, why string) caseOutcome {
	res := baseResult(c)
	res.Status, res.Reason = report.VerdictBlocked, why
	return caseOutcome{res: res, blocked: key, blockedF: report.Failure{Requirement: string(req), Actual: why, Exchange: -1}}
}

// runOne runs c, then checks the server's health after it when c sent bad input or did not
// pass.
func (r *runner) runOne(ctx context.Context, c *Case) caseOutcome {
	if c.Hostile {
		r.gate.Lock()
		defer r.gate.Unlock()
	} else {
		r.gate.RLock()
		defer r.gate.RUnlock()
	}
	if ctx.Err() != nil {
		return r.notRun(ctx, c)
	}
	if key, why := r.waitUp(ctx); why != "" {
		return r.blockedOutcome(c, spec.R5_3, key, why)
	}
	r.stateMu.Lock()
	r.inflight[c.ID] = true
	r.stateMu.Unlock()
	defer func() {
		r.stateMu.Lock()
		delete(r.inflight, c.ID)
		r.stateMu.Unlock()
	}()
	start := time.Now()
	t := r.newT(ctx, c, r.dialect)
	defer r.departures.forget(t)
	stopWatch := t.watchContext(ctx)
	t.runFunc(c.run)
	stopWatch()
	if ctx.Err() != nil {
		t.closeAll()
		return r.notRun(ctx, c)
	}
	t.closeAll()
	t.checkTails()
	if r.root != nil {
		r.root.check(t)
	}
	if t.skipped == "" {
		// After the case's own findings: a fault it showed itself is shown with its bytes.
		t.judgeDiagnosed()
	}
	out := t.outcome()
	out.requests = t.requests()
	if c.Hostile || out.res.Status == report.VerdictFail || out.res.Status == report.VerdictBlocked {
		if crash, detail := r.health(ctx, c, r.departures.leftAt(t)); crash != "" {
			f := report.Failure{Requirement: string(spec.R5_3), Sentence: spec.R5_3.Sentence(),
				Expected: "the server to keep serving other connections", Actual: crash + " (" + detail + ")", Exchange: -1}
			out.res.Crash = f.Actual
			out.res.Failures = append(out.res.Failures, f)
			out.res.Status = report.VerdictFail
			out.res.Reason = f.Actual
			out.res.BlockedBy, out.blocked = "", ""
			// The crash is the case's own problem, first of all: the server died of it, and
			// the requests it left unanswered are its consequence, not problems of their own.
			out.keys = slices.DeleteFunc(out.keys, diagnosis.IsNoAnswerKey)
			out.keys = append([]string{r.crashKey(c)}, out.keys...)
			out.failures = append(out.failures, f)
			out.firstOf[r.crashKey(c)] = len(out.failures) - 1
		}
	}
	if out.res.Crash == "" {
		t.cleanup()
	}
	t.closeAll()
	out.res.Duration = time.Since(start)
	r.applyBaseline(&out.res)
	if rec := r.cfg.Capture; rec != nil {
		note := ""
		if fs := out.res.Failures; len(fs) > 0 {
			note = fmt.Sprintf("%s: expected %s, got %s", fs[0].Requirement, fs[0].Expected, fs[0].Actual)
		}
		rec.End(c.ID, out.res.Status == report.VerdictFail, note)
	}
	if !r.cfg.Verbose && out.res.Status != report.VerdictFail && out.res.Status != report.VerdictKnownFailure {
		out.res.Exchanges = nil
	}
	return out
}

// crashKey is the problem of a server that died during c: cases that do the same thing to it
// share one. security/connect-and-close closes a connection and resets another: when the
// diagnosis found which of the two kills the server, the death is that one's.
func (r *runner) crashKey(c *Case) string {
	switch {
	case c.ID == connectAndClose:
		reset := diagnosis.KeyCrash(diagnosis.CauseReset)
		if r.diagFinding(reset) != nil && r.diagFinding(diagnosis.KeyCrash(diagnosis.CauseConnectClose)) == nil {
			return reset
		}
		return diagnosis.KeyCrash(diagnosis.CauseConnectClose)
	case c.cutsRequests:
		return diagnosis.KeyCrash(diagnosis.CauseTruncated)
	}
	return diagnosis.KeyCrash(c.ID)
}

// connectAndClose is the case that closes and resets connections without a request.
const connectAndClose = "security/connect-and-close"

// diagFinding returns the diagnosis's finding of key, or nil.
func (r *runner) diagFinding(key string) *diagnosis.Finding {
	if r.diag == nil {
		return nil
	}
	for i := range r.diag.Findings {
		if r.diag.Findings[i].Key == key {
			return &r.diag.Findings[i]
		}
	}
	return nil
}

func (r *runner) applyBaseline(res *report.Result) {
	if r.baseline[res.ID] {
		res.ApplyBaseline()
	}
}
