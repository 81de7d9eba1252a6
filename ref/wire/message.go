package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// RequestHeader is everything in a request before its payload.
// Name and Size are meaningful only for ops that carry them (Op.Fields).
type RequestHeader struct {
	UserID  uint32
	Version uint8
	Op      Op
	Name    []byte // reused by a Reader: copy it to keep it past the next read
	Size    uint32 // BACKUP: the payload's length
}

// ResponseHeader is everything in a response before its payload.
// Name and Size are meaningful only for statuses that carry them (Status.Fields).
type ResponseHeader struct {
	Version uint8
	Status  Status
	Name    []byte // reused by a Reader: copy it to keep it past the next read
	Size    uint32 // restore-ok, list-ok: the payload's length
}

// Request is a whole request held in memory, for small messages, tests and vectors.
// Its size field is len(Payload).
type Request struct {
	UserID  uint32
	Version uint8
	Op      Op
	Name    []byte
	Payload []byte
}

// Response is a whole response held in memory, for small messages, tests and vectors.
// Its size field is len(Payload).
type Response struct {
	Version uint8
	Status  Status
	Name    []byte
	Payload []byte
}

// Header sizes that do not depend on the message's contents.
const (
	RequestPrefixLen  = 6 // user_id, version, op
	ResponsePrefixLen = 3 // version, status
	nameLenLen        = 2
	sizeLen           = 4
)

// Len is the length of h's encoding, payload excluded.
func (h *RequestHeader) Len() int {
	f, _ := h.Op.Fields()
	return RequestPrefixLen + optionalLen(f, len(h.Name))
}

// Len is the length of h's encoding, payload excluded.
func (h *ResponseHeader) Len() int {
	f, _ := h.Status.Fields()
	return ResponsePrefixLen + optionalLen(f, len(h.Name))
}

func optionalLen(f Fields, name int) int {
	n := 0
	if f.Has(HasName) {
		n += nameLenLen + name
	}
	if f.Has(HasPayload) {
		n += sizeLen
	}
	return n
}

// Append appends h's encoding to dst: the fields its op carries, payload excluded. An unknown
// op is written as the 6-byte prefix alone (use RawRequest to give it more fields).
// It panics if Name is longer than the name_len field can state; a Writer returns an error instead.
func (h *RequestHeader) Append(dst []byte) []byte {
	f, _ := h.Op.Fields()
	dst = binary.LittleEndian.AppendUint32(dst, h.UserID)
	dst = append(dst, h.Version, byte(h.Op))
	return appendOptional(dst, f, h.Name, h.Size)
}

// Append appends h's encoding to dst: the fields its status carries, payload excluded. An
// unknown status is written as the 3-byte prefix alone. It panics if Name is longer than the
// name_len field can state.
func (h *ResponseHeader) Append(dst []byte) []byte {
	f, _ := h.Status.Fields()
	dst = append(dst, h.Version)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h.Status))
	return appendOptional(dst, f, h.Name, h.Size)
}

func appendOptional(dst []byte, f Fields, name []byte, size uint32) []byte {
	if f.Has(HasName) {
		if len(name) > MaxNameField {
			panic(fmt.Sprintf("fbp: filename of %d bytes does not fit name_len", len(name)))
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(name)))
		dst = append(dst, name...)
	}
	if f.Has(HasPayload) {
		dst = binary.LittleEndian.AppendUint32(dst, size)
	}
	return dst
}

// Header returns r's header, with Size = len(Payload).
func (r *Request) Header() RequestHeader {
	return RequestHeader{UserID: r.UserID, Version: r.Version, Op: r.Op, Name: r.Name, Size: uint32(len(r.Payload))}
}

// Header returns r's header, with Size = len(Payload).
func (r *Response) Header() ResponseHeader {
	return ResponseHeader{Version: r.Version, Status: r.Status, Name: r.Name, Size: uint32(len(r.Payload))}
}

// Append appends r's encoding to dst: the fields its op carries and, for BACKUP, the payload.
func (r *Request) Append(dst []byte) []byte {
	checkPayloadLen(len(r.Payload))
	h := r.Header()
	f, _ := r.Op.Fields()
	return appendPayload(h.Append(dst), f, r.Payload)
}

// Append appends r's encoding to dst: the fields its status carries and, for restore-ok and
// list-ok, the payload.
func (r *Response) Append(dst []byte) []byte {
	checkPayloadLen(len(r.Payload))
	h := r.Header()
	f, _ := r.Status.Fields()
	return appendPayload(h.Append(dst), f, r.Payload)
}

// appendPayload appends payload to dst, a message's header, if the message carries one (f).
func appendPayload(dst []byte, f Fields, payload []byte) []byte {
	if f.Has(HasPayload) {
		dst = append(dst, payload...)
	}
	return dst
}

func checkPayloadLen(n int) {
	if uint64(n) > DefaultMaxPayload {
		panic(fmt.Sprintf("fbp: payload of %d bytes does not fit the size field", n))
	}
}

// Equal reports whether a and b encode to the same bytes: fields a message does not carry
// are not compared, and a nil slice equals an empty one.
func (r *Request) Equal(o *Request) bool {
	if r.UserID != o.UserID || r.Version != o.Version || r.Op != o.Op {
		return false
	}
	f, _ := r.Op.Fields()
	return (!f.Has(HasName) || bytes.Equal(r.Name, o.Name)) &&
		(!f.Has(HasPayload) || bytes.Equal(r.Payload, o.Payload))
}

// Equal reports whether a and b encode to the same bytes: fields a message does not carry
// are not compared, and a nil slice equals an empty one.
func (r *Response) Equal(o *Response) bool {
	if r.Version != o.Version || r.Status != o.Status {
		return false
	}
	f, _ := r.Status.Fields()
	return (!f.Has(HasName) || bytes.Equal(r.Name, o.Name)) &&
		(!f.Has(HasPayload) || bytes.Equal(r.Payload, o.Payload))
}
