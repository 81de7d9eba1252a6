package conformance

import (
	"time"
)

// ReportSchema names the version of the Report's JSON layout; it changes when a field changes meaning.
const ReportSchema = "fbp-conformance/1"

// Status is a case's verdict.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Noted   Status = "info"            // an INFO case: what the server did, never a failure
	Skipped Status = "skip"            // not applicable to this run
	NotRun  Status = "not-run"         // interrupted, or the server was down
	Known   Status = "known-failure"   // failed, and the baseline expects it
	Fixed   Status = "unexpected-pass" // passed, though the baseline expects a failure
)

// Result is the outcome of one case.
type Result struct {
	ID        string     `json:"id"`
	Section   string     `json:"section"`
	Level     Level      `json:"level"`
	Reqs      []string   `json:"requirements"`
	Desc      string     `json:"description"`
	Status    Status     `json:"status"`
	Reason    string     `json:"reason,omitempty"` // one line: the first failure, the skip reason, the note
	Failures  []Failure  `json:"failures,omitempty"`
	Notes     []string   `json:"notes,omitempty"`
	Exchanges []Exchange `json:"exchanges,omitempty"`
	// Crash says the server stopped answering after this case.
	Crash    string        `json:"crash,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Crash records that the server stopped answering.
type Crash struct {
	After  string `json:"after"`  // the case after which the health probe failed
	Detail string `json:"detail"` // exit status and last output with -exec, the probe's error otherwise
}

// Counts tallies verdicts.
type Counts struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Info   int `json:"info"`
	Skip   int `json:"skip"`
	NotRun int `json:"not_run"`
	Known  int `json:"known_failure"`
	Fixed  int `json:"unexpected_pass"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Pass:
		c.Pass++
	case Fail:
		c.Fail++
	case Noted:
		c.Info++
	case Skipped:
		c.Skip++
	case NotRun:
		c.NotRun++
	case Known:
		c.Known++
	case Fixed:
		c.Fixed++
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
	Schema      string        `json:"schema"`
	Target      string        `json:"target"`
	Dialect     string        `json:"dialect"`
	DialectNote string        `json:"dialect_note,omitempty"`
	Strict      bool          `json:"strict"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Interrupted bool          `json:"interrupted"`
	Crashes     []Crash       `json:"crashes,omitempty"`
	Warnings    []string      `json:"warnings,omitempty"`
	Results     []Result      `json:"results"`
	Summary     Summary       `json:"summary"`
}

func (r *Report) summarize() {
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
}

// counts reports whether res makes the run fail: a MUST failure, a SHOULD failure under
// strict, a crash of the server, or a MUST case that could not run.
func (r *Report) counts(res *Result) bool {
	switch {
	case res.Crash != "" && res.Status != Known:
		return true
	case res.Status == Fail:
		return res.Level == Must || res.Level == Should && r.Strict
	case res.Status == NotRun:
		return res.Level == Must
	}
	return false
}

// OK reports whether every selected MUST case passed (and every SHOULD case, under strict),
// baseline failures aside.
func (r *Report) OK() bool {
	if r.Interrupted || len(r.Results) == 0 {
		return false
	}
	for i := range r.Results {
		if r.counts(&r.Results[i]) {
			return false
		}
	}
	return true
}

// Result returns the result of case id, or nil.
func (r *Report) Result(id string) *Result {
	for i := range r.Results {
		if r.Results[i].ID == id {
			return &r.Results[i]
		}
	}
	return nil
}
