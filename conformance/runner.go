package conformance

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// runner is one run's shared state.
type runner struct {
	cfg      Config
	addr     string
	dialect  *spec.Dialect
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
	crashes []report.Crash
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
func Run(ctx context.Context, cfg Config) (report.Report, error) {
	cases := Select(&cfg)
	if len(cases) == 0 {
		return report.Report{}, ErrNoCases
	}
	r, err := newRunner(ctx, cfg)
	if err != nil {
		return report.Report{}, err
	}
	defer r.close()
	rep := report.Report{Schema: report.Schema, Target: r.addr, Strict: r.cfg.Strict, Started: time.Now()}
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

	results := make([]report.Result, len(cases))
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
	rep.Summarize()
	return rep, nil
}

func (r *runner) newT(ctx context.Context, c *Case, d *spec.Dialect) *caseRun {
	return &caseRun{ctx: ctx, run: r, c: c, dialect: d}
}

func (r *runner) notRun(c *Case, why string) report.Result {
	return report.Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc, Status: report.VerdictNotRun, Reason: why}
}

// runOne runs c, then checks the server's health after it when c sent bad input or failed.
func (r *runner) runOne(ctx context.Context, c *Case) report.Result {
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
	t.runFunc(c.run)
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
	if c.Hostile || res.Status == report.VerdictFail {
		if crash := r.health(ctx, c); crash != "" {
			res.Crash = crash
			res.Failures = append(res.Failures, report.Failure{Requirement: string(spec.R5_3), Sentence: spec.R5_3.Sentence(),
				Expected: "the server to keep serving other connections", Actual: crash, Exchange: -1})
			res.Status = report.VerdictFail
			res.Reason = crash
		}
	}
	if res.Crash == "" {
		t.cleanup()
	}
	t.closeAll()
	res.Duration = time.Since(start)
	r.applyBaseline(&res)
	if !r.cfg.Verbose && res.Status != report.VerdictFail && res.Status != report.VerdictKnownFailure {
		res.Exchanges = nil
	}
	return res
}

func (r *runner) applyBaseline(res *report.Result) {
	if !r.baseline[res.ID] {
		return
	}
	switch res.Status {
	case report.VerdictFail:
		res.Status = report.VerdictKnownFailure
	case report.VerdictPass:
		res.Status = report.VerdictUnexpectedPass
		res.Reason = "passes, though the baseline lists it as a known failure"
	}
}
