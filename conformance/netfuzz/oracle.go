package netfuzz

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
)

// Kind is what sort of finding an input led to.
type Kind string

const (
	// KindCrash: after the input the server refuses connections.
	KindCrash Kind = "crash"
	// KindHang: after the input the server accepts connections but does not answer the probe.
	KindHang Kind = "hang"
	// KindViolation: the server answered the input with bytes or a status the spec forbids.
	KindViolation Kind = "violation"
	// KindNoResponse: the input was owed an answer and the server closed or stayed silent.
	KindNoResponse Kind = "no-response"
)

// Codes say which check a finding failed; with Kind and Requirement they make a finding's
// signature, which minimization keeps and duplicates share.
const (
	CodeRefused           = "refused"            // crash: the probe could not connect
	CodeProbeUnanswered   = "probe-unanswered"   // hang: the probe got no answer in time
	CodeNoResponse        = "no-response"        // the owed answer never came
	CodeUnknownStatus     = "unknown-status"     // a status SPEC §3 does not define
	CodeStatusByteOrder   = "status-byte-order"  // a status that is defined once its bytes are swapped
	CodeTruncatedResponse = "truncated-response" // the server closed in the middle of a response
	CodeTrailingBytes     = "trailing-bytes"     // bytes after the last response the input allows
	CodeStatusForbidden   = "status-forbidden"   // a well-formed status the spec forbids for this request
	CodeNameMismatch      = "name-mismatch"      // 210, 212 or 1001 names another file than the request
	CodeUnsafeNameServed  = "unsafe-name-served" // success for a filename forbids
	CodeListName          = "list-name"          // 211's name is not 32 characters [A-Za-z0-9]
)

// slotKind is what the server should make of one message of an input.
type slotKind int

const (
	slotRequest   slotKind = iota // a complete request with a known op
	slotUnknownOp                 // an unknown op: 1003, and the stream is undecodable after it
	slotOversize                  // a BACKUP whose size is over the server's known limit: 1003
	slotTruncated                 // the input ends inside this message: no answer is owed
)

// slot is one message of an input and the answer it may get.
type slot struct {
	kind slotKind
	op   wire.Op
	name []byte
	owed bool // an answer MUST come: only for the first message (R-1.3 lets the server close after it)
}

// maxSlots bounds how many messages of one input are judged; the rest are not.
const maxSlots = 64

// plan is the messages of an input, in order, as a server decodes them.
type plan struct {
	slots  []slot
	capped bool // more messages follow than maxSlots: whatever comes after the last slot is not judged
}

// decodeLimits decode an input as any server could: a name up to what name_len can state, a
// size up to what its field can state. A server with tighter limits answers 1003, which every
// slot allows.
var decodeLimits = wire.Limits{MaxName: wire.MaxNameField, MaxPayload: wire.DefaultMaxPayload}

// planFor decodes input into the messages a server sees. maxPayload, when not zero, is the
// largest size the server is known to accept.
func planFor(input []byte, maxPayload uint32) plan {
	var p plan
	var h wire.RequestHeader
	for off := 0; off < len(input); {
		if len(p.slots) == maxSlots {
			p.capped = true
			break
		}
		first := len(p.slots) == 0
		rest := input[off:]
		r := wire.NewReader(bytes.NewReader(rest), decodeLimits)
		err := r.ReadRequestHeader(&h)
		switch {
		case errors.Is(err, wire.ErrUnknownOp):
			p.slots = append(p.slots, slot{kind: slotUnknownOp, op: h.Op, owed: first})
			return p
		case err != nil:
			p.slots = append(p.slots, slot{kind: slotTruncated, op: h.Op})
			return p
		}
		s := slot{kind: slotRequest, op: h.Op, name: bytes.Clone(h.Name), owed: first}
		if h.Op == wire.OpBackup && maxPayload > 0 && h.Size > maxPayload {
			// refused at the size field, whether or not the payload follows.
			s.kind = slotOversize
			p.slots = append(p.slots, s)
			return p
		}
		end := r.Offset() + int64(h.Size)
		if end > int64(len(rest)) {
			s.kind, s.owed = slotTruncated, false
			p.slots = append(p.slots, s)
			return p
		}
		p.slots = append(p.slots, s)
		off += int(end)
	}
	return p
}

