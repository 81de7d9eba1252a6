package client

import (
	"errors"
	"fmt"

	"github.com/fbpkit/fbp/ref/wire"
)

var (
	// ErrNotExist: the server answered 1001, the file does not exist.
	ErrNotExist = errors.New("file does not exist on the server (1001)")
	// ErrNoFiles: the server answered 1002 to a LIST, the user has no files.
	ErrNoFiles = errors.New("user has no files on the server (1002)")
	// ErrTooLarge: a backup larger than the 4-byte size field can state.
	ErrTooLarge = errors.New("file larger than the protocol's limit of 4 GiB - 1")
)

// StatusError is a response whose status is 1003 (generic server error) or a defined one the
// request does not expect, such as a restore-ok answer to a BACKUP. A status the spec does not
// define is a *ProtocolError: such a response is garbage, not an answer.
type StatusError struct {
	Op     wire.Op
	Status wire.Status
}

func (e *StatusError) Error() string {
	if e.Status == wire.StatusServerError {
		return "server error (1003)"
	}
	if !e.Status.Known() {
		return fmt.Sprintf("server answered status %d, which the protocol does not define", uint16(e.Status))
	}
	return fmt.Sprintf("server answered %s (%d), not an answer to %s", e.Status, uint16(e.Status), e.Op)
}

// ProtocolError is a response the client refuses: malformed, truncated, over one of the
// client's limits, or naming another file than the one asked for. Err, when set, is the
// decoding error (a *wire.Error) it comes from.
type ProtocolError struct {
	Op     wire.Op
	Reason string
	Err    error
}

func (e *ProtocolError) Error() string {
	if e.Err == nil {
		return "protocol error: " + e.Reason
	}
	return fmt.Sprintf("protocol error: %s: %v", e.Reason, e.Err)
}

func (e *ProtocolError) Unwrap() error { return e.Err }

// IsStatus reports whether err is the server's answer with an error status (ErrNotExist,
// ErrNoFiles or a *StatusError), as opposed to a failure to get an answer at all.
func IsStatus(err error) bool {
	var se *StatusError
	return errors.Is(err, ErrNotExist) || errors.Is(err, ErrNoFiles) || errors.As(err, &se)
}
