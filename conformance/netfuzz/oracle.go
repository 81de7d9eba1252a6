package netfuzz

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fbpkit/fbp/conformance/internal/spec"
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
// signature, which minimization keeps and duplicates share. The checks of an answer are the
// spec oracle's.
const (
	CodeRefused           = "refused"                  // crash: the probe could not connect
	CodeProbeUnanswered   = "probe-unanswered"         // hang: the probe got no answer in time
	CodeNoResponse        = "no-response"              // the owed answer never came
	CodeUnknownStatus     = spec.CheckUnknownStatus    // a status SPEC §3 does not define
	CodeStatusByteOrder   = spec.CheckStatusByteOrder  // a status that is defined once its bytes are swapped
	CodeTruncatedResponse = "truncated-response"       // the server closed in the middle of a response
	CodeTrailingBytes     = spec.CheckTrailingBytes    // bytes after the last response the input allows
	CodeStatusForbidden   = spec.CheckStatusForbidden  // a well-formed status the spec forbids for this request
	CodeNameMismatch      = spec.CheckNameMismatch     // 210, 212 or 1001 names another file than the request
	CodeUnsafeNameServed  = spec.CheckUnsafeNameServed // success for a filename forbids
	CodeListName          = spec.CheckListingName      // 211's name is not 32 characters [A-Za-z0-9]
)

// slot is one message of an input, as the spec judges its answer, and whether an answer MUST
// come: only for the first message (R-1.3 lets the server close after it).
type slot struct {
	spec.Request
	owed bool
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
			p.slots = append(p.slots, slot{Request: spec.Request{Op: h.Op, Form: spec.UnknownOp}, owed: first})
			return p
		case err != nil:
			p.slots = append(p.slots, slot{Request: spec.Request{Op: h.Op, Form: spec.Truncated}})
			return p
		}
		s := slot{Request: spec.Request{Op: h.Op, Name: bytes.Clone(h.Name)}, owed: first}
		if h.Op == wire.OpBackup && maxPayload > 0 && h.Size > maxPayload {
			// refused at the size field, whether or not the payload follows.
			s.Form = spec.Oversize
			p.slots = append(p.slots, s)
			return p
		}
		end := r.Offset() + int64(h.Size)
		if end > int64(len(rest)) {
			s.Form, s.owed = spec.Truncated, false
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
	kind             Kind // "" when nothing is wrong
	requirement      spec.ID
	code             string
	expected, actual string
	detail           string
	answers          int // well-formed responses read
}

func (v verdict) bad() bool { return v.kind != "" }

func violation(req spec.ID, code, expected, actual, format string, args ...any) verdict {
	return verdict{kind: KindViolation, requirement: req, code: code, expected: expected, actual: actual, detail: fmt.Sprintf(format, args...)}
}

// judge holds what came back (got, ended by end) against the plan. Each response's header is
// judged as soon as it is whole, even when its payload was cut by our capture limit or
// timeout: a wrong status is wrong whatever follows it.
func judge(p plan, got []byte, end endReason) verdict {
	if end == endAborted {
		return verdict{}
	}
	off := 0
	var h wire.ResponseHeader
	for i, s := range p.slots {
		if off == len(got) {
			if req := s.Owed(); s.owed && req != "" && (end == endEOF || end == endTimeout) {
				how := "closed the connection"
				if end == endTimeout {
					how = "sent nothing within the timeout"
				}
				return verdict{kind: KindNoResponse, requirement: req, code: CodeNoResponse, expected: "an answer to " + s.Request.String(), actual: "the server " + how,
					detail: fmt.Sprintf("%s is owed an answer; the server %s", s.Request, how)}
			}
			return verdict{answers: i}
		}
		r := wire.NewReader(bytes.NewReader(got[off:]), decodeLimits)
		if err := r.ReadResponseHeader(&h); err != nil {
			if v, ok := malformed(got[off:], off, err, end); ok {
				return v
			}
			return verdict{answers: i}
		}
		if v := spec.JudgeAnswer(s.Request, h.Status, h.Name); v != nil {
			return violation(v.Req, v.Check, v.Expected, v.Actual, "response at offset %d to %s: %s; expected %s", off, s.Request, v.Actual, v.Expected)
		}
		n := r.Offset() + int64(h.Size)
		if n > int64(len(got)-off) {
			if end == endEOF {
				return violation(spec.R3_1, CodeTruncatedResponse, "a whole response", "a close inside its "+wire.FieldPayload,
					"the server closed inside a response at offset %d, in its %s: %x", off, wire.FieldPayload, head(got[off:]))
			}
			// Cut by our own bounds: the header was judged, the rest cannot be.
			return verdict{answers: i + 1}
		}
		off += int(n)
	}
	if off < len(got) && !p.capped && end != endCapped {
		what := "the input"
		if len(p.slots) > 0 {
			what = p.slots[len(p.slots)-1].String()
		}
		return violation(spec.R3_1, CodeTrailingBytes, "nothing after the last response "+what+" allows", fmt.Sprintf("%d more bytes", len(got)-off),
			"%d bytes after the last response %s allows, at offset %d: %x", len(got)-off, what, off, head(got[off:]))
	}
	return verdict{answers: len(p.slots)}
}

// malformed judges a response header that did not decode; ok is false when it is not held
// against the server (cut short by a reset or by our own bounds).
func malformed(b []byte, off int, err error, end endReason) (verdict, bool) {
	if errors.Is(err, wire.ErrUnknownStatus) {
		v := spec.JudgeStatusCode(uint16(b[1]) | uint16(b[2])<<8)
		return violation(v.Req, v.Check, v.Expected, v.Actual, "status at offset %d: %s; expected %s: %x", off+1, v.Actual, v.Expected, head(b)), true
	}
	if wire.IsTruncated(err) && end == endEOF {
		var de *wire.Error
		field := "?"
		if errors.As(err, &de) {
			field = de.Field
		}
		return violation(spec.R3_1, CodeTruncatedResponse, "a whole response", "a close inside its "+field,
			"the server closed inside a response at offset %d, in its %s: %x", off, field, head(b)), true
	}
	return verdict{}, false
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
