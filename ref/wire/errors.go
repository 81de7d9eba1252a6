package wire

import (
	"errors"
	"fmt"
	"io"
)

var (
	// ErrUnknownOp: a request's op is not one the spec defines, so its layout is unknown.
	ErrUnknownOp = errors.New("unknown op")
	// ErrUnknownStatus: a response's status is not one the spec defines.
	ErrUnknownStatus = errors.New("unknown status")
	// ErrNameTooLong: name_len is over the decoder's MaxName. Matched by a *LimitError.
	ErrNameTooLong = errors.New("name too long")
	// ErrPayloadTooLarge: size is over the decoder's MaxPayload. Matched by a *LimitError.
	ErrPayloadTooLarge = errors.New("payload too large")
	// ErrShortPayload: a writer's payload reader ended before the size it was given.
	ErrShortPayload = errors.New("payload shorter than its size")
	// ErrBadName: a filename breaks SPEC. Matched by a *NameError.
	ErrBadName = errors.New("unsafe filename")
)

// Field names, as the spec's tables spell them; they appear in errors and in the vectors.
const (
	FieldUserID   = "user_id"
	FieldVersion  = "version"
	FieldOp       = "op"
	FieldStatus   = "status"
	FieldNameLen  = "name_len"
	FieldFilename = "filename"
	FieldSize     = "size"
	FieldPayload  = "payload"
)

// Error is a decoding failure: which message, which field and how far into the message the
// decoder had read when it stopped. Err is io.ErrUnexpectedEOF for a truncated message,
// ErrUnknownOp, ErrUnknownStatus or a *LimitError.
//
// A message of which nothing at all was read is not an Error: the decoder returns io.EOF itself.
type Error struct {
	Message string // "request" or "response"
	Field   string // the field being read, one of the Field constants
	Offset  int64  // bytes of the message consumed when decoding stopped
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("fbp %s: %s at offset %d: %v", e.Message, e.Field, e.Offset, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// LimitError is a length field over the decoder's limit. It matches ErrNameTooLong or
// ErrPayloadTooLarge with errors.Is.
type LimitError struct {
	Field string // FieldNameLen or FieldSize
	Value uint64 // what the peer stated
	Max   uint64 // what the decoder accepts
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s %d over the limit of %d", e.Field, e.Value, e.Max)
}

func (e *LimitError) Is(target error) bool {
	switch target {
	case ErrNameTooLong:
		return e.Field == FieldNameLen
	case ErrPayloadTooLarge:
		return e.Field == FieldSize
	}
	return false
}

// IsTruncated reports whether err says the input ended before a whole message: io.EOF (nothing
// read) or io.ErrUnexpectedEOF (part of a message read).
func IsTruncated(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
