package servertest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// problem returns the problem of key, made from f (and the exchange it shows) when it is new. A
// key of a fault already filed under another key joins it, and what it adds is a consequence.
func (r *runner) problem(ps *report.ProblemSet, key string, level report.Level, caseID string, f report.Failure, ex *report.Exchange) *report.Problem {
	if p := ps.Lookup(key); p != nil {
		return p
	}
	p := ps.Add(key, &report.Problem{ID: r.problemID(f.Requirement, key), Requirement: f.Requirement, Rule: f.Sentence, Level: level,
		Summary: summarize(key, f), Evidence: &report.Evidence{Case: caseID, Expected: f.Expected, Actual: f.Actual, Exchange: ex}})
	if ps.FirstKey(p) != key {
		if c := consequence(key, f); c != "" {
			p.Consequences = appendOnce(p.Consequences, c)
		}
	}
	return p
}

// summarize says a problem in a line, from its key and its first failure.
func summarize(key string, f report.Failure) string {
	if codes, ok := strings.CutPrefix(key, "status|want "); ok {
		want, got, _ := strings.Cut(codes, "|got ")
		want = strings.ReplaceAll(strings.Trim(want, "[]"), " ", " or ")
		return fmt.Sprintf("status %s comes where %s is owed: expected %s, got %s", got, want, f.Expected, f.Actual)
	}
	if ended, op, pieces, ok := diagnosis.ParseNoAnswerKey(key); ok {
		what := map[string]string{"timeout": "is not answered within the timeout", "closed": "is answered by a close, without a response",
			"reset": "is answered by a reset", "refused": "cannot be sent: the connection is refused"}[ended]
		switch {
		case pieces:
			return fmt.Sprintf("a request that arrives in pieces, a byte per write, %s: the server takes what one read returns for a whole header, and TCP is a stream, not messages", what)
		case op == diagnosis.UnknownOps:
			return fmt.Sprintf("a request of an op the spec does not define %s, where 1003 is owed", what)
		}
		return fmt.Sprintf("a %s request %s", op, what)
	}
	return fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual)
}

