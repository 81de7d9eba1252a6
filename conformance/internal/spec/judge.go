package spec

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/fbpkit/fbp/ref/wire"
)

// Violation is one broken rule: the requirement, which check caught it, what the rule wanted
// and what came instead.
type Violation struct {
	Req ID
	// Check names the check, stable and short ("status-forbidden"): testers that group or
	// deduplicate findings use it with Req.
	Check    string
	Expected string
	Actual   string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s: expected %s, got %s", v.Req, v.Expected, v.Actual)
}

// Checks that JudgeAnswer, JudgeStatusCode, TrailingBytes and JudgeListingName report.
const (
	CheckUnknownStatus    = "unknown-status"     // a status SPEC §3 does not define
	CheckStatusByteOrder  = "status-byte-order"  // a status that is defined once its bytes are swapped
	CheckStatusForbidden  = "status-forbidden"   // a status the spec does not allow for this request
	CheckNameMismatch     = "name-mismatch"      // 210, 212 or 1001 names another file than the request
	CheckUnsafeNameServed = "unsafe-name-served" // success for a filename forbids
	CheckListingName      = "list-name"          // 211's name is not 32 characters [A-Za-z0-9]
	CheckTrailingBytes    = "trailing-bytes"     // bytes after a response's last field
)

// Form is how a request stands as a server decodes it.
type Form int

const (
	// Whole: a complete request with a known op.
	Whole Form = iota
	// UnknownOp: an op the spec does not define. 1003 is owed; where the request ends is
	// unknown, so nothing after it can be judged.
	UnknownOp
	// Oversize: a BACKUP whose size is over the server's known limit: 1003, before the
	// payload.
	Oversize
	// Truncated: the request never arrived whole. No answer is owed.
	Truncated
	// BadName: a whole request whose filename has the server refuse: unsafe (UnsafeName),
	// or over the server's known limit. A BACKUP is owed 1003, a RESTORE or DELETE 1001 or
	// 1003; success for it is a fault of.
	BadName
)

// Request is a request as the spec judges its answer: its op, its filename, and its form.
type Request struct {
	Op   wire.Op
	Name []byte
	Form Form
}

func (q Request) String() string {
	switch q.Form {
	case UnknownOp:
		return fmt.Sprintf("a request with the unknown op %d", uint8(q.Op))
	case Oversize:
		return "a BACKUP with a size over the server's limit"
	case Truncated:
		return "a truncated request"
	}
	if q.Op == wire.OpList {
		return "a LIST"
	}
	return fmt.Sprintf("a %v of %q", q.Op, q.Name)
}

// OpRequirement is the requirement that says how a request of op is answered; an op the spec
// does not define falls under.
func OpRequirement(op wire.Op) ID {
	switch op {
	case wire.OpBackup:
		return R4_1
	case wire.OpRestore:
		return R4_2
	case wire.OpDelete:
		return R4_3
	case wire.OpList:
		return R4_4
	}
	return R5_2
}

// Owed is the requirement broken when q gets no answer at all: every whole request is
// answered, a LIST at once, an unknown op and an oversize BACKUP with 1003, a
// bad name with 1003 (or 1001) whatever the op: a server that fails on a name it
// cannot use and drops the connection owes the refusal, not an answer.
// A truncated request is owed nothing: Owed returns "".
func (q Request) Owed() ID {
	switch {
	case q.Form == Truncated:
		return ""
	case q.Form == UnknownOp:
		return R5_2
	case q.Form == Oversize:
		return R5_4
	case q.Form == BadName:
		return R5_1
	case q.Op == wire.OpList:
		return R2_1
	}
	return R1_3
}

// Answers lists the statuses that may answer a whole request of op besides 1003, whatever the
// server holds (SPEC §4).
func Answers(op wire.Op) []wire.Status {
	switch op {
	case wire.OpBackup:
		return []wire.Status{wire.StatusOK}
	case wire.OpRestore:
		return []wire.Status{wire.StatusRestored, wire.StatusNotExist}
	case wire.OpDelete:
		return []wire.Status{wire.StatusOK, wire.StatusNotExist}
	case wire.OpList:
		return []wire.Status{wire.StatusListed, wire.StatusNoFiles}
	}
	return nil
}

// NamesRequest reports whether a response of status names the file of the request it answers
// (SPEC §3: 210, 212 and 1001 do).
func NamesRequest(s wire.Status) bool {
	return s == wire.StatusRestored || s == wire.StatusOK || s == wire.StatusNotExist
}

