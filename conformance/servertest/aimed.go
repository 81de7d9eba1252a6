package servertest

import (
	"slices"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/report"
)

// A fault the diagnosis shows is also a failure of the case aimed at its rule: the run works
// around it so that the cases test the rest, and the case that checks that rule would
// otherwise pass behind the workaround, or be blocked, as if nothing had caught the fault.

// truncatedProbeCase cuts a BACKUP in its filename, as the diagnosis's probe of a cut request
// does (the first 10 bytes of a BACKUP).
const truncatedProbeCase = "security/truncated-backup-in-filename"

// statusMappingCase checks the status codes as they are on the wire.
const statusMappingCase = "transport/status-mapping"

// aims reports whether case c is the one aimed at the fault the diagnosis found under key.
func (r *runner) aims(c *Case, key string) bool {
	for _, m := range c.layoutOf {
		code := r.dialect.Code(m)
		switch {
		case key == diagnosis.KeyCut(code), key == diagnosis.KeyTrailing(code), key == diagnosis.KeyLengthPrefix:
			return true
		case key == diagnosis.KeyFieldOrder:
			// The statuses whose fields the server's order moves.
			if f, _ := r.dialect.Layout(code); r.profile.ResponseFormat().Moves(f) {
				return true
			}
		}
	}
	if slices.Contains(c.aimedAt, key) {
		return true
	}
	switch key {
	case diagnosis.KeyCrash(diagnosis.CauseConnectClose), diagnosis.KeyCrash(diagnosis.CauseReset):
		return c.ID == connectAndClose
	case diagnosis.KeyCrash(diagnosis.CauseTruncated):
		return c.ID == truncatedProbeCase
	case diagnosis.KeyByteOrder:
		return c.ID == statusMappingCase
	}
	return false
}

// judgeDiagnosed fails the case with each fault of the diagnosis it is aimed at, unless it
// failed with it already.
func (t *caseRun) judgeDiagnosed() {
	for i := range t.run.diag.Findings {
		f := &t.run.diag.Findings[i]
		if f.Fatal || f.Level == report.Info || !t.run.aims(t.c, f.Key) {
			continue
		}
		t.mu.Lock()
		if !slices.Contains(t.failureKeys, f.Key) {
			t.failures = append(t.failures, report.Failure{Requirement: string(f.Requirement), Sentence: f.Requirement.Sentence(),
				Expected: f.Expected, Actual: "the diagnosis found it: " + f.Summary, Exchange: -1})
			t.failureKeys = append(t.failureKeys, f.Key)
		}
		t.mu.Unlock()
	}
}