// owedPending reports whether got does not yet hold the answer the plan's first message is owed.
func (p plan) owedPending(got []byte) bool {
	if len(p.slots) == 0 || !p.slots[0].owed {
		return false
	}
	_, _, err := wire.ParseResponse(got, decodeLimits)
	return err != nil && wire.IsTruncated(err)
}

// endReason is how reading the server's answer stopped.
type endReason string

const (
	endEOF     endReason = "eof"     // the server closed cleanly
	endReset   endReason = "reset"   // the connection was reset or failed
	endTimeout endReason = "timeout" // an owed answer did not come within the timeout
	endQuiet   endReason = "quiet"   // nothing was owed any more and nothing more came
	endCapped  endReason = "capped"  // the capture buffer filled up
	endAborted endReason = "aborted" // the input ended with a reset of our own: nothing read
)

// verdict is the judgement of one exchange, before the health probe.
type verdict struct {
	kind        Kind // "" when nothing is wrong
	requirement string
	code        string
	detail      string
	answers     int // well-formed responses read
}

func (v verdict) bad() bool { return v.kind != "" }

func violation(req, code, format string, args ...any) verdict {
	return verdict{kind: KindViolation, requirement: req, code: code, detail: fmt.Sprintf(format, args...)}
}

// judge holds what came back (got, ended by end) against the plan.
func judge(p plan, got []byte, end endReason) verdict {
	if end == endAborted {
		return verdict{}
	}
	off := 0
	for i, s := range p.slots {
		if off == len(got) {
			if s.owed && (end == endEOF || end == endTimeout) {
				how := "closed the connection"
				if end == endTimeout {
					how = "sent nothing within the timeout"
				}
				return verdict{kind: KindNoResponse, requirement: owedRequirement(s), code: CodeNoResponse,
					detail: fmt.Sprintf("%s is owed an answer; the server %s", describe(s), how)}
			}
			return verdict{answers: i}
		}
		resp, n, err := wire.ParseResponse(got[off:], decodeLimits)
		if err != nil {
			if v, ok := malformed(got[off:], off, err, end); ok {
				return v
			}
			return verdict{answers: i}
		}
		if v := allowed(s, &resp, off); v.bad() {
			return v
		}
		off += n
	}
	if off < len(got) && !p.capped && end != endCapped {
		what := "the input"
		if len(p.slots) > 0 {
			what = describe(p.slots[len(p.slots)-1])
		}
		return violation("R-3.1", CodeTrailingBytes, "%d bytes after the last response %s allows, at offset %d: %x",
			len(got)-off, what, off, head(got[off:]))
	}
	return verdict{answers: len(p.slots)}
}

// malformed judges a response that did not decode; ok is false when it is not held against the
// server (cut short by a reset or by our own bounds).
func malformed(b []byte, off int, err error, end endReason) (verdict, bool) {
	if errors.Is(err, wire.ErrUnknownStatus) {
		st := uint16(b[1]) | uint16(b[2])<<8
		if swapped := wire.Status(st>>8 | st<<8); swapped.Known() {
			return violation("R-1.1", CodeStatusByteOrder, "status bytes %x at offset %d are %v big-endian; FBP is little-endian",
				b[1:3], off+1, swapped), true
		}
		return violation("R-3.1", CodeUnknownStatus, "status %d at offset %d is not one SPEC §3 defines: %x", st, off+1, head(b)), true
	}
	if wire.IsTruncated(err) && end == endEOF {
		var de *wire.Error
		field := "?"
		if errors.As(err, &de) {
			field = de.Field
		}
		return violation("R-3.1", CodeTruncatedResponse, "the server closed inside a response at offset %d, in its %s: %x",
			off, field, head(b)), true
	}
	return verdict{}, false
}

