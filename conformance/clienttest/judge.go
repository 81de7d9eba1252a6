package clienttest

import (
	"fmt"
	"slices"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// Case is one check of a client: it judges one requirement on the runs of the scenarios it
// names.
type Case struct {
	casebook.Head
	// Scenarios are the runs the case judges.
	Scenarios []string
	// Process marks a case that needs conform to start the client: it judges its files, its
	// output, its end or its memory, which a client served with -listen keeps to itself.
	Process bool

	// after lists cases whose fault shows in this one too: while one of them fails, a failure
	// of this case is that fault again, and is reported as blocked by it.
	after []string
	// needs lists cases whose fault can keep the run from reaching what this case judges: while
	// one fails, a case with nothing to judge is blocked by it rather than failed.
	needs []string
	judge func(j *judgment)
}

// Catalog lists every case, in report order.
func Catalog() []*Case { return slices.Clone(catalog) }

// Select returns the cases cfg's Run and Skip select, in catalog order.
func Select(cfg *Config) []*Case { return casebook.Select(catalog, cfg.Run, cfg.Skip) }

func caseByID(id string) *Case {
	c, _ := casebook.ByID(catalog, id)
	return c
}

// withPrerequisites adds to cases those their blocking depends on, in catalog order: a case
// is judged blocked only by a case that was judged too.
func withPrerequisites(cases []*Case) []*Case {
	in := map[string]bool{}
	var add func(c *Case)
	add = func(c *Case) {
		if in[c.ID] {
			return
		}
		in[c.ID] = true
		for _, id := range append(slices.Clone(c.after), c.needs...) {
			add(caseByID(id))
		}
	}
	for _, c := range cases {
		add(c)
	}
	var out []*Case
	for _, c := range catalog {
		if in[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// judgment is one case's verdict in the making.
type judgment struct {
	c       *Case
	cfg     *Config
	runs    map[string]*runEvidence
	results map[string]*report.Result // cases judged before this one

	failures   []report.Failure
	violations []*spec.Violation // failures' violations, in the same order
	// follows names, for each violation, the problem of the fault it follows from ("" for
	// one of its own): it is attached to that problem when the run has it.
	follows []string
	rows    []report.Exchange
	rowOf   map[*exchange]int
	notes   []string
	shown   map[string]bool // scenarios whose run the notes describe
	// lacking says what the case found nothing of: it is then blocked, or failed.
	lacking *spec.Violation
	skipped string
}

// run is the evidence of a scenario's run; the case declared it, so it ran.
func (j *judgment) run(name string) *runEvidence { return j.runs[name] }

// fail records a violation shown by ex of the named scenario's run (ex may be nil).
func (j *judgment) fail(v *spec.Violation, scenario string, ex *exchange) {
	f := report.FindingOf(v, nil, scenario).Failure(-1)
	if scenario != "" {
		f.Actual += " [" + scenario + "]"
	}
	if ex != nil {
		f.Exchange = j.row(scenario, ex)
	}
	j.failures = append(j.failures, f)
	j.violations = append(j.violations, v)
	j.follows = append(j.follows, "")
	j.describe(scenario)
}

// failFrom is fail for a violation that follows from the fault of problem id.
func (j *judgment) failFrom(id string, v *spec.Violation, scenario string, ex *exchange) {
	j.fail(v, scenario, ex)
	j.follows[len(j.follows)-1] = id
}

// row adds ex to the exchanges the result shows, once.
func (j *judgment) row(scenario string, ex *exchange) int {
	if i, ok := j.rowOf[ex]; ok {
		return i
	}
	j.rowOf[ex] = len(j.rows)
	j.rows = append(j.rows, ex.row(scenario))
	return len(j.rows) - 1
}

// describe adds a note on how the scenario's run went, once.
func (j *judgment) describe(scenario string) {
	r := j.runs[scenario]
	if r == nil || j.shown[scenario] {
		return
	}
	j.shown[scenario] = true
	j.notef("%s: %s", scenario, r.summary())
	if r.proc != nil && r.proc.crash == "" {
		if lines := r.proc.stderr.lastLines(3); len(lines) > 0 {
			j.notef("%s: stderr ends%s", scenario, quoteLines(lines))
		}
	}
}

func (j *judgment) notef(format string, args ...any) {
	j.notes = append(j.notes, fmt.Sprintf(format, args...))
}

// lack records that the case found nothing to judge: what it expected to see, and what the
// run did instead.
func (j *judgment) lack(req spec.ID, scenario, expected, actual string) {
	j.lacking = &spec.Violation{Req: req, Check: spec.CheckNoEvidence, Expected: expected, Actual: actual}
	j.describe(scenario)
	if scenario != "" {
		j.lacking.Actual += " [" + scenario + "]"
	}
}

// failed returns the result of case id when it failed, nil otherwise.
func (j *judgment) failed(id string) *report.Result {
	if r := j.results[id]; r != nil && (r.Status == report.VerdictFail || r.Status == report.VerdictBlocked) {
		return r
	}
	return nil
}

// blocker returns the result of the first case of ids that failed or was blocked.
func (j *judgment) blocker(ids []string) *report.Result {
	for _, id := range ids {
		if r := j.failed(id); r != nil {
			return r
		}
	}
	return nil
}

// outcome is a case's result with what the report's problems are made of.
type outcome struct {
	res report.Result
	// violations are the result's failures, as the spec judged them; follows the problems
	// they follow from (judgment.follows).
	violations []*spec.Violation
	follows    []string
	// blockedBy is the case whose failure blocked this one: the first of the chain.
	blockedBy string
}

// judgeAll judges the cases of judged in order (prerequisites first), and returns the results
// of the selected ones and the distinct problems they show, with the warnings of the baseline.
func judgeAll(cfg *Config, selected, judged []*Case, runs map[string]*runEvidence) ([]report.Result, []report.Problem, []string) {
	results := map[string]*report.Result{}
	outcomes := map[string]*outcome{}
	for _, c := range judged {
		o := judgeOne(cfg, c, runs, results, outcomes)
		outcomes[c.ID], results[c.ID] = o, &o.res
	}
	ps := report.NewProblemSet()
	out := make([]report.Result, 0, len(selected))
	type later struct {
		o   *outcome
		i   int // the violation's
		out int // the result's, in out
	}
	// consequences are violations that follow from another problem's fault; blocked are the
	// cases blocked by a case whose first violation is one.
	var consequences, blocked []later
	for _, c := range judged {
		if !slices.Contains(selected, c) {
			// A prerequisite judged for its blocking: its problem shows only through what it blocks.
			continue
		}
		o := outcomes[c.ID]
		res := o.res
		for i, v := range o.violations {
			if o.follows[i] != "" {
				consequences = append(consequences, later{o: o, i: i, out: len(out)})
				continue
			}
			p := problem(ps, v, &o.res, o.res.Failures[i])
			p.Cases = appendOnce(p.Cases, res.ID)
			if res.Problem == "" {
				res.Problem = p.ID
			}
			if p.Level > res.Level {
				p.Level = res.Level
			}
		}
		if root := outcomes[o.blockedBy]; root != nil && len(root.violations) > 0 {
			if root.follows[0] != "" {
				// The blocker's failure may be another fault's consequence: which, the
				// problems made below tell.
				blocked = append(blocked, later{o: root, out: len(out)})
			} else {
				blockBy(&res, problem(ps, root.violations[0], &root.res, root.res.Failures[0]))
			}
		}
		if slices.Contains(cfg.Baseline, res.ID) {
			res.ApplyBaseline()
		}
		if !cfg.Verbose && res.Status != report.VerdictFail && res.Status != report.VerdictKnownFailure {
			res.Exchanges = nil
		}
		out = append(out, res)
	}
	// A violation that follows from a fault the run shows is that fault's consequence; one
	// whose fault the run does not show is a problem of its own.
	for _, c := range consequences {
		res, v, f := &out[c.out], c.o.violations[c.i], c.o.res.Failures[c.i]
		p := ps.ByID(c.o.follows[c.i])
		if p == nil {
			p = problem(ps, v, &c.o.res, f)
		} else {
			p.Consequences = appendOnce(p.Consequences, fmt.Sprintf("%s: expected %s, got %s", f.Requirement, f.Expected, f.Actual))
		}
		p.Cases = appendOnce(p.Cases, res.ID)
		if res.Problem == "" {
			res.Problem = p.ID
		}
	}
	// A case blocked by a consequence is blocked by the fault it follows from: counted under
	// the blocker's own rule, one fault would be two problems.
	for _, b := range blocked {
		p := ps.ByID(b.o.follows[0])
		if p == nil {
			p = problem(ps, b.o.violations[0], &b.o.res, b.o.res.Failures[0])
		}
		blockBy(&out[b.out], p)
	}
	// A baseline that names a problem expects every case it fails to fail.
	var warnings []string
	for _, id := range cfg.Baseline {
		if p := ps.ByID(id); p != nil {
			p.KnownFailure = true
			for i := range out {
				if slices.Contains(p.Cases, out[i].ID) && out[i].Status == report.VerdictFail {
					out[i].ApplyBaseline()
				}
			}
		} else if caseByID(id) == nil {
			warnings = append(warnings, fmt.Sprintf("baseline names %q, which is neither a case nor a problem of this run", id))
		}
	}
	return out, ps.Problems(), warnings
}

// blockBy records that res is blocked by the fault of p.
func blockBy(res *report.Result, p *report.Problem) {
	p.Blocked = appendOnce(p.Blocked, res.ID)
	res.BlockedBy = p.ID
	res.Reason = fmt.Sprintf("blocked by [%s]: %s", p.ID, p.Summary)
}

// caseFaults names the one fault any failure of a case shows: responses cut into 1-byte
// writes differ from the canonical ones in nothing else, so a run that goes otherwise, by any
// check, reads a response with one read.
var caseFaults = map[string]string{"response/split-reads": "reads-response-in-one-read"}

// problem returns the problem v shows, made from the first result and failure that show it:
// the fault's when the catalog knows it, the rule's and the check's otherwise, so that two
// checks are two problems and one fault met under two checks is one.
func problem(ps *report.ProblemSet, v *spec.Violation, res *report.Result, f report.Failure) *report.Problem {
	key := spec.ProblemKey(v)
	if p := ps.Lookup(key); p != nil {
		return p
	}
	id := spec.ProblemID(v)
	if f, ok := caseFaults[res.ID]; ok {
		id = f
	}
	summary := spec.ClientProblem(v)
	if summary == "" {
		summary = fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual)
	}
	p := &report.Problem{ID: id, Requirement: string(v.Req), Rule: v.Req.Sentence(), Level: res.Level, Summary: summary,
		Evidence: &report.Evidence{Case: res.ID, Expected: f.Expected, Actual: f.Actual}}
	if f.Exchange >= 0 && f.Exchange < len(res.Exchanges) {
		ex := res.Exchanges[f.Exchange]
		p.Evidence.Exchange = &ex
	}
	return ps.Add(key, p)
}

func appendOnce(list []string, s string) []string { return report.AppendOnce(list, s) }

func judgeOne(cfg *Config, c *Case, runs map[string]*runEvidence, results map[string]*report.Result, outcomes map[string]*outcome) *outcome {
	start := time.Now()
	o := &outcome{res: report.Result{ID: c.ID, Section: c.Section(), Level: c.Level, Reqs: c.Reqs, Desc: c.Desc}}
	res := &o.res
	if c.Process && cfg.Listen != "" {
		res.Status, res.Reason = report.VerdictSkip, "needs conform to start the client: its files, output and memory are out of reach with -listen"
		return o
	}
	for _, sc := range c.Scenarios {
		if runs[sc] == nil {
			res.Status, res.Reason = report.VerdictNotRun, fmt.Sprintf("the %s scenario did not run (interrupted)", sc)
			return o
		}
	}
	j := &judgment{c: c, cfg: cfg, runs: runs, results: results, rowOf: map[*exchange]int{}, shown: map[string]bool{}}
	c.judge(j)
	if cfg.Verbose {
		for _, sc := range c.Scenarios {
			j.describe(sc)
			for _, ex := range runs[sc].exchanges {
				j.row(sc, ex)
			}
		}
	}
	res.Failures, res.Notes, res.Exchanges = j.failures, j.notes, j.rows
	switch {
	case j.skipped != "":
		res.Status, res.Reason = report.VerdictSkip, j.skipped
	case len(j.failures) > 0 || j.lacking != nil:
		// A failure is blocked by a prerequisite whose fault it repeats; a case with nothing to
		// judge also by one whose fault kept the run from reaching it.
		b := j.blocker(c.after)
		if b == nil && len(j.failures) == 0 {
			b = j.blocker(c.needs)
		}
		if b != nil {
			res.Status, res.Failures = report.VerdictBlocked, nil
			o.blockedBy = b.ID
			if root := outcomes[b.ID].blockedBy; root != "" {
				o.blockedBy = root
			}
			break
		}
		if len(j.failures) == 0 {
			j.fail(j.lacking, "", nil)
			res.Failures = j.failures
		}
		o.violations, o.follows = j.violations, j.follows
		res.Status = report.VerdictFail
		f := res.Failures[0]
		res.Reason = fmt.Sprintf("%s: expected %s, got %s", f.Requirement, f.Expected, f.Actual)
	default:
		res.Status = report.VerdictPass
	}
	res.Duration = time.Since(start)
	return o
}
