// Package report holds the outcome of a conformance run and writes it as text for a terminal,
// as JSON for other tools (schema fbp-conformance/1) and as JUnit XML for CI. It knows nothing
// of how the cases ran: a runner fills a Report, and this package renders it.
package report

import (
	"fmt"
	"slices"
	"time"
)

// Schema names the version of the Report's JSON layout; it changes when a field changes meaning.
const Schema = "fbp-conformance/1"

// Level is how binding a case's requirement is.
type Level int

const (
	Must   Level = 1 // a failure fails the run
	Should Level = 2 // a failure fails the run under -strict
	Info   Level = 3 // reported, never a failure
)

func (l Level) String() string {
	switch l {
	case Must:
		return "MUST"
	case Should:
		return "SHOULD"
	case Info:
		return "INFO"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// MarshalText writes the level as MUST, SHOULD or INFO.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads MUST, SHOULD or INFO.
func (l *Level) UnmarshalText(b []byte) error {
	for _, v := range []Level{Must, Should, Info} {
		if v.String() == string(b) {
			*l = v
			return nil
		}
	}
	return fmt.Errorf("unknown level %q", b)
}

// Verdict is what became of one case. Each constant is named after the value JSON gives it.
type Verdict string

const (
	VerdictPass           Verdict = "pass"
	VerdictFail           Verdict = "fail"
	VerdictInfo           Verdict = "info"            // an INFO case: what the server did, never a failure
	VerdictSkip           Verdict = "skip"            // not applicable to this run
	VerdictNotRun         Verdict = "not-run"         // interrupted, or the server was down
	VerdictKnownFailure   Verdict = "known-failure"   // failed, and the baseline expects it
	VerdictUnexpectedPass Verdict = "unexpected-pass" // passed, though the baseline expects a failure
	VerdictBlocked        Verdict = "blocked"         // could not run: a problem of another rule stopped it
)

// Failure is one broken expectation of a case.
type Failure struct {
	Requirement string `json:"requirement"`
	Sentence    string `json:"sentence"`
	Expected    string `json:"expected"`
	Actual      string `json:"actual"`
	// Exchange is the index in the result's exchanges of the request that showed it, -1 if none.
	Exchange int `json:"exchange"`
}

// Exchange is what a report keeps of one request and its reply.
type Exchange struct {
	Label    string `json:"label"`
	Conn     int    `json:"conn"` // the connection it used, numbered within the case
	Sent     Clip   `json:"sent"`
	Received Clip   `json:"received"`
	Outcome  string `json:"outcome"` // what came back, in a line
}

// Result is the outcome of one case.
type Result struct {
	ID        string     `json:"id"`
	Section   string     `json:"section"`
	Level     Level      `json:"level"`
	Reqs      []string   `json:"requirements"`
	Desc      string     `json:"description"`
	Status    Verdict    `json:"status"`
	Reason    string     `json:"reason,omitempty"` // one line: the first failure, the skip reason, the note
	Failures  []Failure  `json:"failures,omitempty"`
	Notes     []string   `json:"notes,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// Crash says the server stopped answering after this case.
	Crash string `json:"crash,omitempty"`
	// Problem is the ID of the problem this case fails with; BlockedBy that of the problem that
	// kept it from running.
	Problem   string        `json:"problem,omitempty"`
	BlockedBy string        `json:"blocked_by,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
}

// Problem is one distinct way the server breaks the spec: what the diagnosis found before the
// cases ran, or the failures several cases share. The report opens with them, so that a server
// wrong in one basic way reads as one problem, not as a page of failed cases.
type Problem struct {
	ID          string `json:"id"`
	Requirement string `json:"requirement"`
	// Rule is the requirement as SPEC.md words it.
	Rule  string `json:"rule,omitempty"`
	Level Level  `json:"level"`
	// Summary says the problem in plain words, in a line.
	Summary string `json:"summary"`
	// Diagnosis is how the diagnosis phase found it, when it did.
	Diagnosis string `json:"diagnosis,omitempty"`
	// Fix says where to look in the code, for a fault the catalog knows.
	Fix string `json:"fix,omitempty"`
	// Workaround is what the run did to test the rest past it.
	Workaround string `json:"workaround,omitempty"`
	// Consequences are what the fault caused beside itself, each once: findings of other
	// checks that follow from it, which are not problems of their own.
	Consequences []string  `json:"consequences,omitempty"`
	Evidence     *Evidence `json:"evidence,omitempty"`
	// Cases fail with it; Blocked could not run because of it; SeenIn met it on the way and
	// judged their own rules.
	Cases   []string `json:"cases"`
	Blocked []string `json:"blocked,omitempty"`
	SeenIn  []string `json:"seen_in,omitempty"`
	// KnownFailure: the baseline names the problem; it does not fail the run.
	KnownFailure bool `json:"known_failure,omitempty"`
}

// Evidence is the first place a problem showed: expected against actual, and the bytes.
type Evidence struct {
	Case     string    `json:"case,omitempty"` // "" when the diagnosis found it
	Expected string    `json:"expected"`
	Actual   string    `json:"actual"`
	Exchange *Exchange `json:"exchange,omitempty"`
}

// Crash records that the server stopped answering.
type Crash struct {
	After  string `json:"after"`  // the case after which the health probe failed
	Detail string `json:"detail"` // exit status and last output with -exec, the probe's error otherwise
}

// Counts tallies verdicts.
type Counts struct {
	Pass           int `json:"pass"`
	Fail           int `json:"fail"`
	Info           int `json:"info"`
	Skip           int `json:"skip"`
	NotRun         int `json:"not_run"`
	KnownFailure   int `json:"known_failure"`
	UnexpectedPass int `json:"unexpected_pass"`
	Blocked        int `json:"blocked"`
}

func (c *Counts) add(v Verdict) {
	switch v {
	case VerdictPass:
		c.Pass++
	case VerdictFail:
		c.Fail++
	case VerdictInfo:
		c.Info++
	case VerdictSkip:
		c.Skip++
	case VerdictNotRun:
		c.NotRun++
	case VerdictKnownFailure:
		c.KnownFailure++
	case VerdictUnexpectedPass:
		c.UnexpectedPass++
	case VerdictBlocked:
		c.Blocked++
	}
}

// Summary tallies verdicts by level.
type Summary struct {
	Must   Counts `json:"must"`
	Should Counts `json:"should"`
	Info   Counts `json:"info"`
}

// Report is the outcome of a run.
type Report struct {
	Schema string `json:"schema"`
	// Verdict is the run's in a word: "pass", "fail", or "incomplete" (the run was stopped,
	// or its deadline passed, before every case ran; the exit status is a failure's).
	Verdict string `json:"verdict"`
	// Name names the implementation under test (conform -name), as a matrix of many shows it.
	Name        string        `json:"name,omitempty"`
	Target      string        `json:"target"`
	Dialect     string        `json:"dialect"`
	DialectNote string        `json:"dialect_note,omitempty"`
	Strict      bool          `json:"strict"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted"`
	// DeadlinePassed: the run's deadline ended it; the cases it left are not run.
	DeadlinePassed bool `json:"deadline_passed,omitempty"`
	// DeadlineNeeded is the deadline that would run every case, as estimated from the
	// server's measured latency and the requests per case, when the deadline passed.
	DeadlineNeeded time.Duration `json:"deadline_needed_ns,omitempty"`
	Crashes        []Crash       `json:"crashes,omitempty"`
	Warnings       []string      `json:"warnings,omitempty"`
	// Problems are the distinct problems found, worst first.
	Problems []Problem `json:"problems"`
	Results  []Result  `json:"results"`
	Summary  Summary   `json:"summary"`
	// Unjudged are the rules, or parts of rules, the run could not judge without something
	// only the tester knows, each with the flag that tells it: a PASS says nothing of them.
	Unjudged []Unjudged `json:"unjudged,omitempty"`
	// NextSteps say what would help: a flag to try, a folder to look in, the command that
	// re-runs the failed cases.
	NextSteps []string `json:"next_steps,omitempty"`
}

// Unjudged is a check the run left out for want of a flag: a size limit, a stall cut-off, the
// server's storage folder to look at, or a selection that leaves the rule out.
type Unjudged struct {
	Requirements []string `json:"requirements"`
	Level        Level    `json:"level"`
	// What is the check left out, in plain words.
	What string `json:"what"`
	// Flag is the flag that would judge it: "-max-size"; Hint says how, in a few words:
	// "give -max-size SIZE, the server's size limit".
	Flag string `json:"flag"`
	Hint string `json:"hint"`
	// Cases are the cases it would run, skipped in this run.
	Cases []string `json:"cases,omitempty"`
}

// counts reports whether u weighs on the run's verdict: a MUST rule, or a SHOULD one under
// strict.
func (r *Report) counts(u *Unjudged) bool {
	return u.Level == Must || u.Level == Should && r.Strict
}

// Run verdicts (Report.Verdict).
const (
	RunPass       = "pass"
	RunFail       = "fail"
	RunIncomplete = "incomplete"
)

// Summarize tallies the results into Summary and sets the verdict.
func (r *Report) Summarize() {
	r.Summary = Summary{}
	for _, res := range r.Results {
		switch res.Level {
		case Must:
			r.Summary.Must.add(res.Status)
		case Should:
			r.Summary.Should.add(res.Status)
		default:
			r.Summary.Info.add(res.Status)
		}
	}
	switch {
	case r.Incomplete():
		r.Verdict = RunIncomplete
	case r.OK():
		r.Verdict = RunPass
	default:
		r.Verdict = RunFail
	}
}

// FailsRun reports whether res makes the run fail: a MUST failure, a SHOULD failure under
// strict, a crash of the server, or a MUST case that could not run.
func (r *Report) FailsRun(res *Result) bool {
	switch {
	case res.Crash != "" && res.Status != VerdictKnownFailure:
		return true
	case res.Status == VerdictFail:
		return res.Level == Must || res.Level == Should && r.Strict
	case res.Status == VerdictNotRun:
		return res.Level == Must
	}
	return false
}

// ProblemFailsRun reports whether p makes the run fail: a MUST problem, or a SHOULD one under
// strict, unless every case it fails is a known failure of the baseline.
func (r *Report) ProblemFailsRun(p *Problem) bool {
	if p.KnownFailure || p.Level != Must && !(p.Level == Should && r.Strict) {
		return false
	}
	if len(p.Cases) == 0 {
		return true
	}
	for _, id := range p.Cases {
		if res := r.Result(id); res == nil || res.Status != VerdictKnownFailure {
			return true
		}
	}
	return false
}

// Incomplete reports whether the run did not finish: it was stopped, or its deadline passed.
func (r *Report) Incomplete() bool { return r.Interrupted || r.DeadlinePassed }

// OK reports whether the run finished, every selected MUST case passed (and every SHOULD
// case, under strict), baseline failures aside, and no problem fails the run.
func (r *Report) OK() bool {
	if r.Incomplete() || len(r.Results) == 0 {
		return false
	}
	for i := range r.Results {
		if r.FailsRun(&r.Results[i]) {
			return false
		}
	}
	for i := range r.Problems {
		if r.ProblemFailsRun(&r.Problems[i]) {
			return false
		}
	}
	return true
}

// Problem returns the problem with the given ID, or nil.
func (r *Report) Problem(id string) *Problem {
	if i := slices.IndexFunc(r.Problems, func(p Problem) bool { return p.ID == id }); i >= 0 {
		return &r.Problems[i]
	}
	return nil
}

// Result returns the result of case id, or nil.
func (r *Report) Result(id string) *Result {
	if i := slices.IndexFunc(r.Results, func(res Result) bool { return res.ID == id }); i >= 0 {
		return &r.Results[i]
	}
	return nil
}
