package model

import (
	"context"
	"crypto/sha256"
	"fmt"
	mrand "math/rand"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// checkTimeout bounds porcupine on one user's history. A history it cannot decide in time is
// reported in the log and taken as passing: the tester claims only what it proved.
const checkTimeout = 10 * time.Second

// maxHistoryLines bounds the operations a concurrent failure lists.
const maxHistoryLines = 60

// round is one concurrent round: the clients' sequences and what the model needs to know of
// them. Names and contents are numbered so that a state is a small slice of integers.
type round struct {
	users    int
	clients  [][]Step
	names    []string
	nameIdx  map[string]int
	contents []content.Content // by id: the payloads of every BACKUP in the round
	sums     [][sha256.Size]byte
	ids      map[*Step]int
}

func newRound(users int, clients [][]Step) *round {
	r := &round{users: users, clients: clients, nameIdx: map[string]int{}, ids: map[*Step]int{}}
	for c := range clients {
		for i := range clients[c] {
			s := &clients[c][i]
			if s.Op == wire.OpList {
				continue
			}
			if _, ok := r.nameIdx[s.Name]; !ok {
				r.nameIdx[s.Name] = len(r.names)
				r.names = append(r.names, s.Name)
			}
			if s.Op == wire.OpBackup {
				r.ids[s] = len(r.contents)
				r.contents = append(r.contents, s.Content)
				r.sums = append(r.sums, s.Content.Sum())
			}
		}
	}
	return r
}

// opInput is a request as porcupine sees it.
type opInput struct {
	step    Step
	client  int // which client sent it, and its index in the client's sequence
	index   int
	user    int
	name    int // index into round.names; -1 for LIST
	content int // BACKUP: the payload's id
}

// opOutput is a response as porcupine sees it.
type opOutput struct {
	resp    *response
	listed  []bool // list-ok: which of the round's names the listing holds
	content int    // restore-ok: the id of a payload with the same bytes, or -1
}

// userFiles is the model of one user for porcupine: for each name, the id+1 of the payload
// stored under it, 0 for none.
type userFiles []int32

func (r *round) model() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return make(userFiles, len(r.names)) },
		Step: func(state, input, output any) (bool, any) {
			st, in, out := state.(userFiles), input.(opInput), output.(opOutput)
			resp := out.resp
			// The state says what the server holds, so the oracle owes the operation one answer.
			held := spec.HoldingMissing
			if in.step.Op == wire.OpList && slices.ContainsFunc(st, func(id int32) bool { return id != 0 }) ||
				in.step.Op != wire.OpList && st[in.name] != 0 {
				held = spec.HoldingStored
			}
			if !spec.Canonical.Means(uint16(resp.Status), spec.Owes(spec.Request{Op: in.step.Op}, held).Meanings[0]) {
				return false, st
			}
			switch in.step.Op {
			case wire.OpBackup:
				next := slices.Clone(st)
				next[in.name] = int32(in.content + 1)
				return true, next
			case wire.OpRestore:
				if id := st[in.name]; id != 0 {
					return resp.Read && resp.Size == r.contents[id-1].Len() && resp.Sum == r.sums[id-1], st
				}
			case wire.OpDelete:
				if held == spec.HoldingStored {
					next := slices.Clone(st)
					next[in.name] = 0
					return true, next
				}
			case wire.OpList:
				for i, id := range st {
					if held == spec.HoldingStored && out.listed[i] != (id != 0) {
						return false, st
					}
				}
			}
			return true, st
		},
		Equal: func(a, b any) bool { return slices.Equal(a.(userFiles), b.(userFiles)) },
		DescribeOperation: func(input, output any) string {
			return r.describe(input.(opInput), output.(opOutput))
		},
		DescribeState: func(state any) string {
			var parts []string
			for i, id := range state.(userFiles) {
				if id != 0 {
					parts = append(parts, fmt.Sprintf("%s: #%d", spec.Quote(r.names[i]), id-1))
				}
			}
			return "{" + strings.Join(parts, ", ") + "}"
		},
	}
}

