package servertest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Which fault of spec's catalog a case's problem key shows. A key names the rule and the check
// that broke; the fault is what a student fixes, and what a -baseline file lists.

// checkListingFormat is the check of a LIST payload that is not names ended by newlines,
// whichever case listed: one format, one fault.
const checkListingFormat = "listing-format"

// earlyCloses are the crash causes of a client that leaves before its request is whole: a
// server that dies of one dies of the others for the same missing check of recv's result.
var earlyCloses = []string{diagnosis.CauseConnectClose, diagnosis.CauseReset, diagnosis.CauseTruncated}

// badNameUnanswered is the fault of a request of a bad name left unanswered, whatever its op.
const badNameUnanswered = "bad-name-unanswered"

// crashFaults names the fault of a server that dies during a case, by what the case sends.
var crashFaults = map[string]string{
	"security/unknown-op":   "dies-on-unknown-op",
	"transport/fields-1003": "dies-on-unknown-op",
}

// overridesDiagnosis lists the faults whose ID stands even where the diagnosis names the
// same key otherwise: the diagnosis tells the early closes apart, the fault is one.
var overridesDiagnosis = []string{"dies-on-early-close"}

// faultOfKey returns the ID of the catalog's fault that a problem key of req shows, or "".
func faultOfKey(req spec.ID, key string, d *spec.Dialect) string {
	if cause, ok := strings.CutPrefix(key, diagnosis.KeyCrash("")); ok {
		if slices.Contains(earlyCloses, cause) {
			return "dies-on-early-close"
		}
		return crashFaults[cause]
	}
	if _, op, pieces, ok := diagnosis.ParseNoAnswerKey(key); ok && op == diagnosis.BadNames {
		return badNameUnanswered
	} else if ok && pieces {
		return "reads-request-in-one-read"
	}
	switch key {
	case diagnosis.KeyStalledClients:
		return "serves-one-at-a-time"
	case diagnosis.KeyFieldOrder:
		return "size-before-name"
	case string(spec.R5_1) + "|granted", string(spec.R5_1) + "|escaped":
		return "unsafe-names-accepted"
	}
	if _, check, ok := strings.Cut(key, "|"); ok && check == checkListingFormat {
		return "listing-format"
	}
	if want, got, ok := parseStatusKey(key); ok && d != nil {
		switch {
		case slices.Equal(want, d.CodesOf(spec.NotFound)), slices.Equal(want, d.CodesOf(spec.DeleteNotFound)):
			return "missing-file-status"
		case req == spec.R5_1 && slices.Contains(d.CodesOf(spec.BackupOK, spec.RestoreOK, spec.DeleteOK, spec.ListOK), got):
			return "unsafe-names-accepted"
		}
	}
	return ""
}

// parseStatusKey reads a key of diagnosis.KeyStatus.
func parseStatusKey(key string) (want []uint16, got uint16, ok bool) {
	codes, found := strings.CutPrefix(key, "status|want ")
	if !found {
		return nil, 0, false
	}
	w, g, found := strings.Cut(codes, "|got ")
	if !found {
		return nil, 0, false
	}
	for _, f := range strings.Fields(strings.Trim(w, "[]")) {
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil {
			return nil, 0, false
		}
		want = append(want, uint16(n))
	}
	n, err := strconv.ParseUint(g, 10, 16)
	if err != nil {
		return nil, 0, false
	}
	return want, uint16(n), true
}

// problemID names the problem of key, of a failure of req: the catalog's fault, the
// diagnosis's name for what it found, or the key's rule and check (report.ProblemID).
func (r *runner) problemID(req, key string) string {
	fault := faultOfKey(spec.ID(req), key, r.dialect)
	if strings.HasPrefix(key, diagnosis.KeyCrash("")) && fault == "" && r.diesOnEarlyClose() {
		// Every case closes its connections: a server the diagnosis saw die of an early
		// close dies of it in a case too, unless the case's own bad input is a known cause.
		fault = "dies-on-early-close"
	}
	if slices.Contains(overridesDiagnosis, fault) {
		return fault
	}
	if f := r.diagFinding(key); f != nil {
		return f.ID
	}
	if f := r.metAgain(key); f != nil {
		return f.ID
	}
	if fault != "" {
		return fault
	}
	return report.ProblemID(key)
}