// JudgeAnswer checks a response with a status SPEC §3 defines against the request it answers,
// knowing nothing of what the server holds: the status is one the request allows, a 210, 212
// or 1001 names the request's file, no unsafe name is served, and a listing's name has its
// shape. It returns nil when the answer is allowed.
func JudgeAnswer(q Request, st wire.Status, name []byte) *Violation {
	if st == wire.StatusServerError {
		// 1003 is never wrong: a name or size over the server's limits, an
		// unsupported version, a store failure all answer it.
		return nil
	}
	forbidden := func(req ID, why string) *Violation {
		return &Violation{Req: req, Check: CheckStatusForbidden, Expected: why, Actual: st.String()}
	}
	switch q.Form {
	case UnknownOp:
		return forbidden(R5_2, "1003: an unknown op is answered 1003")
	case Oversize:
		return forbidden(R5_4, "1003: a size over the server's limit is answered 1003")
	case Truncated:
		return forbidden(R5_3, "no answer to a request that never arrived whole")
	}
	req := OpRequirement(q.Op)
	ok := Answers(q.Op)
	if !slices.Contains(ok, st) {
		return forbidden(req, fmt.Sprintf("an answer to %v: %s or 1003", q.Op, statusList(ok)))
	}
	switch {
	case NamesRequest(st) && !bytes.Equal(name, q.Name):
		return &Violation{Req: req, Check: CheckNameMismatch, Expected: fmt.Sprintf("%v naming %q", st, q.Name),
			Actual: fmt.Sprintf("%v naming %q", st, name)}
	case NamesRequest(st) && st != wire.StatusNotExist && (q.Form == BadName || UnsafeName(q.Name)):
		return &Violation{Req: R5_1, Check: CheckUnsafeNameServed, Expected: "1001 or 1003 for an unsafe filename",
			Actual: fmt.Sprintf("%v for %q", st, q.Name)}
	case st == wire.StatusListed:
		return JudgeListingName(name)
	}
	return nil
}

func statusList(ss []wire.Status) string {
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d", uint16(s))
	}
	return b.String()
}

// JudgeStatusCode judges a status code SPEC §3 does not define: a defined one with its bytes
// swapped breaks R-1.1 (little-endian), any other. It returns nil for a defined code.
func JudgeStatusCode(code uint16) *Violation {
	if wire.Status(code).Known() {
		return nil
	}
	le := []byte{byte(code), byte(code >> 8)}
	if swapped := wire.Status(code>>8 | code<<8); swapped.Known() {
		return &Violation{Req: R1_1, Check: CheckStatusByteOrder, Expected: fmt.Sprintf("%d as bytes %02x %02x (little-endian)", uint16(swapped), le[1], le[0]),
			Actual: fmt.Sprintf("bytes %02x %02x: %d big-endian", le[0], le[1], uint16(swapped))}
	}
	return &Violation{Req: R3_1, Check: CheckUnknownStatus, Expected: "a status SPEC §3 defines (210, 211, 212, 1001, 1002, 1003)",
		Actual: fmt.Sprintf("status %d (bytes %02x %02x)", code, le[0], le[1])}
}

// UnsafeName reports whether forbids serving name whatever the server's limits: empty,
// a dot name, a separator, NUL or a control character. Length and non-ASCII bytes are left
// out: a server may accept longer names, and lists neither among its MUSTs.
func UnsafeName(name []byte) bool {
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

// TrailingBytes judges bytes that followed a complete response: a status has an exact
// layout, so a size field after 212 or 1001, or anything after 1002 or 1003, is a fault.
// fields is the layout the response was read by, size its payload's length. defined is false
// when the status is one the run's mapping does not define, so its layout was unknown.
func TrailingBytes(code uint16, fields wire.Fields, size uint32, defined bool, trailing []byte) *Violation {
	v := &Violation{Req: R3_1, Check: CheckTrailingBytes}
	switch {
	case !defined:
		v.Expected = "a status the dialect defines"
		v.Actual = fmt.Sprintf("status %d followed by % x", code, trailing)
		return v
	case fields == 0:
		v.Expected = fmt.Sprintf("status %d to end the response: 3 bytes in all", code)
	case !fields.Has(wire.HasPayload):
		v.Expected = fmt.Sprintf("status %d to end after the filename, with no size field", code)
	default:
		v.Expected = fmt.Sprintf("status %d to end after its %d-byte payload", code, size)
	}
	v.Actual = fmt.Sprintf("%d more bytes followed the response: % x", len(trailing), trailing)
	return v
}
