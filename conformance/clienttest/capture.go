package clienttest

import (
	"fmt"
	"slices"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/report"
)

// captureID names a scenario's connections in a -pcap file: a scenario is what a run of the
// client is, and cases judge one or more of them.
func captureID(sc *Scenario) string { return "scenario/" + sc.Name }

// endCaptures closes every scenario of the run in rec: a scenario is failing when a case that
// judges it failed, and its last connection then carries the first such case's finding.
func endCaptures(rec *capture.Recorder, judged []*Case, results []report.Result, scenarios []*Scenario) {
	for _, sc := range scenarios {
		note, failed := "", false
		for _, r := range results {
			i := slices.IndexFunc(judged, func(c *Case) bool { return c.ID == r.ID })
			if r.Status != report.VerdictFail || i < 0 || !slices.Contains(judged[i].Scenarios, sc.Name) {
				continue
			}
			failed = true
			if len(r.Failures) > 0 {
				f := r.Failures[0]
				note = fmt.Sprintf("%s %s: expected %s, got %s", r.ID, f.Requirement, f.Expected, f.Actual)
			}
			break
		}
		rec.End(captureID(sc), failed, note)
	}
}
