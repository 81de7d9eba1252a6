package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/words"
)

// Finding is one fault a tester found: the rule it breaks, the check that caught it, what
// was owed against what came, the exchange that showed it, with its bytes, and where it was
// seen. The model, the fuzzer, replay and bench report their faults as Findings (their own
// types carry one, with what only they know beside it); a catalog case's Failure is a Finding
// seen in a case, as Failure and FindingOf convert.
type Finding struct {
	Requirement spec.ID `json:"requirement"`
	// Check names the check that caught it, stable and short ("status-forbidden"): with the
	// requirement it says which problem the finding belongs to.
	Check    string `json:"check"`
	Expected string `json:"expected"`
	Actual   string `json:"actual"`
	// Detail says what differs, in a line, when expected and actual alone do not.
	Detail   string    `json:"detail,omitempty"`
	Exchange *Exchange `json:"exchange,omitempty"`
	// Where it was seen: a case, a step of a script, an input of a fuzz run, a load level.
	Where string `json:"where"`
}

// FindingOf is the finding of a violation the oracle judged, seen at where in ex.
func FindingOf(v *spec.Violation, ex *Exchange, where string) Finding {
	return Finding{Requirement: v.Req, Check: v.Check, Expected: v.Expected, Actual: v.Actual, Exchange: ex, Where: where}
}

// Key is the problem the finding belongs to: one per requirement and check, as the oracle
// keys its problems.
func (f Finding) Key() string {
	return spec.ProblemKey(&spec.Violation{Req: f.Requirement, Check: f.Check})
}

// Failure is the finding as a catalog case records it: exchange is its index among the case's
// exchanges, -1 if none.
func (f Finding) Failure(exchange int) Failure {
	return Failure{Requirement: string(f.Requirement), Sentence: f.Requirement.Sentence(), Expected: f.Expected, Actual: f.Actual, Exchange: exchange}
}

// LevelOf is how binding a requirement is, as SPEC.md's index says: MUST unless it says SHOULD.
func LevelOf(id spec.ID) Level {
	if r, ok := spec.Lookup(string(id)); ok && strings.HasPrefix(r.Level, "SHOULD") {
		return Should
	}
	return Must
}

// GroupFindings gathers findings into problems, one per requirement and check, in the order
// found (MUST first). A problem's evidence is its first finding with an exchange; its cases are
// where its findings were seen.
func GroupFindings(fs []Finding) []Problem {
	ps := NewProblemSet()
	for i := range fs {
		f := &fs[i]
		p := ps.Add(f.Key(), &Problem{Requirement: string(f.Requirement), Rule: f.Requirement.Sentence(), Level: LevelOf(f.Requirement),
			Summary: fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual)})
		if p.Evidence == nil || p.Evidence.Exchange == nil && f.Exchange != nil {
			p.Evidence = &Evidence{Case: f.Where, Expected: f.Expected, Actual: f.Actual, Exchange: f.Exchange}
			p.Summary = fmt.Sprintf("expected %s, got %s", f.Expected, f.Actual)
		}
		if f.Where != "" {
			p.Cases = AppendOnce(p.Cases, f.Where)
		}
	}
	return ps.Problems()
}

// Head opens the JSON report of every tester that hunts for faults rather than running a
// catalog (model, fuzz, replay, bench), with the catalog's keys for the same things: the
// verdict, the target, the duration, whether the run was stopped, and the problems. A tester's
// report embeds it and adds "findings" and what is its own.
type Head struct {
	Schema string `json:"schema"`
	// Verdict is the run's in a word, as the catalog's: RunPass, RunFail or RunIncomplete.
	Verdict     string        `json:"verdict"`
	Target      string        `json:"target"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted"`
	Problems    []Problem     `json:"problems"`
}

// Judge groups the findings into problems and sets the verdict: fail when there is a finding,
// even in a run that was stopped (what it found stands); incomplete when a stopped run found
// nothing; pass otherwise.
func (h *Head) Judge(findings []Finding, stopped bool) {
	h.Problems = GroupFindings(findings)
	h.Interrupted = stopped
	switch {
	case len(findings) > 0:
		h.Verdict = RunFail
	case stopped:
		h.Verdict = RunIncomplete
	default:
		h.Verdict = RunPass
	}
}

// WriteProblems writes the problems as the catalog's text report does.
func (h *Head) WriteProblems(w io.Writer) error {
	r := Report{Problems: h.Problems}
	return r.WriteProblems(w)
}

// VerdictText is the verdict in a line for a person: PASS, FAIL with its problems, or
// INCOMPLETE.
func (h *Head) VerdictText() string {
	switch h.Verdict {
	case RunPass:
		return "PASS"
	case RunIncomplete:
		return "INCOMPLETE: the run was stopped before it finished, with nothing found"
	}
	if len(h.Problems) == 0 {
		return "FAIL"
	}
	return "FAIL (" + words.Count(len(h.Problems), "problem") + ")"
}

// WriteJUnit writes the run as JUnit XML for CI: a failing testcase per problem, named
// problem/ID; run/incomplete when the run was stopped; one passing testcase, TESTER/no-finding,
// when there is neither. failNote is the failure to show when the verdict is fail with no
// problem (a bench's errors that break no rule, such as refused connections).
func (h *Head) WriteJUnit(w io.Writer, tester, failNote string) error {
	s := junitSuite{Name: tester, Time: junitSeconds(h.Duration.Seconds())}
	class := "fbp." + tester
	for i := range h.Problems {
		p := &h.Problems[i]
		var body strings.Builder
		one := Report{Problems: []Problem{*p}}
		one.writeProblems(&body)
		s.Cases = append(s.Cases, junitCase{Name: "problem/" + p.ID, Classname: class,
			Failure: &junitMessage{Message: "[" + p.ID + "] " + p.Requirement + ": " + p.Summary, Type: p.Level.String(), Body: body.String()}})
		s.Failures++
	}
	if h.Verdict == RunFail && len(h.Problems) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: tester + "/run", Classname: class, Failure: &junitMessage{Message: failNote}})
		s.Failures++
	}
	if h.Interrupted {
		s.Cases = append(s.Cases, junitCase{Name: "run/incomplete", Classname: class,
			Failure: &junitMessage{Message: "the run was stopped before it finished"}})
		s.Failures++
	}
	if len(s.Cases) == 0 {
		s.Cases = append(s.Cases, junitCase{Name: tester + "/no-finding", Classname: class, Time: s.Time})
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "fbp-" + tester + " " + h.Target, Tests: s.Tests, Failures: s.Failures, Time: s.Time, Suites: []junitSuite{s}}
	return encodeJUnit(w, doc)
}