func (r *round) describe(in opInput, out opOutput) string {
	req := in.step.Request()
	if in.step.Op == wire.OpBackup {
		req += fmt.Sprintf(" #%d", in.content)
	}
	got := out.resp.Summary()
	if out.resp.Status == wire.StatusRestored && out.resp.Read {
		if out.content >= 0 {
			got += fmt.Sprintf(" #%d", out.content)
		} else {
			got += " matching no version ever written"
		}
	}
	return req + " -> " + got
}

// output turns a response into what the model compares, or says why no state could explain
// it at all (a wrong name, an unexpected status, a broken listing, no response).
func (r *round) output(in opInput, resp *response) (opOutput, string) {
	out := opOutput{resp: resp, content: -1}
	if resp.Err != nil {
		return out, "no response: " + resp.Err.Error()
	}
	// Whatever the order of the clients' requests, the answer must be one the spec allows for
	// the request; 1003 too is a failure here, for no request of a model run is over a limit.
	if resp.Status == wire.StatusServerError {
		return out, fmt.Sprintf("status %d to %v", int(resp.Status), in.step.Op)
	}
	if v := spec.JudgeAnswer(spec.Request{Op: in.step.Op, Name: []byte(in.step.Name)}, resp.Status, resp.Name); v != nil {
		return out, fmt.Sprintf("%s, want %s", v.Actual, v.Expected)
	}
	switch resp.Status {
	case wire.StatusRestored:
		for id, sum := range r.sums {
			if resp.Read && resp.Sum == sum && resp.Size == r.contents[id].Len() {
				out.content = id
				break
			}
		}
	case wire.StatusListed:
		if !resp.Read {
			return out, fmt.Sprintf("listing of %d bytes, longer than any correct one", resp.Size)
		}
		names, err := spec.ParseListing(resp.Listing)
		if err != nil {
			return out, fmt.Sprintf("%v: %q", err, resp.Listing)
		}
		out.listed = make([]bool, len(r.names))
		for _, n := range names {
			i, ok := r.nameIdx[n]
			if !ok {
				return out, fmt.Sprintf("listing has %s, never backed up", spec.Quote(n))
			}
			if out.listed[i] {
				return out, fmt.Sprintf("lists %s twice", spec.Quote(n))
			}
			out.listed[i] = true
		}
	}
	return out, ""
}

// roundOutcome is a round's history and what is wrong with it, if anything.
type roundOutcome struct {
	ops     [][]porcupine.Operation // by user, in call order
	failure *Failure
	user    int // the failing user
	info    porcupine.LinearizationInfo
	illegal bool // porcupine found no linearization: info holds its partial ones
	// culprit is an operation no state explains (nil if the failure is only in the order):
	// nothing that starts after it returns can be needed to show the failure.
	culprit  *porcupine.Operation
	requests int
	ids      []uint32 // the round's user ids, by user
}

// Checks of a concurrent round.
const (
	checkAnswer       = "answer"       // an answer no state of the model allows
	checkLinearizable = "linearizable" // a history no order of its operations explains
)

