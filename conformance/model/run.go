package model

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/leanovate/gopter/gen"
)

// Result is what a run found.
type Result struct {
	Seed int64
	// Runs is how many sequences (concurrent: rounds) ran before shrinking, the failing one
	// included; Requests counts every request sent, shrinking included.
	Runs, Requests int
	// ShrinkRuns is how many sequences shrinking ran.
	ShrinkRuns int
	// Restarts counts the calls of Config.Restart.
	Restarts int
	Elapsed  time.Duration
	// FoundAfter is the time from the start to the first failing response.
	FoundAfter time.Duration

	Failed bool
	// Script is the failing sequence, shrunk, each step with its response; the last one is
	// the failing step. For a concurrent failure it is the failing user's operations of the
	// last failing round in call order; Failure.History gives each its client and times, and
	// Replay.Clients holds the shrunk client sequences.
	Script []Step
	// OriginalSteps is the length of the failing sequence before shrinking.
	OriginalSteps int
	Failure       *Failure
	// Replay re-runs the failure (see WriteReplay and Replay).
	Replay *ReplayFile
}

// Failure is the first response the model rejected, or the history it could not linearize:
// the finding, as every tester reports one (the requirement, the check, the response the
// model expected against the one that came, what differs, the exchange and where), and what
// the model alone knows of it.
type Failure struct {
	report.Finding
	// Step indexes Result.Script: the rejected step; in a concurrent failure, the RESTORE no
	// state explains or, when only the order is wrong, the last step.
	Step int
	Raw  []byte // the response's first bytes as received
	// History: a concurrent failure's operations on the failing user, in call order, one a
	// line, with client, times and results.
	History []string
}

func (f *Failure) String() string {
	var b strings.Builder
	if f.History != nil {
		fmt.Fprintf(&b, "%s [%s]\n", f.Detail, f.Requirement)
		for _, h := range f.History {
			b.WriteString("  " + h + "\n")
		}
		if len(f.Raw) > 0 {
			fmt.Fprintf(&b, "  step %d got %s\n  bytes % x\n", f.Step+1, f.Actual, f.Raw)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "step %d: %s [%s]\n  want %s\n  got  %s\n  bytes % x", f.Step+1, f.Detail, f.Requirement, f.Expected, f.Actual, f.Raw)
	return b.String()
}

// Run tests the server at cfg.Addr against the model: random sequences until one fails or
// cfg.Runs have passed. A failing run is not an error: Result.Failed says so. The error is for
// a bad Config or a cancelled ctx (with the Result so far).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Concurrent {
		return runConcurrent(ctx, cfg)
	}
	return runSequential(ctx, cfg)
}

// freshUsers draws n distinct random user ids from a cryptographic source, so that no run
// meets the data of another.
func freshUsers(n int) []uint32 {
	ids := make([]uint32, 0, n)
	for len(ids) < n {
		var b [4]byte
		_, _ = rand.Read(b[:])
		id := binary.LittleEndian.Uint32(b[:])
		dup := false
		for _, o := range ids {
			dup = dup || o == id
		}
		if !dup {
			ids = append(ids, id)
		}
	}
	return ids
}

// sequence is the system under test as gopter sees it: one sequence's run on the server,
// with users of its own.
type sequence struct {
	r         *seqRunner
	users     []uint32
	steps     []Step
	failure   *Failure
	seenLists map[string]bool
}

// stepResult is what a command's Run hands its PostCondition.
type stepResult struct {
	seq     *sequence
	index   int
	resp    *response
	skipped bool // not sent: the sequence had already failed, or the run was cancelled
}

// seqRunner holds a sequential run's counters across gopter's calls.
type seqRunner struct {
	ctx      context.Context
	cfg      Config
	ex       *exchanger
	revive   *reviver
	draw     stepDraw
	start    time.Time
	res      Result
	shrink   bool      // a sequence has failed: every later one is a shrink attempt
	shrinkBy time.Time // when shrinking stops: later attempts send nothing and pass
	lastFail *sequence // the last failing sequence: gopter's shrinking ends on it
	aborted  bool      // the run was cancelled and gopter has been told to stop
}

func (r *seqRunner) newSequence(commands.State) commands.SystemUnderTest {
	sends := true
	if r.shrink {
		sends = time.Now().Before(r.shrinkBy)
		if sends {
			r.res.ShrinkRuns++
		}
	} else {
		r.res.Runs++
	}
	if sends {
		r.revive.revive(r.ctx)
	}
	return &sequence{r: r, users: freshUsers(r.cfg.Users), seenLists: map[string]bool{}}
}