// metAgain returns the diagnosis's finding whose fault a case's key of another name shows
// again: bytes after a 1003 are the answer to the payload a refused BACKUP left unread; a
// BACKUP left unanswered is one whose payload came in the read of its header (the cases send
// it apart, but a loaded machine can join what was sent apart); a status no one defines is
// read out of step after bytes a response should not carry.
func (r *runner) metAgain(key string) *diagnosis.Finding {
	if r.dialect != nil && slices.ContainsFunc(r.dialect.CodesOf(spec.ServerError), func(c uint16) bool { return key == diagnosis.KeyTrailing(c) }) {
		return r.diagFinding(diagnosis.KeySmuggling)
	}
	if _, op, pieces, ok := diagnosis.ParseNoAnswerKey(key); ok && !pieces && op == wire.OpBackup.String() {
		return r.diagFinding(diagnosis.KeySplitBackup)
	}
	if _, got, ok := parseStatusKey(key); ok && r.dialect != nil && r.diag != nil && len(r.dialect.MeaningsOf(got)) == 0 {
		// A status no dialect defines, read where bytes after a response shifted the stream:
		// those bytes' fault.
		trailing := strings.TrimSuffix(diagnosis.KeyTrailing(0), "0")
		for i, f := range r.diag.Findings {
			if strings.HasPrefix(f.Key, trailing) {
				return &r.diag.Findings[i]
			}
		}
	}
	return nil
}

// diesOnEarlyClose reports whether the diagnosis saw the server die of a client that left
// before its request was whole.
func (r *runner) diesOnEarlyClose() bool {
	return slices.ContainsFunc(earlyCloses, func(c string) bool { return r.diagFinding(diagnosis.KeyCrash(c)) != nil })
}

// crashConsequences maps each case that ran beside a case the server died during to that
// crash's key: the connections it had closed, reset or refused are the crash's consequence,
// not faults of their own.
func (r *runner) crashConsequences() map[string]string {
	r.stateMu.Lock()
	defer r.stateMu.Unlock()
	out := map[string]string{}
	for _, pin := range r.pins {
		crashed := pin.after
		if pin.culprit != "" {
			crashed = pin.culprit
		}
		for _, id := range pin.suspects {
			if id != crashed {
				out[id] = r.crashKey(caseByID(crashed))
			}
		}
	}
	if len(r.crashes) > 0 {
		// A connection refused shows a server down, whichever case met it.
		out[""] = r.crashKey(caseByID(r.crashes[0].After))
	}
	return out
}

// crashKeyOf returns the key of the crash whose consequence key, met in case id, is, or "".
func crashKeyOf(crashes map[string]string, id, key string) string {
	ended, _, _, ok := diagnosis.ParseNoAnswerKey(key)
	switch {
	case !ok:
		return ""
	case crashes[id] != "":
		return crashes[id]
	case ended == "refused":
		return crashes[""]
	}
	return ""
}

// rootFaults are the faults whose consequences a case meets beside them: what else the case
// finds wrong follows from them.
var rootFaults = []string{"unsafe-names-accepted"}

// rootKey returns the key of the case's own failure that shows a root fault, or "".
func (r *runner) rootKey(o *caseOutcome) string {
	for _, k := range o.keys {
		f := o.failures[o.firstOf[k]]
		if slices.Contains(rootFaults, faultOfKey(spec.ID(f.Requirement), k, r.dialect)) {
			return k
		}
	}
	return ""
}

// ownFault reports whether key names a fault that stands on its own beside a root fault: one
// the diagnosis found without it, a crash, or a bad name left unanswered (a server that checks
// no name and one that checks them all but drops the connection on an error both have it). A
// listing a stored unsafe name breaks is not one.
func (r *runner) ownFault(key string) bool {
	return r.diagFinding(key) != nil || strings.HasPrefix(key, diagnosis.KeyCrash("")) ||
		faultOfKey("", key, r.dialect) == badNameUnanswered
}

// consequence says in words what a finding of key adds to a fault found under another key, or
// "" when it is only the fault seen again.
func consequence(key string, f report.Failure) string {
	switch {
	case key == string(spec.R5_1)+"|escaped":
		return "a file written outside its user's folder: " + f.Actual
	case diagnosis.IsNoAnswerKey(key):
		ended, op, _, _ := diagnosis.ParseNoAnswerKey(key)
		if op == diagnosis.BadNames {
			// A close and a reset are one fault's, whichever comes first.
			return ""
		}
		if op == "" {
			op = "request"
		}
		return fmt.Sprintf("requests left without an answer (%s: %s)", op, ended)
	}
	return ""
}

// describe says a finding in a line, as a consequence of the fault it follows from.
func describe(f report.Failure) string {
	return fmt.Sprintf("%s: expected %s, got %s", f.Requirement, f.Expected, f.Actual)
}
