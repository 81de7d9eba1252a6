package spec

import (
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
)

// Checks of an exchange's end that a tester watching both sides reports.
const (
	CheckNoAnswer    = "no-answer"    // the server closed without answering a whole request
	CheckResponseCut = "response-cut" // the server closed inside a response
)

// JudgeUnanswered judges a server that closed the connection without answering q, with the
// client still there to read the answer: every whole request is owed one (Owed). It returns nil
// for a request that is owed nothing.
func JudgeUnanswered(q Request) *Violation {
	req := q.Owed()
	if req == "" {
		return nil
	}
	return &Violation{Req: req, Check: CheckNoAnswer, Expected: "an answer to " + q.String(), Actual: "the server closed the connection without one"}
}

// JudgeResponseCut judges a server that closed the connection inside a response of status code
// a response carries every field of its status, a 210 or 211 all of its payload): got
// bytes of it arrived, of want.
func JudgeResponseCut(code uint16, got, want int64) *Violation {
	return &Violation{Req: R3_1, Check: CheckResponseCut, Expected: fmt.Sprintf("the whole %d response: %d bytes", code, want),
		Actual: fmt.Sprintf("%d bytes, then the server closed the connection", got)}
}

// HoldingAfter is what a server holds of a request's file once it answered st to q: a BACKUP or
// a RESTORE that succeeded leaves it stored, a DELETE that succeeded or a 1001 leaves it missing.
// ok is false when the answer says nothing of it (1003, a LIST).
func HoldingAfter(q Request, st wire.Status) (h Holding, ok bool) {
	if q.Form != Whole {
		return HoldingUnknown, false
	}
	switch {
	case st == wire.StatusNotExist && (q.Op == wire.OpRestore || q.Op == wire.OpDelete):
		return HoldingMissing, true
	case st == wire.StatusOK && q.Op == wire.OpDelete:
		return HoldingMissing, true
	case st == wire.StatusOK && q.Op == wire.OpBackup, st == wire.StatusRestored && q.Op == wire.OpRestore:
		return HoldingStored, true
	}
	return HoldingUnknown, false
}
