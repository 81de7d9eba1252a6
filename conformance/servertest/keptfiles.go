package servertest

import (
	"slices"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// A file a server keeps by mistake is seen twice: on the disk (-root finds it in the user's
// folder) and on the wire (a LIST shows it, a RESTORE gives it back). Both are one fault, and
// the report gives it one problem: the wire's, which says what a client meets, with the disk's
// finding as its consequence.

// keptFileKeys maps the key of a leftover found on the disk to the keys of the cases that see
// a kept file on the wire, under the same rule.
var keptFileKeys = map[string][]string{
	string(spec.R4_4) + "|leftover":       {serverFileListed, string(spec.R4_4) + "|listing"},
	string(spec.R5_3) + "|leftover":       {partialUploadKept, string(spec.R5_3) + "|listing"},
	string(spec.R4_4) + "|" + leftoverOwn: {serverFileListed, string(spec.R4_4) + "|listing"},
	string(spec.R5_3) + "|" + leftoverOwn: {serverFileListed, partialUploadKept, string(spec.R5_3) + "|listing"},
}

// leftoverOwn is the check of a file on the disk that no request of the run named.
const leftoverOwn = "leftover-own"

// The keys of a listing's names the user never stored (spec.UnexpectedOrigins), and of a cut
// upload's file found by a RESTORE.
var (
	serverFileListed  = spec.ProblemKey(&spec.Violation{Req: spec.R4_4, Check: spec.CheckServerFileListed})
	partialUploadKept = spec.ProblemKey(&spec.Violation{Req: spec.R5_3, Check: spec.CheckPartialUploadKept})
)

// mergeKeptFiles folds each problem of a disk leftover into the problem of a kept file the
// wire shows, when the run has one, and points the results at it.
func mergeKeptFiles(ps *report.ProblemSet, results []report.Result) {
	for disk, wire := range keptFileKeys {
		from := ps.Lookup(disk)
		if from == nil || ps.FirstKey(from) != disk {
			continue
		}
		var into *report.Problem
		for _, k := range wire {
			if p := ps.Lookup(k); p != nil && p != from {
				into = p
				break
			}
		}
		if into == nil {
			continue
		}
		for _, id := range from.Cases {
			into.Cases = appendOnce(into.Cases, id)
		}
		for _, id := range from.Blocked {
			into.Blocked = appendOnce(into.Blocked, id)
		}
		for _, id := range from.SeenIn {
			if !slices.Contains(into.Cases, id) {
				into.SeenIn = appendOnce(into.SeenIn, id)
			}
		}
		if from.Evidence != nil {
			into.Consequences = appendOnce(into.Consequences, "on the disk: "+from.Evidence.Actual)
		}
		into.Consequences = append(into.Consequences, from.Consequences...)
		into.Level = min(into.Level, from.Level)
		for i := range results {
			if results[i].Problem == from.ID {
				results[i].Problem = into.ID
			}
			if results[i].BlockedBy == from.ID {
				results[i].BlockedBy = into.ID
			}
		}
		ps.Fold(from, into)
	}
}
