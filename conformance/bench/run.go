package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// system is what a round measures: a server, or a baseline of the machine's limits.
type system interface {
	label() string
	// actor is client i, the same one in every round.
	actor(i int) actor
}

// actor is one client of a system.
type actor interface {
	// prepare stores what the client's first requests need (every name once).
	prepare(ctx context.Context) []outcome
	// step draws one request, runs it and judges the answer.
	step(ctx context.Context) outcome
	// cleanup removes what the client stored.
	cleanup(ctx context.Context)
	// close drops a kept connection at the end of a round.
	close()
}

func opIndex(op wire.Op) int { return slices.Index(Ops[:], op) }

// tally is what one system did at one number of clients, all rounds together.
type tally struct {
	sys     system
	lat     [numOps]Histogram
	connect Histogram
	// ok, bytes and errs count the measured rounds; errs also what the preparation and the
	// warm-up met, since a wrong answer is wrong whenever it comes.
	errs     [numOps][numKinds]atomic.Int64
	mu       sync.Mutex
	examples map[Kind][]string
	// findings are the first answer of each problem (requirement and check) that broke a rule.
	findings []report.Finding
	rounds   []RoundFigures
	cpu      time.Duration
	cpuKnown bool
}

// examplesKept is how many errors of each kind a report quotes.
const examplesKept = 3

func (t *tally) failure(out *outcome, client int) {
	t.errs[opIndex(out.op)][out.kind].Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.examples == nil {
		t.examples = map[Kind][]string{}
	}
	if len(t.examples[out.kind]) < examplesKept {
		t.examples[out.kind] = append(t.examples[out.kind], fmt.Sprintf("client %d, %v: %s", client, out.op, out.what))
	}
	if out.viol == nil {
		return
	}
	f := report.FindingOf(out.viol, out.ex, fmt.Sprintf("client %d", client))
	if !slices.ContainsFunc(t.findings, func(g report.Finding) bool { return g.Key() == f.Key() }) {
		t.findings = append(t.findings, f)
	}
}

// round counts one round's answers.
type round struct {
	ok, bytes [numOps]atomic.Int64
	errs      atomic.Int64
	// The round ends at end, or when left reaches 0 (Count).
	end  time.Time
	left atomic.Int64
}

func (r *round) more(ctx context.Context, count bool) bool {
	if ctx.Err() != nil {
		return false
	}
	if count {
		return r.left.Add(-1) >= 0
	}
	return time.Now().Before(r.end)
}

// runner runs a Config.
type runner struct {
	cfg      *Config
	systems  []system
	servers  []*server
	prepared map[system]int // clients of each system prepared so far
}

// Run measures the configured servers (and baselines) at each number of clients in turn. Its
// error is for a run that could not start (ErrConfig, a baseline that could not be set up);
// the servers' failures are in the Result. A cancelled ctx ends the run early: the Result
// says it was interrupted.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xbe1c4))
	r := &runner{cfg: &cfg, prepared: map[system]int{}}
	r.servers = append(r.servers, newServer(cfg.Target, &cfg, rng))
	if cfg.Compare != nil {
		r.servers = append(r.servers, newServer(*cfg.Compare, &cfg, rng))
	}
	for _, s := range r.servers {
		r.systems = append(r.systems, s)
	}
	if cfg.Baseline {
		lb, err := startLoopback(&cfg, rng)
		if err != nil {
			return nil, fmt.Errorf("loopback baseline: %w", err)
		}
		defer lb.stop()
		disk, err := newDisk(&cfg, rng)
		if err != nil {
			return nil, fmt.Errorf("disk baseline: %w", err)
		}
		defer disk.remove()
		r.systems = append(r.systems, lb, disk)
	}
	res := &Result{Head: report.Head{Schema: Schema, Target: cfg.Target.Addr}, Seed: cfg.Seed, Settings: settingsOf(&cfg)}
	start := time.Now()
	if cfg.Probe && cfg.maxClients() > 1 {
		for _, s := range r.servers {
			r.logf("probing how many connections %s serves at once", s.Label)
			res.Probes = append(res.Probes, probe(ctx, s, cfg.maxClients()-1, &cfg))
		}
	}
	for _, n := range cfg.Clients {
		if ctx.Err() != nil {
			break
		}
		res.Levels = append(res.Levels, r.level(ctx, n))
	}
	if !cfg.Keep {
		r.cleanup()
	}
	res.Elapsed = time.Since(start)
	res.Interrupted = ctx.Err() != nil
	res.explain()
	return res, nil
}

func (r *runner) logf(format string, a ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, "conform bench: "+format+"\n", a...)
	}
}

