package wire

import "encoding/binary"

// RawRequest is a request written field by field with no check at all, so that a tester can
// put on the wire what the spec forbids: an op the spec does not define, a field the op does
// not carry or a missing one, a length that lies about what follows, bytes after the end.
type RawRequest struct {
	UserID  uint32
	Version uint8
	Op      uint8
	Fields  Fields  // the optional fields to write, whatever Op says
	NameLen *uint16 // the name_len to state; nil states len(Name)
	Name    []byte
	Size    *uint32 // the size to state; nil states len(Payload)
	Payload []byte
	Trailer []byte // written after everything else
}

// RawResponse is a response written field by field with no check, as RawRequest is.
type RawResponse struct {
	Version uint8
	Status  uint16
	Fields  Fields
	NameLen *uint16
	Name    []byte
	Size    *uint32
	Payload []byte
	Trailer []byte
}

// Raw returns r as a RawRequest with the fields its op carries, ready to be broken one field
// at a time.
func (r *Request) Raw() RawRequest {
	f, _ := r.Op.Fields()
	return RawRequest{UserID: r.UserID, Version: r.Version, Op: uint8(r.Op), Fields: f, Name: r.Name, Payload: r.Payload}
}

// Raw returns r as a RawResponse with the fields its status carries.
func (r *Response) Raw() RawResponse {
	f, _ := r.Status.Fields()
	return RawResponse{Version: r.Version, Status: uint16(r.Status), Fields: f, Name: r.Name, Payload: r.Payload}
}

// Append appends the bytes r describes to dst.
func (r *RawRequest) Append(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, r.UserID)
	dst = append(dst, r.Version, r.Op)
	dst = appendRaw(dst, r.Fields, r.NameLen, r.Name, r.Size, r.Payload)
	return append(dst, r.Trailer...)
}

// Append appends the bytes r describes to dst.
func (r *RawResponse) Append(dst []byte) []byte {
	dst = append(dst, r.Version)
	dst = binary.LittleEndian.AppendUint16(dst, r.Status)
	dst = appendRaw(dst, r.Fields, r.NameLen, r.Name, r.Size, r.Payload)
	return append(dst, r.Trailer...)
}

func appendRaw(dst []byte, f Fields, nameLen *uint16, name []byte, size *uint32, payload []byte) []byte {
	if f.Has(HasName) {
		dst = appendSized(dst, binary.LittleEndian.AppendUint16, nameLen, name)
	}
	if f.Has(HasPayload) {
		dst = appendSized(dst, binary.LittleEndian.AppendUint32, size, payload)
	}
	return dst
}

// appendSized appends b after its length field, put encoding the length: len(b), or stated
// when set.
func appendSized[N uint16 | uint32](dst []byte, put func([]byte, N) []byte, stated *N, b []byte) []byte {
	n := N(len(b))
	if stated != nil {
		n = *stated
	}
	return append(put(dst, n), b...)
}
