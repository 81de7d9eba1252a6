package bench

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Kind is what went wrong with a request.
type Kind int

// The kinds of error a run counts. Every one is a failure: a figure earned with them is no
// figure.
const (
	// Refused: the connection was refused (nothing listens, or the backlog overflowed).
	Refused Kind = iota
	// ConnectFailed: the connection failed otherwise (say, no local port left).
	ConnectFailed
	// Timeout: a connect, read or write did not finish within the timeout.
	Timeout
	// Closed: the server closed or reset the connection before a whole answer.
	Closed
	// Malformed: the answer could not be decoded (an unknown status, a bad length).
	Malformed
	// ServerError: 1003 where the spec allows it (a file the client knows is missing is owed
	// 1001: that 1003 is a WrongStatus). A server that answers it under load failed the
	// request all the same.
	ServerError
	// WrongStatus: a status, or a name, that the spec or what the client stored forbids.
	WrongStatus
	// WrongContent: a RESTORE's bytes are not the version owed (torn, mixed, stale, another
	// file's), or a LIST's names are not the user's.
	WrongContent
	numKinds
)

var kindNames = [numKinds]string{"refused", "connect-failed", "timeout", "closed", "malformed", "server-error", "wrong-status", "wrong-content"}

func (k Kind) String() string { return kindNames[k] }

// outcome is how one request went.
type outcome struct {
	op    wire.Op
	ok    bool
	kind  Kind
	bytes int64  // payload bytes moved
	what  string // on error: what happened, for the report
	// viol is the rule the answer breaks, as the oracle judged it, and ex the exchange that
	// showed it; nil for an error that breaks no rule (a refused connection, a 1003).
	viol *spec.Violation
	ex   *report.Exchange
	// connect is how long the dial took, when the request made one.
	connect time.Duration
	dialed  bool
}

func failed(kind Kind, format string, a ...any) outcome {
	return outcome{kind: kind, what: fmt.Sprintf(format, a...)}
}

// judged is an answer that breaks v, seen in the exchange of h and rh.
func judged(kind Kind, v *spec.Violation, h *wire.RequestHeader, rh *wire.ResponseHeader) outcome {
	return outcome{kind: kind, what: v.Error(), viol: v, ex: exchangeOf(h, rh, v.Actual)}
}

// exchangeOf is what a report shows of a request and its answer: their headers, encoded again
// from what was sent and read (the payloads are the run's own, drawn from a seed, and are
// never kept), with the sizes they state counted in.
func exchangeOf(h *wire.RequestHeader, rh *wire.ResponseHeader, outcome string) *report.Exchange {
	clip := func(b []byte, size uint32) report.Clip {
		return report.Clip{Head: b[:min(len(b), report.ClipHead)], Total: int64(len(b)) + int64(size)}
	}
	var recv report.Clip
	if rh != nil {
		recv = clip(rh.Append(nil), rh.Size)
	}
	label := fmt.Sprintf("%v user %d", h.Op, h.UserID)
	if h.Op != wire.OpList {
		label += " " + spec.Quote(h.Name)
	}
	return &report.Exchange{Label: label, Conn: 1, Sent: clip(h.Append(nil), h.Size), Received: recv, Outcome: outcome}
}

// ioKind sorts a dial, read or write error.
func ioKind(err error) Kind {
	var ne net.Error
	var we *wire.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.As(err, &we) && (errors.Is(err, wire.ErrUnknownStatus) || errors.Is(err, wire.ErrNameTooLong) || errors.Is(err, wire.ErrPayloadTooLarge)):
		return Malformed
	}
	return Closed
}