func (r *seqRunner) endSequence(sut commands.SystemUnderTest) {
	s := sut.(*sequence)
	if s.failure == nil {
		return
	}
	if !r.shrink {
		r.shrink = true
		r.res.FoundAfter = time.Since(r.start)
		r.shrinkBy = time.Now().Add(r.cfg.ShrinkTime)
		if r.cfg.MaxShrinks < 0 {
			r.shrinkBy = time.Now()
		}
		r.res.OriginalSteps = len(s.steps)
		fmt.Fprintf(r.cfg.Log, "model: sequence %d failed at step %d of %d (%s)\n",
			r.res.Runs, s.failure.Step+1, len(s.steps), s.failure.Detail)
	}
	r.lastFail = s
}

// command is one step as a gopter command.
type command struct{ step Step }

func (c *command) Run(sut commands.SystemUnderTest) commands.Result {
	s := sut.(*sequence)
	s.steps = append(s.steps, c.step)
	res := &stepResult{seq: s, index: len(s.steps) - 1}
	// A skipped step passes, so a shrink attempt past the time limit cannot replace the last
	// failure.
	if s.failure != nil || s.r.ctx.Err() != nil || (s.r.shrink && time.Now().After(s.r.shrinkBy)) {
		res.skipped = true
		return res
	}
	res.resp = s.r.ex.do(s.r.ctx, s.users[c.step.User], c.step)
	s.r.res.Requests++
	return res
}

func (c *command) NextState(st commands.State) commands.State { return st.(*modelState).next(c.step) }

// PreCondition holds always: every step is valid in every state, so a shrunk sequence is
// never refused for its order.
func (c *command) PreCondition(commands.State) bool { return true }