// assemble groups the outcomes' failures, blocks and evidence into the run's problems, the
// diagnosis's first, and gives each result its problem.
func (r *runner) assemble(cases []*Case, outcomes []caseOutcome) ([]report.Result, []report.Problem) {
	ps := report.NewProblemSet()
	for _, f := range r.diag.Findings {
		if ps.Lookup(f.Key) != nil {
			continue
		}
		id := r.problemID(string(f.Requirement), f.Key)
		made := new(f.Problem())
		made.ID, made.Rule, made.Workaround, made.Cases = id, f.Requirement.Sentence(), r.workaround(&f), nil
		if p := ps.Add(f.Key, made); p != made {
			// Another face of a fault the diagnosis found already.
			p.Diagnosis = joinSentences(p.Diagnosis, f.Summary+": "+f.Detail)
			continue
		}
		if made.Fix != "" && f.ID != id {
			// The catalog's words are the fault's; the diagnosis's say what it saw.
			made.Diagnosis = joinSentences(f.Summary, f.Detail)
		}
	}
	results := make([]report.Result, len(outcomes))
	crashes := r.crashConsequences()
	type attached struct {
		i        int
		key, why string
		f        report.Failure
	}
	var late []attached
	// The cases the server died during come first: a crash is a problem of its own words
	// before the cases it blocked meet it.
	order := make([]int, len(outcomes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return boolInt(outcomes[a].res.Crash == "") - boolInt(outcomes[b].res.Crash == "")
	})
	for _, i := range order {
		o := &outcomes[i]
		res := o.res
		if res.Crash == "" {
			// Requests the server left unanswered because it had died during another case
			// are that crash's consequence: the case is blocked by it, not failed by a
			// problem of its own.
			o.keys = slices.DeleteFunc(slices.Clone(o.keys), func(k string) bool {
				if ck := crashKeyOf(crashes, res.ID, k); ck != "" {
					late = append(late, attached{i: i, key: ck, why: k, f: o.failures[o.firstOf[k]]})
					return true
				}
				return false
			})
			if len(o.keys) == 0 && res.Status == report.VerdictFail && slices.ContainsFunc(late, func(a attached) bool { return a.i == i }) {
				res.Status, res.Problem = report.VerdictBlocked, ""
			}
			if ck := crashKeyOf(crashes, res.ID, o.blocked); ck != "" {
				late = append(late, attached{i: i, key: ck, why: o.blocked, f: o.blockedF})
				o.blocked = ck
			}
			o.evidence = slices.DeleteFunc(slices.Clone(o.evidence), func(e caseEvidence) bool {
				if ck := crashKeyOf(crashes, res.ID, e.key); ck != "" {
					late = append(late, attached{i: i, key: ck, why: e.key, f: e.failure})
					return true
				}
				return false
			})
		}
		exchange := func(f report.Failure) *report.Exchange {
			if f.Exchange >= 0 && f.Exchange < len(res.Exchanges) {
				ex := res.Exchanges[f.Exchange]
				return &ex
			}
			return nil
		}
		// What a case finds beside a fault that others follow from (a name let out of its
		// folder shows up in listings, overwrites or deletes another user's file) is that
		// fault's consequence, unless it is a known fault of its own.
		if root := r.rootKey(o); root != "" {
			o.keys = slices.DeleteFunc(slices.Clone(o.keys), func(k string) bool {
				f := o.failures[o.firstOf[k]]
				if k == root || r.ownFault(k) {
					return false
				}
				late = append(late, attached{i: i, key: root, why: k, f: f})
				return true
			})
		}
		for j, k := range o.keys {
			f := o.failures[o.firstOf[k]]
			p := r.problem(ps, k, res.Level, res.ID, f, exchange(f))
			p.Cases = appendOnce(p.Cases, res.ID)
			if ex := exchange(f); ex != nil && p.Evidence != nil && p.Evidence.Exchange == nil && p.Diagnosis == "" {
				// Bytes show a problem better than words: the first failure with an exchange
				// becomes its evidence, and its rule the problem's.
				p.Evidence = &report.Evidence{Case: res.ID, Expected: f.Expected, Actual: f.Actual, Exchange: ex}
				p.Requirement, p.Rule = f.Requirement, f.Sentence
				if p.Fix == "" && ps.FirstKey(p) == k {
					p.Summary = summarize(k, f)
				}
			}
			if j == 0 {
				res.Problem = p.ID
			}
			if p.Level > res.Level {
				p.Level = res.Level
			}
		}
		if o.blocked != "" && len(o.keys) == 0 {
			p := r.problem(ps, o.blocked, report.Must, res.ID, o.blockedF, exchange(o.blockedF))
			p.Blocked = appendOnce(p.Blocked, res.ID)
			res.BlockedBy = p.ID
			if !strings.HasPrefix(res.Reason, "blocked") {
				res.Reason = fmt.Sprintf("blocked by [%s]: %s", p.ID, res.Reason)
			}
		}
		for _, e := range o.evidence {
			p := r.problem(ps, e.key, report.Must, res.ID, e.failure, exchange(e.failure))
			if !slices.Contains(p.Cases, res.ID) && !slices.Contains(p.Blocked, res.ID) {
				p.SeenIn = appendOnce(p.SeenIn, res.ID)
			}
		}
		results[i] = res
	}
	attachedOnce := map[string]bool{}
	for _, a := range late {
		res := &results[a.i]
		p := ps.Lookup(a.key)
		if p == nil {
			f := report.Failure{Requirement: string(spec.R5_3), Sentence: spec.R5_3.Sentence(), Expected: "the server to keep serving other connections",
				Actual: "the server died", Exchange: -1}
			p = r.problem(ps, a.key, report.Must, res.ID, f, nil)
		}
		if c := cmp.Or(consequence(a.why, a.f), describe(a.f)); !attachedOnce[a.key+"\x00"+a.why] {
			attachedOnce[a.key+"\x00"+a.why] = true
			p.Consequences = appendOnce(p.Consequences, c)
		}
		if res.Status == report.VerdictBlocked && res.BlockedBy == "" {
			p.Blocked = appendOnce(p.Blocked, res.ID)
			res.BlockedBy = p.ID
			res.Reason = fmt.Sprintf("blocked by [%s]: the server died while it ran: %s", p.ID, res.Reason)
		}
	}
	r.stateMu.Lock()
	pins := r.pins
	r.stateMu.Unlock()
	for _, pin := range pins {
		// The verdict goes with the crash of the case that causes it alone, or, when none does,
		// with the crash as it was first seen.
		id := pin.after
		if pin.culprit != "" {
			id = pin.culprit
		}
		if c := indexOf(cases, id); c >= 0 {
			if p := ps.Lookup(r.crashKey(cases[c])); p != nil {
				p.Diagnosis = joinSentences(p.Diagnosis, fmt.Sprintf("the server died while cases %s ran at once: %s", strings.Join(pin.suspects, ", "), pin.verdict))
			}
		}
	}
	mergeKeptFiles(ps, results)
	return results, ps.Problems()
}