// allowed checks one well-formed response against the message it answers. off is where the
// response starts in what came back.
func allowed(s slot, r *wire.Response, off int) verdict {
	at := func(code, req, format string, args ...any) verdict {
		return violation(req, code, "response at offset %d to %s: %s", off, describe(s), fmt.Sprintf(format, args...))
	}
	if r.Status == wire.StatusServerError {
		// 1003 is never wrong: a name or size over the server's limits, an
		// unsupported version, a store failure all answer it.
		return verdict{}
	}
	switch s.kind {
	case slotUnknownOp:
		return at(CodeStatusForbidden, "R-5.2", "%v; an unknown op is answered 1003", r.Status)
	case slotOversize:
		return at(CodeStatusForbidden, "R-5.4", "%v; a size over the server's limit is answered 1003", r.Status)
	case slotTruncated:
		return at(CodeStatusForbidden, "R-5.3", "%v to a request that never arrived whole", r.Status)
	}
	req := opRequirement(s.op)
	var ok []wire.Status
	switch s.op {
	case wire.OpBackup:
		ok = []wire.Status{wire.StatusOK}
	case wire.OpRestore:
		ok = []wire.Status{wire.StatusRestored, wire.StatusNotExist}
	case wire.OpDelete:
		ok = []wire.Status{wire.StatusOK, wire.StatusNotExist}
	case wire.OpList:
		ok = []wire.Status{wire.StatusListed, wire.StatusNoFiles}
	}
	if !statusIn(r.Status, ok) {
		return at(CodeStatusForbidden, req, "%v is not an answer to %v", r.Status, s.op)
	}
	switch r.Status {
	case wire.StatusOK, wire.StatusRestored, wire.StatusNotExist:
		// SPEC §3: a 212 or 1001 names the file of the request it answers; 210 too.
		if !bytes.Equal(r.Name, s.name) {
			return at(CodeNameMismatch, req, "%v names %q, the request %q", r.Status, r.Name, s.name)
		}
		if r.Status != wire.StatusNotExist && unsafeName(s.name) {
			return at(CodeUnsafeNameServed, "R-5.1", "%v for the unsafe filename %q", r.Status, s.name)
		}
	case wire.StatusListed:
		if !listName(r.Name) {
			return at(CodeListName, "R-4.4", "the listing's name %q is not 32 characters [A-Za-z0-9]", r.Name)
		}
	}
	return verdict{}
}

// unsafeName reports whether forbids serving name whatever the server's limits: empty,
// a dot name, a separator, NUL or a control character. Length and non-ASCII bytes are left
// out: a server may accept longer names, and lists neither among its MUSTs.
func unsafeName(name []byte) bool {
	var ne *wire.NameError
	if !errors.As(wire.CheckName(name, wire.MaxNameField), &ne) {
		return false
	}
	switch ne.Rule {
	case wire.NameEmpty, wire.NameDot, wire.NameSeparator, wire.NameNUL, wire.NameControl:
		return true
	}
	return false
}

func listName(name []byte) bool {
	if len(name) != 32 {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func statusIn(s wire.Status, list []wire.Status) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// opRequirement is the requirement that says how op is answered.
func opRequirement(op wire.Op) string {
	switch op {
	case wire.OpBackup:
		return "R-4.1"
	case wire.OpRestore:
		return "R-4.2"
	case wire.OpDelete:
		return "R-4.3"
	case wire.OpList:
		return "R-4.4"
	}
	return "R-5.2"
}

// owedRequirement is the requirement broken when s gets no answer at all.
func owedRequirement(s slot) string {
	switch {
	case s.kind == slotUnknownOp:
		return "R-5.2"
	case s.kind == slotOversize:
		return "R-5.4"
	case s.op == wire.OpList:
		return "R-2.1"
	}
	return "R-1.3"
}

func describe(s slot) string {
	switch s.kind {
	case slotUnknownOp:
		return fmt.Sprintf("a request with the unknown op %d", uint8(s.op))
	case slotOversize:
		return "a BACKUP with a size over the server's limit"
	case slotTruncated:
		return "a truncated request"
	}
	if s.op == wire.OpList {
		return "a LIST"
	}
	return fmt.Sprintf("a %v of %q", s.op, s.name)
}

// head is the start of b, for details.
func head(b []byte) []byte {
	const max = 48
	if len(b) > max {
		return b[:max]
	}
	return b
}

// probeAnswered reports whether got holds the start of an answer: a version and a status,
// whatever they say. The probe asks whether the server serves, not whether it serves well; how
// it answers is the inputs' business.
func probeAnswered(got []byte) bool {
	return len(got) >= wire.ResponsePrefixLen
}
