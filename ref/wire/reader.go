package wire

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
)

// nameChunk is how much of a filename is read at a time. It covers the reference limit of 255
// in one read.
const nameChunk = 256

// Reader decodes messages from a stream. It reads exactly the bytes of each message, never
// ahead, so a 6-byte LIST is complete as soon as its sixth byte arrives. A payload is
// not read with its header: Payload returns a reader bounded to the stated size, and the next
// header read first discards whatever of it was left unread.
//
// A Reader keeps no reference to a header it filled, and allocates only to grow a header's
// Name, never beyond Limits.MaxName: a header decoded into a reused value costs no allocation.
type Reader struct {
	src     io.Reader
	lim     Limits
	message string // "request" or "response", for errors
	off     int64  // bytes of the current message consumed
	buf     [RequestPrefixLen]byte
	payload payloadReader
}

// NewReader returns a Reader that decodes from src under lim.
func NewReader(src io.Reader, lim Limits) *Reader {
	r := &Reader{src: src, lim: lim.withDefaults()}
	r.payload.r = r
	return r
}

// Offset is how many bytes of the current message have been consumed, payload included.
func (r *Reader) Offset() int64 { return r.off }

// Payload returns the current message's payload: a reader that yields exactly its size, then
// io.EOF. If the stream ends first it returns an *Error wrapping io.ErrUnexpectedEOF. Before a
// header has been read, and for a message without payload, it is empty.
func (r *Reader) Payload() io.Reader { return &r.payload }

// PayloadLeft is how many bytes of the current payload have not been read yet.
func (r *Reader) PayloadLeft() int64 { return r.payload.left }

// A span names the field that ends at byte end of a fixed run of fields.
type span struct {
	end   int
	field string
}

var (
	requestPrefix  = []span{{4, FieldUserID}, {5, FieldVersion}, {6, FieldOp}}
	responsePrefix = []span{{1, FieldVersion}, {3, FieldStatus}}
	nameLenSpan    = []span{{2, FieldNameLen}}
	filenameSpan   = []span{{MaxNameField, FieldFilename}}
	sizeSpan       = []span{{4, FieldSize}}
)

// ReadRequestHeader decodes the next request's header into h. It returns io.EOF if the stream
// ended before the first byte of a message, and otherwise an *Error saying where decoding
// stopped. On error, h holds the fields decoded so far.
func (r *Reader) ReadRequestHeader(h *RequestHeader) error {
	b, err := r.begin("request", requestPrefix)
	if err != nil {
		return err
	}
	h.UserID = binary.LittleEndian.Uint32(b)
	h.Version = b[4]
	h.Op = Op(b[5])
	h.Name, h.Size = h.Name[:0], 0
	f, ok := h.Op.Fields()
	if !ok {
		// The layout of an undefined op is unknown: nothing after it can be decoded.
		return r.fail(FieldOp, ErrUnknownOp)
	}
	return r.readOptional(f, &h.Name, &h.Size)
}

// ReadResponseHeader decodes the next response's header into h, as ReadRequestHeader does.
func (r *Reader) ReadResponseHeader(h *ResponseHeader) error {
	b, err := r.begin("response", responsePrefix)
	if err != nil {
		return err
	}
	h.Version = b[0]
	h.Status = Status(binary.LittleEndian.Uint16(b[1:]))
	h.Name, h.Size = h.Name[:0], 0
	f, ok := h.Status.Fields()
	if !ok {
		return r.fail(FieldStatus, ErrUnknownStatus)
	}
	return r.readOptional(f, &h.Name, &h.Size)
}

// begin drops what is left of the previous payload, starts a new message and reads its
// prefix, the fixed fields that prefix's spans name, into the start of r.buf.
func (r *Reader) begin(message string, prefix []span) ([]byte, error) {
	if r.payload.left > 0 && r.payload.err == nil {
		if _, err := io.Copy(io.Discard, &r.payload); err != nil {
			return nil, err
		}
	}
	if r.payload.err != nil {
		// The stream is no longer at a message boundary.
		return nil, r.payload.err
	}
	r.message, r.off = message, 0
	r.payload.left = 0
	b := r.buf[:prefix[len(prefix)-1].end]
	return b, r.fill(b, prefix)
}