func (c *command) PostCondition(st commands.State, result commands.Result) *gopter.PropResult {
	res := result.(*stepResult)
	s := res.seq
	if err := s.r.ctx.Err(); err != nil {
		// A cancelled run is nobody's failure. A pass would let gopter go on drawing sequences
		// up to Runs; an error ends its check at once. Only the first step says so: every
		// shrink attempt gopter makes of the aborted sequence then passes, and ends the shrink.
		if !s.r.aborted {
			s.r.aborted = true
			return &gopter.PropResult{Status: gopter.PropError, Error: err}
		}
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	if res.skipped {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	step, f := judge(s.steps[res.index], st.(*modelState).want, res.resp, s.seenLists)
	s.steps[res.index] = step
	if f == nil {
		return &gopter.PropResult{Status: gopter.PropTrue}
	}
	f.Step = res.index
	s.failure = f
	return &gopter.PropResult{Status: gopter.PropFalse}
}

func (c *command) String() string { return c.step.Request() }

// modelState is the store after a step and the response that step must have had.
type modelState struct {
	store *store
	want  *expectation
}

func (m *modelState) next(step Step) *modelState {
	want, next := m.store.apply(step)
	return &modelState{store: next, want: want}
}

// judge fills step's outcome from resp and returns the failure, if the model rejects resp.
func judge(step Step, want *expectation, resp *response, seenLists map[string]bool) (Step, *Failure) {
	step.Got = resp.Summary()
	reason, check, req := want.check(resp, seenLists)
	if reason == "" {
		return step, nil
	}
	step.Want, step.Requirement = want.String(), string(req)
	return step, &Failure{Finding: report.Finding{Requirement: req, Check: check, Expected: step.Want, Actual: step.Got, Detail: reason}, Raw: resp.Raw}
}

// witness fills in where the failure was seen and the bytes of its exchange: step is the
// failing step as the script shows it, user the id its request went out with.
func (f *Failure) witness(step Step, user uint32) {
	f.Where = fmt.Sprintf("step %d", f.Step+1)
	f.Exchange = exchangeOf(user, step, f.Raw)
}

// shrinkStep offers simpler variants of a step: user A, the first name, a payload of 1 byte
// or half the size. gopter keeps a variant only if the sequence still fails with it.
func shrinkStep(v any) gopter.Shrink {
	c := v.(*command)
	var out []any
	add := func(s Step) { out = append(out, &command{step: s}) }
	if s := c.step; s.User != 0 {
		s.User = 0
		add(s)
	}
	if s := c.step; s.Op != wire.OpList && s.Name != namePool[0] {
		s.Name = namePool[0]
		add(s)
	}
	if s := c.step; s.Op == wire.OpBackup && s.Content.Literal == nil && s.Content.N > 1 {
		s.Content.N = 1
		add(s)
		if half := c.step.Content.N / 2; half > 1 {
			s.Content.N = half
			add(s)
		}
	}
	i := 0
	return func() (any, bool) {
		if i == len(out) {
			return nil, false
		}
		i++
		return out[i-1], true
	}
}

func runSequential(ctx context.Context, cfg Config) (*Result, error) {
	r := &seqRunner{
		ctx:   ctx,
		cfg:   cfg,
		ex:    newExchanger(cfg.Addr, cfg.Timeout, cfg.MaxPayload).recording(cfg.Capture),
		draw:  stepDraw{users: cfg.Users, names: cfg.Names, maxPayload: cfg.MaxPayload, large: 15},
		start: time.Now(),
	}
	r.revive = newReviver(cfg, r.ex, &r.res)
	r.res.Seed = cfg.Seed
	fmt.Fprintf(cfg.Log, "model: seed %d: %s of up to %s, %d users, %d names, payloads up to %d bytes\n",
		cfg.Seed, words.Count(cfg.Runs, "sequence"), words.Count(cfg.Steps, "step"), cfg.Users, cfg.Names, cfg.MaxPayload)

	cmds := &commands.ProtoCommands{
		NewSystemUnderTestFunc:     r.newSequence,
		DestroySystemUnderTestFunc: r.endSequence,
		InitialStateGen:            gen.Const(&modelState{store: newStore(cfg.Users)}),
		GenCommandFunc: func(st commands.State) gopter.Gen {
			return func(p *gopter.GenParameters) *gopter.GenResult {
				return gopter.NewGenResult(&command{step: r.draw.step(p.Rng, st.(*modelState).store)}, shrinkStep)
			}
		},
	}
	params := gopter.DefaultTestParametersWithSeed(cfg.Seed)
	params.MinSuccessfulTests = cfg.Runs
	params.MinSize = max(1, cfg.Steps/2)
	params.MaxSize = cfg.Steps + 1
	params.MaxShrinkCount = max(0, cfg.MaxShrinks)
	params.Workers = 1
	out := commands.Prop(cmds).Check(params)
	r.res.Elapsed = time.Since(r.start)

	cancelled := ctx.Err()
	if out.Status == gopter.TestError && cancelled == nil {
		return &r.res, fmt.Errorf("model: property check: %w", out.Error)
	}
	// A failure found before a cancel is reported, shrunk as far as it got.
	if r.lastFail == nil || (out.Status != gopter.TestFailed && cancelled == nil) {
		if cancelled == nil {
			fmt.Fprintf(cfg.Log, "model: seed %d: %d sequences, %d requests, no failure (%v)\n",
				cfg.Seed, r.res.Runs, r.res.Requests, r.res.Elapsed.Round(time.Millisecond))
		}
		return &r.res, cancelled
	}
	last := r.lastFail
	r.res.Failed = true
	r.res.Failure = last.failure
	// Steps after the failing one were never sent.
	r.res.Script = relabel(last.steps[:last.failure.Step+1])
	last.failure.witness(r.res.Script[last.failure.Step], last.users[last.steps[last.failure.Step].User])
	r.res.Replay = newReplay(cfg, r.res.Script, last.failure)
	fmt.Fprintf(cfg.Log, "model: seed %d: shrunk from %d to %s in %s (%v):\n%s",
		cfg.Seed, r.res.OriginalSteps, words.Count(len(r.res.Script), "step"), words.Count(r.res.ShrinkRuns, "run"), r.res.Elapsed.Round(time.Millisecond),
		FormatScript(r.res.Script))
	return &r.res, cancelled
}

// relabel renames a script's users in the order they first appear, so that a shrunk script
// starts with user A. Users are interchangeable: each run draws their ids afresh.
func relabel(steps []Step) []Step {
	label := map[int]int{}
	out := make([]Step, len(steps))
	for i, s := range steps {
		l, ok := label[s.User]
		if !ok {
			l = len(label)
			label[s.User] = l
		}
		s.User = l
		out[i] = s
	}
	return out
}
