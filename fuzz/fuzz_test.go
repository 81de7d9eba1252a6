package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/fbpkit/fbp/ref/wire"
)

// FuzzParseRequest decodes arbitrary bytes as a request. Invariants: no panic, nothing allocated
// beyond the input's length, the payload kept in the input, only documented errors, and what is
// accepted re-encodes to the bytes it was read from (checkDecoded).
func FuzzParseRequest(f *testing.F) {
	fuzzParse(f, requests)
}

// FuzzParseResponse is FuzzParseRequest for responses.
func FuzzParseResponse(f *testing.F) {
	fuzzParse(f, responses)
}

// fuzzParse seeds f with c's seeds, then runs fuzzDecode.
func fuzzParse[M any](f *testing.F, c codec[M]) {
	for _, s := range seeds(f, c) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, c, data)
	})
}

func fuzzDecode[M any](t *testing.T, c codec[M], data []byte) {
	huge := c.decode(data, hugeLimits)
	if err := checkDecoded(data, huge); err != nil {
		t.Fatalf("%s limits %+v: %v", c.message, hugeLimits, err)
	}
	// The reference limits may refuse more, but only for being over a limit.
	ref := c.decode(data, wire.DefaultLimits)
	if err := checkDecoded(data, ref); err != nil {
		t.Fatalf("%s, default limits: %v", c.message, err)
	}
	overLimit := errors.Is(ref.err, wire.ErrNameTooLong) || errors.Is(ref.err, wire.ErrPayloadTooLarge)
	switch {
	case ref.err == nil && (huge.err != nil || huge.n != ref.n):
		t.Fatalf("accepted %d bytes under the default limits, n=%d err=%v under larger ones", ref.n, huge.n, huge.err)
	case ref.err != nil && !overLimit && (huge.err == nil || huge.n != ref.n || errors.Unwrap(huge.err) != errors.Unwrap(ref.err)):
		t.Fatalf("refused at %d with %v under the default limits, not a limit: larger limits give n=%d err=%v", ref.n, ref.err, huge.n, huge.err)
	}
}

// FuzzRoundTrip builds a valid message of any op or status from fuzzed fields and checks that
// every way of encoding and decoding it agrees: Append, ParseX, Writer and Reader, with the
// fuzzed extra bytes after it left unread, and two of its strict prefixes truncated.
func FuzzRoundTrip(f *testing.F) {
	kinds := len(wire.Ops) + len(wire.Statuses)
	for i, m := range sampleRequests() {
		f.Add(m.UserID, m.Version, uint8(slices.Index(wire.Ops, m.Op)), m.Name, m.Payload, []byte{byte(i)}, uint16(i))
	}
	for i, m := range sampleResponses() {
		f.Add(uint32(i), m.Version, uint8(len(wire.Ops)+slices.Index(wire.Statuses, m.Status)), m.Name, m.Payload, []byte(nil), uint16(i*7))
	}
	f.Fuzz(func(t *testing.T, userID uint32, version, kind uint8, name, payload, extra []byte, cut uint16) {
		if len(name) > wire.MaxNameField {
			name = name[:wire.MaxNameField]
		}
		k := int(kind) % kinds
		if k < len(wire.Ops) {
			m := wire.Request{UserID: userID, Version: version, Op: wire.Ops[k], Name: name, Payload: payload}
			fuzzRoundTrip(t, requests, &m, extra, int(cut))
		} else {
			m := wire.Response{Version: version, Status: wire.Statuses[k-len(wire.Ops)], Name: name, Payload: payload}
			fuzzRoundTrip(t, responses, &m, extra, int(cut))
		}
	})
}