func (r *Reader) readOptional(f Fields, name *[]byte, size *uint32) error {
	if f.Has(HasName) {
		b := r.buf[:nameLenLen]
		if err := r.fill(b, nameLenSpan); err != nil {
			return err
		}
		n := int(binary.LittleEndian.Uint16(b))
		// the limit is checked before a byte of the name is read or stored.
		if n > r.lim.MaxName {
			return r.fail(FieldNameLen, &LimitError{Field: FieldNameLen, Value: uint64(n), Max: uint64(r.lim.MaxName)})
		}
		// the name grows with the bytes that arrive, never ahead of them, so a peer that
		// states 65535 and sends nothing costs one chunk.
		start := r.off
		*name = (*name)[:0]
		for len(*name) < n {
			got := len(*name)
			chunk := min(n-got, nameChunk)
			*name = slices.Grow(*name, chunk)[:got+chunk]
			if err := r.fill((*name)[got:], filenameSpan); err != nil {
				*name = (*name)[:r.off-start]
				return err
			}
		}
	}
	if f.Has(HasPayload) {
		b := r.buf[:sizeLen]
		if err := r.fill(b, sizeSpan); err != nil {
			return err
		}
		*size = binary.LittleEndian.Uint32(b)
		// refuse an oversize payload before reading any of it.
		if *size > r.lim.MaxPayload {
			return r.fail(FieldSize, &LimitError{Field: FieldSize, Value: uint64(*size), Max: uint64(r.lim.MaxPayload)})
		}
		r.payload.left = int64(*size)
	}
	return nil
}

// fill reads exactly len(b) bytes. spans name the field each byte of b belongs to.
func (r *Reader) fill(b []byte, spans []span) error {
	n, err := io.ReadFull(r.src, b)
	r.off += int64(n)
	switch {
	case err == nil:
		return nil
	case err == io.EOF && r.off == 0:
		return io.EOF
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		err = io.ErrUnexpectedEOF
	}
	field := spans[len(spans)-1].field
	for _, s := range spans {
		if n < s.end {
			field = s.field
			break
		}
	}
	return r.fail(field, err)
}

func (r *Reader) fail(field string, err error) error {
	return &Error{Message: r.message, Field: field, Offset: r.off, Err: err}
}

// payloadReader yields the rest of the current payload and no more.
type payloadReader struct {
	r    *Reader
	left int64
	err  error // sticky: once the stream fails, the payload stays failed
}

func (p *payloadReader) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.r.src.Read(b)
	p.consumed(int64(n))
	switch {
	case err == io.EOF && p.left == 0:
		err = nil
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		p.err = p.r.fail(FieldPayload, err)
		return n, p.err
	}
	return n, nil
}

// WriteTo lets io.Copy hand the source straight to the destination, so that copying a payload
// from a socket into a file can use splice. A stream that ends early gives an *Error wrapping
// io.ErrUnexpectedEOF; any other error, from either side, is returned as it is (a storage
// error is an *fs.PathError, a network one a *net.OpError).
func (p *payloadReader) WriteTo(w io.Writer) (int64, error) {
	if p.err != nil {
		return 0, p.err
	}
	lr := &io.LimitedReader{R: p.r.src, N: p.left}
	n, err := io.Copy(w, lr)
	p.consumed(n)
	if err == nil && p.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	if err == nil {
		return n, nil
	}
	if err == io.ErrUnexpectedEOF {
		err = p.r.fail(FieldPayload, err)
	}
	p.err = err
	return n, err
}

func (p *payloadReader) consumed(n int64) {
	p.left -= n
	p.r.off += n
}

// ParseRequest decodes one whole request from the start of b and returns it with the number
// of bytes it used; bytes after it are left alone. The payload aliases b. On error, n is where
// decoding stopped and req holds what was decoded before it.
func ParseRequest(b []byte, lim Limits) (req Request, n int, err error) {
	var h RequestHeader
	r := NewReader(bytes.NewReader(b), lim)
	err = r.ReadRequestHeader(&h)
	req = Request{UserID: h.UserID, Version: h.Version, Op: h.Op, Name: h.Name}
	if err != nil {
		return req, int(r.off), err
	}
	req.Payload, err = r.slicePayload(b)
	return req, int(r.off), err
}

// ParseResponse decodes one whole response from the start of b, as ParseRequest does.
func ParseResponse(b []byte, lim Limits) (resp Response, n int, err error) {
	var h ResponseHeader
	r := NewReader(bytes.NewReader(b), lim)
	err = r.ReadResponseHeader(&h)
	resp = Response{Version: h.Version, Status: h.Status, Name: h.Name}
	if err != nil {
		return resp, int(r.off), err
	}
	resp.Payload, err = r.slicePayload(b)
	return resp, int(r.off), err
}

// slicePayload takes the current payload from b, the whole input the Reader decodes.
func (r *Reader) slicePayload(b []byte) ([]byte, error) {
	start, size := r.off, r.payload.left
	if size == 0 {
		return nil, nil
	}
	if int64(len(b))-start < size {
		r.off = int64(len(b))
		return nil, r.fail(FieldPayload, io.ErrUnexpectedEOF)
	}
	r.off += size
	r.payload.left = 0
	return b[start : start+size], nil
}
