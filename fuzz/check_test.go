package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/fbpkit/fbp/ref/wire"
)

// hugeLimits accept every length the fields can state, so that no limit is what keeps a
// decoder's memory small: only the length of the input may do that.
var hugeLimits = wire.Limits{MaxName: wire.MaxNameField, MaxPayload: math.MaxUint32}

// nameSlack is what a decoder may set aside for a name beyond twice the bytes it received: room
// to read a name in chunks as its bytes arrive, far below the 64 KiB a name_len can declare.
const nameSlack = 512

// checkNameCap checks that a name decoded from an input of inputLen bytes was given memory in
// proportion to that input, not to the name_len it declared.
func checkNameCap(name []byte, inputLen int) error {
	if max := 2*inputLen + nameSlack; cap(name) > max {
		return fmt.Errorf("decoded name has capacity %d (length %d) from an input of %d bytes, over %d: memory was set aside for a declared length",
			cap(name), len(name), inputLen, max)
	}
	return nil
}

// run is one field of a message's layout and its length in bytes.
type run struct {
	field string
	n     int
}

func requestLayout(m *wire.Request) []run {
	l := []run{{wire.FieldUserID, 4}, {wire.FieldVersion, 1}, {wire.FieldOp, 1}}
	f, _ := m.Op.Fields()
	return optionalLayout(l, f, len(m.Name), len(m.Payload))
}

func responseLayout(m *wire.Response) []run {
	l := []run{{wire.FieldVersion, 1}, {wire.FieldStatus, 2}}
	f, _ := m.Status.Fields()
	return optionalLayout(l, f, len(m.Name), len(m.Payload))
}

func optionalLayout(l []run, f wire.Fields, name, payload int) []run {
	if f.Has(wire.HasName) {
		l = append(l, run{wire.FieldNameLen, 2}, run{wire.FieldFilename, name})
	}
	if f.Has(wire.HasPayload) {
		l = append(l, run{wire.FieldSize, 4}, run{wire.FieldPayload, payload})
	}
	return l
}

// fieldAt names the field that byte off of the message belongs to: the field a decoder is
// reading when its input ends just before that byte. Empty fields hold no byte and are skipped.
func fieldAt(l []run, off int) string {
	for _, r := range l {
		if off < r.n {
			return r.field
		}
		off -= r.n
	}
	return ""
}

// A decoded is what a decoder returned for one input, whichever kind of message it decoded.
type decoded struct {
	message string // "request" or "response"
	n       int
	name    []byte
	payload []byte
	err     error
	encode  func() []byte // re-encodes the decoded message; called only when err is nil
}

func decodeRequest(data []byte, lim wire.Limits) decoded {
	req, n, err := wire.ParseRequest(data, lim)
	return decoded{"request", n, req.Name, req.Payload, err, func() []byte { return req.Append(nil) }}
}

func decodeResponse(data []byte, lim wire.Limits) decoded {
	resp, n, err := wire.ParseResponse(data, lim)
	return decoded{"response", n, resp.Name, resp.Payload, err, func() []byte { return resp.Append(nil) }}
}

// checkDecoded checks what a decoder must keep for any input at all: it consumed no more than
// the input, allocated nothing larger than the input, kept the payload in the input, re-encodes
// what it accepted to the bytes it read, and failed only in the ways the codec documents.
func checkDecoded(data []byte, d decoded) error {
	if d.n < 0 || d.n > len(data) {
		return fmt.Errorf("n=%d outside an input of %d bytes", d.n, len(data))
	}
	if err := checkNameCap(d.name, len(data)); err != nil {
		return fmt.Errorf("%w (n=%d, err=%v)", err, d.n, d.err)
	}
	if d.err == nil {
		if len(d.payload) > 0 && &d.payload[0] != &data[d.n-len(d.payload)] {
			return errors.New("payload does not alias the input bytes it was decoded from")
		}
		if enc := d.encode(); !bytes.Equal(enc, data[:d.n]) {
			return fmt.Errorf("accepted %x but re-encodes it as %x", data[:d.n], enc)
		}
		return nil
	}
	return checkDecodeError(data, d)
}

var fieldsOf = map[string]map[string]bool{
	"request": {wire.FieldUserID: true, wire.FieldVersion: true, wire.FieldOp: true,
		wire.FieldNameLen: true, wire.FieldFilename: true, wire.FieldSize: true, wire.FieldPayload: true},
	"response": {wire.FieldVersion: true, wire.FieldStatus: true,
		wire.FieldNameLen: true, wire.FieldFilename: true, wire.FieldSize: true, wire.FieldPayload: true},
}

func checkDecodeError(data []byte, d decoded) error {
	if d.err == io.EOF {
		if len(data) != 0 || d.n != 0 {
			return fmt.Errorf("io.EOF after %d of %d bytes: io.EOF is only for an input with no byte at all", d.n, len(data))
		}
		return nil
	}
	var de *wire.Error
	if !errors.As(d.err, &de) {
		return fmt.Errorf("error %v (%T) is neither io.EOF nor a *wire.Error", d.err, d.err)
	}
	if de.Message != d.message || !fieldsOf[d.message][de.Field] {
		return fmt.Errorf("error %v: message %q, field %q", d.err, de.Message, de.Field)
	}
	if de.Offset != int64(d.n) || de.Offset > int64(len(data)) {
		return fmt.Errorf("error %v: offset %d, n=%d, input of %d bytes", d.err, de.Offset, d.n, len(data))
	}
	switch {
	case errors.Is(d.err, io.ErrUnexpectedEOF):
		// A truncated message is one whose every byte was read before the input ran out.
		if d.n != len(data) {
			return fmt.Errorf("truncation reported at offset %d of an input of %d bytes", d.n, len(data))
		}
	case errors.Is(d.err, wire.ErrUnknownOp):
		if d.message != "request" || de.Field != wire.FieldOp || d.n != wire.RequestPrefixLen || wire.Op(data[5]).Known() {
			return fmt.Errorf("unknown op error %v on %x", d.err, data[:d.n])
		}
	case errors.Is(d.err, wire.ErrUnknownStatus):
		if d.message != "response" || de.Field != wire.FieldStatus || d.n != wire.ResponsePrefixLen {
			return fmt.Errorf("unknown status error %v on %x", d.err, data[:d.n])
		}
	case errors.Is(d.err, wire.ErrNameTooLong):
		if de.Field != wire.FieldNameLen {
			return fmt.Errorf("name limit error %v in field %s", d.err, de.Field)
		}
	case errors.Is(d.err, wire.ErrPayloadTooLarge):
		if de.Field != wire.FieldSize {
			return fmt.Errorf("payload limit error %v in field %s", d.err, de.Field)
		}
	default:
		return fmt.Errorf("undocumented error %v", d.err)
	}
	return nil
}