// play runs the round's clients at once with fresh users and records the history.
func (r *round) play(ctx context.Context, ex *exchanger) *roundOutcome {
	ids := freshUsers(r.users)
	start := time.Now()
	var mu sync.Mutex
	var history []porcupine.Operation
	var wg sync.WaitGroup
	for c, steps := range r.clients {
		wg.Go(func() {
			for i := range steps {
				if ctx.Err() != nil {
					return
				}
				s := &steps[i]
				in := opInput{step: *s, client: c, index: i, user: s.User, name: -1}
				if s.Op != wire.OpList {
					in.name = r.nameIdx[s.Name]
				}
				if s.Op == wire.OpBackup {
					in.content = r.ids[s]
				}
				call := time.Since(start).Nanoseconds()
				resp := ex.do(ctx, ids[s.User], *s)
				ret := time.Since(start).Nanoseconds()
				mu.Lock()
				history = append(history, porcupine.Operation{ClientId: c, Input: in, Call: call, Output: resp, Return: ret})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	out := &roundOutcome{ops: make([][]porcupine.Operation, r.users), requests: len(history), ids: ids}
	slices.SortFunc(history, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
	for _, op := range history {
		in := op.Input.(opInput)
		o, bad := r.output(in, op.Output.(*response))
		op.Output = o
		out.ops[in.user] = append(out.ops[in.user], op)
		if o.resp.Status == wire.StatusRestored && o.resp.Read && o.content < 0 && out.culprit == nil {
			out.culprit = &op
		}
		if bad != "" && out.failure == nil {
			out.user, out.culprit = in.user, &op
			out.failure = &Failure{Finding: report.Finding{Requirement: spec.OpRequirement(in.step.Op), Check: checkAnswer,
				Expected: "an answer the model allows in some state", Actual: o.resp.Summary(), Detail: fmt.Sprintf("client %d: %s", op.ClientId+1, bad)}, Raw: o.resp.Raw}
		}
	}
	return out
}

// check runs porcupine on each user's history and sets out.failure for the first that is not
// linearizable; a history porcupine cannot decide in time is logged and passes.
func (r *round) check(out *roundOutcome, log func(string)) {
	if out.failure != nil {
		return
	}
	model := r.model()
	for u, ops := range out.ops {
		res, info := porcupine.CheckOperationsVerbose(model, ops, checkTimeout)
		switch res {
		case porcupine.Unknown:
			log(fmt.Sprintf("model: user %s: linearizability undecided after %v; taken as passing", UserLabel(u), checkTimeout))
		case porcupine.Illegal:
			out.user, out.info, out.illegal = u, info, true
			reason := fmt.Sprintf("user %s: the history is not linearizable", UserLabel(u))
			if c := out.culprit; c != nil && c.Input.(opInput).user == u {
				reason += "; a RESTORE returned content matching no version ever written"
			}
			out.failure = &Failure{Finding: report.Finding{Requirement: r.blame(model, ops), Check: checkLinearizable,
				Expected: "a history some order of the operations explains", Actual: "no order explains it", Detail: reason}}
			return
		}
	}
}

// blame names the requirement a non-linearizable history breaks by the kind of operation
// whose answers no order explains: without the LISTs it is linearizable, the listings are
// wrong; without the RESTOREs, the contents; otherwise BACKUP and DELETE disagree.
func (r *round) blame(model porcupine.Model, ops []porcupine.Operation) spec.ID {
	for _, c := range []struct {
		op  wire.Op
		req spec.ID
	}{{wire.OpList, spec.R4_4}, {wire.OpRestore, spec.R4_2}} {
		rest := slices.DeleteFunc(slices.Clone(ops), func(o porcupine.Operation) bool { return o.Input.(opInput).step.Op == c.op })
		if porcupine.CheckOperationsTimeout(model, rest, checkTimeout) == porcupine.Ok {
			if c.op == wire.OpRestore {
				for _, o := range ops {
					if o.Output.(opOutput).resp.Status == wire.StatusRestored && o.Output.(opOutput).content < 0 {
						// A restore that matches no version ever written is torn: the backup
						// that tore it did not replace the file whole.
						return spec.R4_1
					}
				}
			}
			return c.req
		}
	}
	return spec.R4_3
}

// report fills res from a failed round.
func (r *round) report(out *roundOutcome, res *Result) {
	res.Failed = true
	f := out.failure
	ops := out.ops[out.user]
	f.Step = len(ops) - 1
	for i, op := range ops {
		in, o := op.Input.(opInput), op.Output.(opOutput)
		s := in.step
		s.Got = o.resp.Summary()
		if o.resp.Status == wire.StatusRestored && o.resp.Read && o.content < 0 {
			s.Got += " matching no version ever written"
		}
		if c := out.culprit; c != nil && c.ClientId == op.ClientId && c.Call == op.Call {
			f.Step, f.Actual, f.Raw = i, s.Got, o.resp.Raw
			f.Exchange = exchangeOf(out.ids[s.User], s, o.resp.Raw)
			s.Requirement = string(f.Requirement)
		}
		res.Script = append(res.Script, s)
		if len(f.History) < maxHistoryLines {
			f.History = append(f.History, fmt.Sprintf("client %d  %9s – %-9s  %s", op.ClientId+1,
				fmtNanos(op.Call), fmtNanos(op.Return), r.describe(in, o)))
		}
	}
	if len(ops) > maxHistoryLines {
		f.History = append(f.History, fmt.Sprintf("… %d more", len(ops)-maxHistoryLines))
	}
	f.Where = fmt.Sprintf("user %s, step %d of the failing round's history", UserLabel(out.user), f.Step+1)
	res.Failure = f
	res.OriginalSteps = r.steps()
	var clients [][]Step
	for _, c := range r.clients {
		clients = append(clients, inputs(c))
	}
	res.Replay = &ReplayFile{Seed: res.Seed, Mode: ModeConcurrent, Users: r.users, Clients: clients,
		Rounds: DefaultReplayRounds, Requirement: string(f.Requirement), Reason: f.Detail}
}

func fmtNanos(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e6, 'f', 2, 64) + "ms"
}

func runConcurrent(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	ex := newExchanger(cfg.Addr, cfg.Timeout, cfg.MaxPayload).recording(cfg.Capture)
	draw := stepDraw{users: cfg.Users, names: cfg.Names, maxPayload: cfg.MaxPayload, large: 60}
	rng := mrand.New(mrand.NewSource(cfg.Seed))
	res := &Result{Seed: cfg.Seed}
	revive := newReviver(cfg, ex, res)
	log := func(s string) { fmt.Fprintln(cfg.Log, s) }
	fmt.Fprintf(cfg.Log, "model: seed %d: %s of %s × %s, %d users, %d names, payloads up to %d bytes\n",
		cfg.Seed, words.Count(cfg.Runs, "concurrent round"), words.Count(cfg.Clients, "client"), words.Count(cfg.Steps, "step"), cfg.Users, cfg.Names, cfg.MaxPayload)
	for range cfg.Runs {
		clients := make([][]Step, cfg.Clients)
		for c := range clients {
			for range cfg.Steps {
				clients[c] = append(clients[c], draw.step(rng, nil))
			}
		}
		r := newRound(cfg.Users, clients)
		revive.revive(ctx)
		out, err := res.playRound(ctx, r, ex, start, log)
		if err != nil {
			return res, err
		}
		if out.failure == nil {
			continue
		}
		res.FoundAfter = time.Since(start)
		fmt.Fprintf(cfg.Log, "model: seed %d: round %d failed (%v): %s\n",
			cfg.Seed, res.Runs, res.FoundAfter.Round(time.Millisecond), out.failure.Detail)
		original := r.steps()
		sh := shrinker{ctx: ctx, ex: ex, revive: revive, cfg: cfg, log: log, res: res}
		r, out = sh.shrink(r, out)
		res.Elapsed = time.Since(start)
		r.report(out, res)
		res.OriginalSteps = original
		fmt.Fprintf(cfg.Log, "model: seed %d: shrunk from %d to %s in %s (%v):\n%s%v",
			cfg.Seed, original, words.Count(r.steps(), "step"), words.Count(res.ShrinkRuns, "round"), res.Elapsed.Round(time.Millisecond), r.script(), res.Failure)
		if cfg.Visualization != nil && out.illegal {
			if err := porcupine.Visualize(r.model(), out.info, cfg.Visualization); err != nil {
				return res, fmt.Errorf("model: write visualization: %w", err)
			}
		}
		return res, ctx.Err()
	}
	res.Elapsed = time.Since(start)
	fmt.Fprintf(cfg.Log, "model: seed %d: %d concurrent rounds, %d requests, all linearizable (%v)\n",
		cfg.Seed, res.Runs, res.Requests, res.Elapsed.Round(time.Millisecond))
	return res, nil
}

// playRound plays r, counts it in res, and checks its outcome; a run interrupted during the
// round stops there, with ctx's error and the time since start.
func (res *Result) playRound(ctx context.Context, r *round, ex *exchanger, start time.Time, log func(string)) (*roundOutcome, error) {
	out := r.play(ctx, ex)
	res.Runs++
	res.Requests += out.requests
	if err := ctx.Err(); err != nil {
		res.Elapsed = time.Since(start)
		return out, err
	}
	r.check(out, log)
	return out, nil
}

func replayConcurrent(ctx context.Context, ex *exchanger, rf *ReplayFile, rounds int) (*Result, error) {
	start := time.Now()
	res := &Result{Seed: rf.Seed}
	for range rounds {
		r := newRound(rf.Users, cloneClients(rf.Clients))
		out, err := res.playRound(ctx, r, ex, start, func(string) {})
		if err != nil {
			return res, err
		}
		if out.failure != nil {
			res.Elapsed = time.Since(start)
			res.FoundAfter = res.Elapsed
			r.report(out, res)
			return res, nil
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// steps counts the round's steps, all clients together.
func (r *round) steps() int {
	n := 0
	for _, c := range r.clients {
		n += len(c)
	}
	return n
}

// script prints the round's client sequences.
func (r *round) script() string {
	var b strings.Builder
	for i, c := range r.clients {
		fmt.Fprintf(&b, "client %d:\n", i+1)
		for j, s := range c {
			fmt.Fprintf(&b, "  %d. %s\n", j+1, s.Request())
		}
	}
	return b.String()
}

// shrinker looks for fewer client steps that still fail. A race shows only now and then, so
// a smaller set counts as failing if any of ShrinkTries rounds of it fails; the last failing
// round is the witness reported.
type shrinker struct {
	ctx    context.Context
	ex     *exchanger
	revive *reviver
	cfg    Config
	log    func(string)
	res    *Result
}

func (sh *shrinker) shrink(r *round, out *roundOutcome) (*round, *roundOutcome) {
	deadline := time.Now().Add(sh.cfg.ShrinkTime)
	budget := max(0, sh.cfg.MaxShrinks)
	for {
		progressed := false
		cands := candidates(r.clients)
		if t := truncated(r.clients, out); t != nil {
			cands = append([][][]Step{t}, cands...)
		}
		for _, cand := range cands {
			if budget == 0 || time.Now().After(deadline) || sh.ctx.Err() != nil {
				return r, out
			}
			budget--
			if nr, nout := sh.fails(cand); nout != nil {
				r, out, progressed = nr, nout, true
				break
			}
		}
		if !progressed {
			return r, out
		}
	}
}

// fails runs clients up to ShrinkTries times and returns the first failing round.
func (sh *shrinker) fails(clients [][]Step) (*round, *roundOutcome) {
	for range sh.cfg.ShrinkTries {
		r := newRound(sh.cfg.Users, cloneClients(clients))
		sh.revive.revive(sh.ctx)
		out := r.play(sh.ctx, sh.ex)
		sh.res.ShrinkRuns++
		sh.res.Requests += out.requests
		if sh.ctx.Err() != nil {
			return nil, nil
		}
		r.check(out, sh.log)
		if out.failure != nil {
			return r, out
		}
	}
	return nil, nil
}

// candidates lists smaller sets of client sequences: without one client, without the first
// or second half of one client's steps, without one step.
func candidates(clients [][]Step) [][][]Step {
	var out [][][]Step
	with := func(c int, steps []Step) {
		next := cloneClients(clients)
		if len(steps) == 0 {
			next = slices.Delete(next, c, c+1)
		} else {
			next[c] = steps
		}
		if len(next) > 0 {
			out = append(out, next)
		}
	}
	for c := range clients {
		with(c, nil)
	}
	for c, steps := range clients {
		if h := len(steps) / 2; h > 0 {
			with(c, slices.Clone(steps[h:]))
			with(c, slices.Clone(steps[:h]))
		}
	}
	for c, steps := range clients {
		for i := range steps {
			with(c, slices.Delete(slices.Clone(steps), i, i+1))
		}
	}
	return out
}

func cloneClients(clients [][]Step) [][]Step {
	out := make([][]Step, len(clients))
	for i, c := range clients {
		out[i] = slices.Clone(c)
	}
	return out
}

// truncated is the clients' sequences without the steps that started after the culprit
// returned, or nil if there is no culprit or nothing to cut.
func truncated(clients [][]Step, out *roundOutcome) [][]Step {
	if out.culprit == nil {
		return nil
	}
	keep := make([]int, len(clients))
	for _, ops := range out.ops {
		for _, op := range ops {
			if in := op.Input.(opInput); op.Call <= out.culprit.Return {
				keep[in.client] = max(keep[in.client], in.index+1)
			}
		}
	}
	var next [][]Step
	cut := false
	for c, steps := range clients {
		cut = cut || keep[c] < len(steps)
		if keep[c] > 0 {
			next = append(next, slices.Clone(steps[:keep[c]]))
		}
	}
	if !cut {
		return nil
	}
	return next
}
