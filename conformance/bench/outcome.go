package bench

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

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
	// ServerError: 1003. The spec allows it for any request, but a server that answers it
	// under load failed the request.
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
	// connect is how long the dial took, when the request made one.
	connect time.Duration
	dialed  bool
}

func failed(kind Kind, format string, a ...any) outcome {
	return outcome{kind: kind, what: fmt.Sprintf(format, a...)}
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