// level runs every system at n clients: preparation, warm-up, then the rounds, each system
// once a round, a different one first each round.
func (r *runner) level(ctx context.Context, n int) Level {
	tallies := make([]*tally, len(r.systems))
	for i, sys := range r.systems {
		t := &tally{sys: sys, cpuKnown: true}
		tallies[i] = t
		if from := r.prepared[sys]; from < n {
			r.logf("%s: preparing %s", words.Count(n, "client"), sys.label())
			r.each(from, n, func(i int) {
				for _, out := range sys.actor(i).prepare(ctx) {
					if !out.ok && ctx.Err() == nil {
						t.failure(&out, i)
					}
				}
			})
			r.prepared[sys] = n
		}
		if r.cfg.Warmup > 0 {
			r.logf("%s: warming up %s for %v", words.Count(n, "client"), sys.label(), r.cfg.Warmup)
			r.phase(ctx, t, n, false)
		}
	}
	for round := 0; round < r.cfg.maxRounds(); round++ {
		if round >= r.cfg.Rounds && r.settled(tallies) {
			break
		}
		for k := range tallies {
			t := tallies[(k+round)%len(tallies)]
			r.logf("%s: round %d of %d: %s", words.Count(n, "client"), round+1, r.cfg.maxRounds(), t.sys.label())
			var before Usage
			usage := usageOf(t.sys)
			if usage != nil {
				var err error
				before, err = usage()
				t.cpuKnown = t.cpuKnown && err == nil
			}
			fig := r.phase(ctx, t, n, true)
			if usage != nil {
				after, err := usage()
				t.cpuKnown = t.cpuKnown && err == nil
				fig.CPU = after.CPU - before.CPU
				t.cpu += fig.CPU
			}
			t.rounds = append(t.rounds, fig)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return r.summarize(n, tallies)
}

// settled reports whether every ratio of the rounds so far lies within ±settled of its median.
func (r *runner) settled(tallies []*tally) bool {
	var systems []System
	for _, t := range tallies {
		s := System{Label: t.sys.label(), Kind: kindOf(t.sys), Rounds: t.rounds}
		for _, op := range Ops {
			if r.cfg.Mix.Has(op) {
				s.Ops = append(s.Ops, OpFigures{Op: opName(op)})
			}
		}
		systems = append(systems, s)
	}
	if c := combined(systems); c != nil {
		systems = append(systems, *c)
	}
	for _, ra := range ratios(systems) {
		if ra.Spread > settled {
			return false
		}
	}
	return true
}

func usageOf(sys system) func() (Usage, error) {
	if s, ok := sys.(*server); ok {
		return s.Usage
	}
	return nil
}

// each runs f(i) for clients from to n-1 at once and waits.
func (r *runner) each(from, n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := from; i < n; i++ {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}

// phase runs n clients of t's system for a round (or, unmeasured, for the warm-up).
func (r *runner) phase(ctx context.Context, t *tally, n int, measured bool) RoundFigures {
	rd := &round{}
	count := measured && r.cfg.Count > 0
	if count {
		rd.left.Store(int64(r.cfg.Count))
	}
	d := r.cfg.Duration
	if !measured {
		d = r.cfg.Warmup
	}
	start := time.Now()
	rd.end = start.Add(d)
	r.each(0, n, func(i int) {
		a := t.sys.actor(i)
		defer a.close()
		for rd.more(ctx, count) {
			t0 := time.Now()
			out := a.step(ctx)
			took := time.Since(t0)
			switch {
			case ctx.Err() != nil:
				// An interrupted request is nobody's error.
			case !out.ok:
				rd.errs.Add(1)
				t.failure(&out, i)
			case measured:
				k := opIndex(out.op)
				rd.ok[k].Add(1)
				rd.bytes[k].Add(out.bytes)
				t.lat[k].Record(took)
				if out.dialed {
					t.connect.Record(out.connect)
				}
			}
		}
	})
	elapsed := time.Since(start)
	fig := RoundFigures{Elapsed: elapsed, Errors: rd.errs.Load()}
	for k, op := range Ops {
		if !r.cfg.Mix.Has(op) {
			continue
		}
		ok, b := rd.ok[k].Load(), rd.bytes[k].Load()
		fig.Ops = append(fig.Ops, OpRound{Op: opName(op), OK: ok, Bytes: b, OpsPerSec: float64(ok) / elapsed.Seconds()})
	}
	return fig
}

// cleanup deletes what the servers' clients stored.
func (r *runner) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout+10*time.Second)
	defer cancel()
	for _, s := range r.servers {
		r.logf("deleting what the clients stored on %s", s.Label)
		r.each(0, r.prepared[s], func(i int) { s.clients[i].cleanup(ctx) })
	}
}