func appendOnce(ids []string, id string) []string { return report.AppendOnce(ids, id) }

func joinSentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// workaround is what the run did about a finding: nothing for a mapping the run was told not to
// follow.
func (r *runner) workaround(f *diagnosis.Finding) string {
	if f.Key == diagnosis.KeyStatusMap && r.cfg.Dialect != "auto" {
		return ""
	}
	return f.Workaround
}

// nextSteps says what would help after this run.
func (r *runner) nextSteps(rep *report.Report) []string {
	var out casebook.Steps
	add := out.Add
	if r.diag != nil && r.diag.Profile.Dialect != nil && r.cfg.Dialect != "auto" && r.diag.Profile.Dialect != r.dialect {
		add(fmt.Sprintf("the server speaks the %s status map: -dialect auto tests the rest of the protocol under it", r.diag.Profile.Dialect.Name))
	}
	if len(rep.Crashes) > 0 && r.sup == nil {
		add(`the server crashed: give -exec "COMMAND" (with {port} where the command takes its port) so that conform restarts it and tests the cases after the crash`)
	}
	if r.sup != nil && r.sup.ExitedAtStartup() {
		add("the server ended at startup when it was started again (the report quotes what it said): make it start after a crash, whatever the crash left behind")
	} else if r.sup != nil && r.sup.RestartFailed() && !r.sup.FreshPorts() {
		add("the server could not be started again on the same port: put {port} in the -exec command so that every start gets a fresh port")
	}
	if f := r.diag.Fatal(); f != nil && f.ID == "drips" {
		add("the server answers too slowly to be tested: find what delays each byte (a sleep, Nagle with tiny writes, a flush per byte)")
	}
	if r.diag.Blocked(wire.OpBackup) != nil {
		add("no BACKUP could be sent: fix its reading first; most cases need one")
	}
	return out
}

// unjudged lists what the run could not judge for want of a flag: the checks its cases skipped
// so, what only the server's storage folder shows, and the MUST rules the selection leaves out.
func (r *runner) unjudged(cases []*Case, outcomes []caseOutcome) []report.Unjudged {
	var out []report.Unjudged
	selected := map[string]bool{}
	for i, c := range cases {
		if u := outcomes[i].unjudged; u != nil {
			out = append(out, *u)
		}
		for _, req := range c.Reqs {
			selected[req] = true
		}
	}
	if r.cfg.Root == "" {
		// The answers show a name refused and a cut upload gone; only the disk shows a file
		// written outside the user's folder, or a partial upload's leftover under another name.
		var reqs []string
		for _, req := range spec.IDStrings(spec.R5_1, spec.R5_3) {
			if selected[req] {
				reqs = append(reqs, req)
			}
		}
		if len(reqs) > 0 {
			out = append(out, report.Unjudged{Requirements: reqs, Level: report.Must, Flag: "-root",
				What: "on the disk: no file written outside its user's folder, no leftover of a cut or refused upload",
				Hint: "give -root DIR, the server's storage folder, when it runs on this machine"})
		}
	}
	var inCatalog []string
	for _, c := range Catalog() {
		if c.Level == report.Must {
			inCatalog = append(inCatalog, c.Reqs...)
		}
	}
	var left []string
	for _, req := range spec.Requirements() {
		if id := string(req.ID); slices.Contains(inCatalog, id) && !selected[id] {
			left = append(left, id)
		}
	}
	if len(left) > 0 {
		out = append(out, report.Unjudged{Requirements: left, Level: report.Must, Flag: "-run/-skip",
			What: "no selected case checks them", Hint: "run without -run and -skip, or select their cases"})
	}
	// Worst first: what a MUST verdict leaves out before what a SHOULD one does.
	slices.SortStableFunc(out, func(a, b report.Unjudged) int { return int(a.Level) - int(b.Level) })
	return out
}