func fuzzRoundTrip[M any](t *testing.T, c codec[M], m *M, extra []byte, cut int) {
	b := c.encode(m)
	input := append(slices.Clip(b), extra...)
	got, n, err := c.parse(input, hugeLimits)
	if err != nil || n != len(b) || !c.equal(&got, m) {
		t.Fatalf("decoded %+v n=%d err=%v from %x followed by %x, want %+v", got, n, err, b, extra, *m)
	}
	if enc := c.encode(&got); !bytes.Equal(enc, b) {
		t.Fatalf("decoded from %x, re-encoded as %x", b, enc)
	}
	if err := checkDecoded(input, c.decode(input, hugeLimits)); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := c.write(wire.NewWriter(&out), m); err != nil || !bytes.Equal(out.Bytes(), b) {
		t.Fatalf("Writer: %v, wrote %x, want %x", err, out.Bytes(), b)
	}

	src := bytes.NewReader(input)
	r := wire.NewReader(src, hugeLimits)
	head, size, header, err := c.stream(r)()
	bare := c.strip(*m)
	var payload []byte
	if c.hasPayload(m) {
		payload = c.payload(m)
	}
	if err != nil || !c.equal(&head, &bare) || int(size) != len(payload) || !bytes.Equal(header, b[:len(b)-len(payload)]) {
		t.Fatalf("Reader: %+v size %d header %x err %v, want %+v", head, size, header, err, *m)
	}
	var streamed bytes.Buffer
	if _, err := io.Copy(&streamed, r.Payload()); err != nil || !bytes.Equal(streamed.Bytes(), payload) {
		t.Fatalf("Reader payload: %v, %d bytes, want %d", err, streamed.Len(), len(payload))
	}
	if taken(src) != int64(len(b)) || r.Offset() != int64(len(b)) {
		t.Fatalf("Reader took %d bytes from its source, Offset %d, for a message of %d", taken(src), r.Offset(), len(b))
	}

	// Every prefix would cost time quadratic in a name of up to 64 KiB: two are checked per input.
	layout := c.layout(m)
	for _, k := range []int{cut % len(b), len(b) - 1} {
		if err := checkPrefix(c, b, layout, k, hugeLimits); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzReaderRequests reads arbitrary bytes as a stream of requests with one Reader until it
// fails, consuming each payload in full, in part or not at all as plan says.
func FuzzReaderRequests(f *testing.F) {
	fuzzReader(f, requests)
}

// FuzzReaderResponses is FuzzReaderRequests for responses.
func FuzzReaderResponses(f *testing.F) {
	fuzzReader(f, responses)
}

// fuzzReader seeds f with c's seeds, each with a plan of its own, and
// with the stream of every sample under two plans, then runs readStream.
func fuzzReader[M any](f *testing.F, c codec[M]) {
	for i, s := range seeds(f, c) {
		f.Add(s, uint64(i)*0x9e3779b97f4a7c15)
	}
	var stream []byte
	for _, m := range c.samples() {
		stream = append(stream, c.encode(&m)...)
	}
	f.Add(stream, uint64(0))
	f.Add(stream, uint64(0b_01_10_11_00_01_10_11_01))
	f.Fuzz(func(t *testing.T, data []byte, plan uint64) {
		if err := readStream(c, data, plan); err != nil {
			t.Fatal(err)
		}
	})
}

// readStream reads data as a stream of messages. The low two bits of plan pick how the source
// hands out its bytes; each next two bits say what is done with one message's payload (one of
// the payload modes of consumePayload).
// Invariants: no panic; every header re-encodes to the bytes it came from; payload bytes are
// the stream's; the Reader never takes a byte past the message it decodes; offsets add up;
// the stream ends in io.EOF exactly at a message boundary, or in a documented error.
func readStream[M any](c codec[M], data []byte, plan uint64) error {
	src := bytes.NewReader(data)
	var in io.Reader = src
	switch plan & 3 {
	case 1:
		in = iotest.HalfReader(src)
	case 2:
		in = iotest.OneByteReader(src)
	}
	r := wire.NewReader(in, hugeLimits)
	next := c.stream(r)
	var buf [512]byte
	start, end := 0, 0 // of the current message in data; end may lie past the data
	// Each message takes at least one byte: this bounds the loop.
	for i := 0; i <= len(data); i++ {
		plan = bits.RotateLeft64(plan, -2)
		m, size, header, err := next()
		if err2 := checkNameCap(c.name(&m), len(data)); err2 != nil {
			return fmt.Errorf("message %d: %w (err=%v)", i, err2, err)
		}
		if err != nil {
			return checkStreamEnd(c, data, start, end, taken(src), r, err)
		}
		start = end
		if !bytes.Equal(header, data[start:min(start+len(header), len(data))]) {
			return fmt.Errorf("message %d at %d: header re-encodes as %x, the stream holds %x", i, start, header, data[start:min(start+len(header), len(data))])
		}
		if r.Offset() != int64(len(header)) || taken(src) != int64(start+len(header)) {
			return fmt.Errorf("message %d at %d: header of %d bytes, Offset %d, %d bytes taken from the source", i, start, len(header), r.Offset(), taken(src))
		}
		if !c.hasPayload(&m) {
			size = 0
		}
		if r.PayloadLeft() != int64(size) {
			return fmt.Errorf("message %d: PayloadLeft %d, size %d", i, r.PayloadLeft(), size)
		}
		payloadStart := start + len(header)
		end = payloadStart + int(size)

		got, err := consumePayload(r, int(plan&3), min(int(size)/2, len(buf)), buf[:])
		read := len(got)
		if payloadStart+read > len(data) || !bytes.Equal(got, data[payloadStart:payloadStart+read]) {
			return fmt.Errorf("message %d: read %d payload bytes that are not the stream's", i, read)
		}
		if err != nil {
			if err := checkPayloadError(data, start, read, payloadStart, err); err != nil {
				return fmt.Errorf("message %d: %w", i, err)
			}
		} else if mode := plan & 3; (mode == readAllPayload || mode == copyPayload) && read != int(size) {
			return fmt.Errorf("message %d: payload of %d bytes ended after %d", i, size, read)
		}
		if r.Offset() != int64(len(header)+read) || taken(src) != int64(payloadStart+read) {
			return fmt.Errorf("message %d: after %d payload bytes Offset %d, %d bytes taken from the source", i, read, r.Offset(), taken(src))
		}
	}
	return fmt.Errorf("more messages than the %d bytes of the stream can hold", len(data))
}

// checkPayloadError checks the error of a payload that the stream ended in.
func checkPayloadError(data []byte, start, read, payloadStart int, err error) error {
	var de *wire.Error
	if !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF) || de.Field != wire.FieldPayload ||
		de.Offset != int64(len(data)-start) || payloadStart+read != len(data) {
		return fmt.Errorf("payload error %v after %d bytes of a payload at %d, message at %d, stream of %d", err, read, payloadStart, start, len(data))
	}
	return nil
}

// checkStreamEnd checks the error that ended a stream: either the previous message's payload
// ran past the data (the Reader fails on discarding it), or the next message at end fails as a
// whole-message decoder would on the rest of the data.
func checkStreamEnd[M any](c codec[M], data []byte, start, end int, taken int64, r *wire.Reader, err error) error {
	if end > len(data) {
		if perr := checkPayloadError(data, start, 0, len(data), err); perr != nil {
			return fmt.Errorf("discarding a payload cut short: %w", perr)
		}
		return nil
	}
	rest := data[end:]
	n := int(r.Offset())
	if err == io.EOF {
		n = 0
	}
	if err := checkDecodeError(rest, decoded{message: c.message, n: n, err: err}); err != nil {
		return fmt.Errorf("message at %d: %w", end, err)
	}
	if taken != int64(end+n) {
		return fmt.Errorf("message at %d failed after %d bytes, but %d bytes were taken from the source", end, n, taken-int64(end))
	}
	return nil
}
