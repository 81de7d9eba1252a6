package wire

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// coalesceMax is the largest payload a Writer sends in the same write as its header: small
// messages leave in one segment, large ones go straight from the source (sendfile, splice).
const coalesceMax = 32 << 10

// Writer encodes messages onto a stream. It checks what it writes against the spec; to write
// a message the spec forbids, use RawRequest or RawResponse.
type Writer struct {
	dst io.Writer
	buf []byte
}

// NewWriter returns a Writer onto dst.
func NewWriter(dst io.Writer) *Writer { return &Writer{dst: dst} }

// WriteRequest writes h and, for BACKUP, exactly h.Size bytes taken from payload. If payload
// ends early it returns an error matching ErrShortPayload; the message on the stream is then
// incomplete and the connection must not be used for another.
func (w *Writer) WriteRequest(h *RequestHeader, payload io.Reader) error {
	f, err := checkWrite("request", h.Op, ErrUnknownOp, h.Name, h.Size, payload)
	if err != nil {
		return err
	}
	w.buf = h.Append(w.buf[:0])
	return w.send(f, h.Size, payload)
}

// WriteResponse writes h and, for restore-ok and list-ok, exactly h.Size bytes taken from
// payload, as WriteRequest does.
func (w *Writer) WriteResponse(h *ResponseHeader, payload io.Reader) error {
	f, err := checkWrite("response", h.Status, ErrUnknownStatus, h.Name, h.Size, payload)
	if err != nil {
		return err
	}
	w.buf = h.Append(w.buf[:0])
	return w.send(f, h.Size, payload)
}

// messageCode is what says a message's layout: a request's op, a response's status.
type messageCode interface {
	Op | Status
	Fields() (Fields, bool)
}

// checkWrite checks a header about to be written: a code the spec defines (else unknown),
// and a name and payload that fit the fields the code carries. It returns those fields.
func checkWrite[C messageCode](message string, code C, unknown error, name []byte, size uint32, payload io.Reader) (Fields, error) {
	f, ok := code.Fields()
	switch {
	case !ok:
		return f, fmt.Errorf("write %s: %w %d", message, unknown, code)
	case f.Has(HasName) && len(name) > MaxNameField:
		return f, fmt.Errorf("write %v %s: filename of %d bytes does not fit name_len", code, message, len(name))
	case f.Has(HasPayload) && size > 0 && payload == nil:
		return f, fmt.Errorf("write %v %s: size given but no payload", code, message)
	}
	return f, nil
}

func (w *Writer) send(f Fields, size uint32, payload io.Reader) error {
	if !f.Has(HasPayload) || size == 0 {
		_, err := w.dst.Write(w.buf)
		return err
	}
	if size <= coalesceMax {
		head := len(w.buf)
		w.buf = slices.Grow(w.buf, int(size))[:head+int(size)]
		if n, err := io.ReadFull(payload, w.buf[head:]); err != nil {
			return shortPayload(int64(n), size, err)
		}
		_, err := w.dst.Write(w.buf)
		return err
	}
	if _, err := w.dst.Write(w.buf); err != nil {
		return err
	}
	n, err := io.CopyN(w.dst, payload, int64(size))
	if err != nil {
		return shortPayload(n, size, err)
	}
	return nil
}

func shortPayload(n int64, size uint32, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %d of %d bytes", ErrShortPayload, n, size)
	}
	return err
}
