package fuzz

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"github.com/fbpkit/fbp/ref/wire"
)

var propSeed = flag.Int64("prop.seed", 0, "seed of the property tests; 0 picks one from the clock (a failure prints it)")

// propParams returns gopter parameters for count successful tests per property, with the seed
// of -prop.seed or a fresh one.
func propParams(count int) *gopter.TestParameters {
	seed := *propSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	p := gopter.DefaultTestParametersWithSeed(seed)
	p.MinSuccessfulTests = count
	return p
}

// check runs the properties and fails t, with the seed that reproduces the run, if any fails.
// gopter's report holds each failing property's shrunk counterexample and the original one.
func check(t *testing.T, props *gopter.Properties, params *gopter.TestParameters) {
	t.Helper()
	var report bytes.Buffer
	ok := props.Run(gopter.NewFormatedReporter(testing.Verbose(), 160, &report))
	if !ok {
		t.Errorf("property failed: rerun with -prop.seed=%d\n%s", params.Seed(), report.String())
	} else if testing.Verbose() {
		t.Log(report.String())
	}
}

// Iterations per property and per kind of message. Each message is checked in full, the
// prefix property decodes every prefix of it: together a few seconds under -race.
const (
	roundTripCount = 150
	prefixCount    = 40
	streamCount    = 300
)

func TestRequestProperties(t *testing.T) {
	for _, op := range wire.Ops {
		t.Run(op.String(), func(t *testing.T) {
			messageProperties(t, requests, func(b []lengthBand) gopter.Gen { return genRequest(op, b) })
		})
	}
}

func TestResponseProperties(t *testing.T) {
	for _, s := range wire.Statuses {
		t.Run(s.String(), func(t *testing.T) {
			messageProperties(t, responses, func(b []lengthBand) gopter.Gen { return genResponse(s, b) })
		})
	}
}

// messageProperties checks the properties of single messages of one op or status, drawn from
// the generator that gen makes for the payload lengths it is given.
func messageProperties[M any](t *testing.T, c codec[M], gen func([]lengthBand) gopter.Gen) {
	g := genShown[M](gen(payloadLengths))
	params := propParams(roundTripCount)
	props := gopter.NewProperties(params)
	props.Property("decode(encode(m)) equals m", prop.ForAll(func(s shown[M]) string {
		m := s.M
		b := c.encode(&m)
		got, n, err := c.parse(b, wire.DefaultLimits)
		if err != nil || n != len(b) || !c.equal(&got, &m) {
			return fmt.Sprintf("decoded %+v n=%d err=%v from %x", got, n, err, b)
		}
		return ""
	}, g))
	props.Property("encode(decode(b)) equals b", prop.ForAll(func(s shown[M]) string {
		m := s.M
		b := c.encode(&m)
		got, n, err := c.parse(b, wire.DefaultLimits)
		if err != nil {
			return err.Error()
		}
		if enc := c.encode(&got); !bytes.Equal(enc, b) || n != len(b) {
			return fmt.Sprintf("decoded from %x, re-encoded as %x, n=%d", b, enc, n)
		}
		return ""
	}, g))
	props.Property("extra bytes after m are left unread", prop.ForAll(func(s shown[M], extra []byte) string {
		m := s.M
		b := c.encode(&m)
		input := append(slices.Clip(b), extra...)
		got, n, err := c.parse(input, wire.DefaultLimits)
		if err != nil || n != len(b) || !c.equal(&got, &m) {
			return fmt.Sprintf("decoded %+v n=%d err=%v from %d bytes followed by %x", got, n, err, len(b), extra)
		}
		if d := c.payload(&got); len(d) > 0 && &d[0] != &input[n-len(d)] {
			return "payload does not alias the input"
		}
		// The streaming Reader reads exactly the message too, never ahead.
		src := bytes.NewReader(input)
		r := wire.NewReader(src, wire.DefaultLimits)
		next := c.stream(r)
		if _, _, _, err := next(); err != nil {
			return fmt.Sprintf("Reader: %v", err)
		}
		if _, err := io.Copy(io.Discard, r.Payload()); err != nil {
			return fmt.Sprintf("Reader payload: %v", err)
		}
		if taken(src) != int64(len(b)) || r.Offset() != int64(len(b)) {
			return fmt.Sprintf("Reader took %d bytes from its source, Offset %d, for a message of %d", taken(src), r.Offset(), len(b))
		}
		return ""
	}, g, genBytes(extraLengths)))
	props.Property("a Writer writes exactly Append's bytes", prop.ForAll(func(s shown[M]) string {
		m := s.M
		var out bytes.Buffer
		if err := c.write(wire.NewWriter(&out), &m); err != nil {
			return err.Error()
		}
		if want := c.encode(&m); !bytes.Equal(out.Bytes(), want) {
			return fmt.Sprintf("Writer wrote %x, Append gives %x", out.Bytes(), want)
		}
		return ""
	}, genShown[M](gen(writerPayloadLengths))))
	check(t, props, params)

	params = propParams(prefixCount)
	props = gopter.NewProperties(params)
	props.Property("every strict prefix is truncated", prop.ForAll(func(s shown[M]) string {
		return checkPrefixes(c, &s.M)
	}, g))
	check(t, props, params)
}

// checkPrefixes decodes every strict prefix of m's encoding: the empty one must give io.EOF,
// any other an *wire.Error wrapping io.ErrUnexpectedEOF at the prefix's length, in the field
// that the first missing byte belongs to. A panic fails the property (gopter recovers it).
func checkPrefixes[M any](c codec[M], m *M) string {
	b := c.encode(m)
	layout := c.layout(m)
	for k := range len(b) {
		if err := checkPrefix(c, b, layout, k, wire.DefaultLimits); err != nil {
			return err.Error()
		}
	}
	return ""
}

// checkPrefix decodes the first k bytes of b, a valid encoding laid out as layout.
func checkPrefix[M any](c codec[M], b []byte, layout []run, k int, lim wire.Limits) error {
	_, n, err := c.parse(b[:k:k], lim)
	if k == 0 {
		if err != io.EOF || n != 0 {
			return fmt.Errorf("empty prefix: n=%d err=%v, want io.EOF", n, err)
		}
		return nil
	}
	var de *wire.Error
	switch {
	case !errors.As(err, &de) || !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("prefix of %d bytes: err=%v, want a *wire.Error wrapping io.ErrUnexpectedEOF", k, err)
	case de.Offset != int64(k) || n != k:
		return fmt.Errorf("prefix of %d bytes: offset %d, n=%d", k, de.Offset, n)
	case de.Message != c.message || de.Field != fieldAt(layout, k):
		return fmt.Errorf("prefix of %d bytes: %s %s, want %s %s", k, de.Message, de.Field, c.message, fieldAt(layout, k))
	}
	return nil
}

// consumePayload consumes r's current payload as mode says, some being how much readSomePayload
// reads, and returns what it read. A Read loop is bounded: a payload reader that never ends
// fails it.
func consumePayload(r *wire.Reader, mode, some int, buf []byte) ([]byte, error) {
	switch mode {
	case readAllPayload:
		var got []byte
		for range r.PayloadLeft() + 2 {
			n, err := r.Payload().Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				return got, nil
			}
			if err != nil {
				return got, err
			}
		}
		return got, errors.New("payload reader does not end")
	case copyPayload:
		var got bytes.Buffer
		_, err := io.Copy(&got, r.Payload())
		return got.Bytes(), err
	case readSomePayload:
		n, err := io.ReadFull(r.Payload(), buf[:some])
		return buf[:n], err
	}
	return nil, nil
}

// Ways to hand a stream to a Reader: all at once, or in the short reads a network gives.
const (
	wholeSource = iota
	halfSource
	oneByteSource
	sourceKinds
)

func TestRequestStreamProperty(t *testing.T) {
	params := propParams(streamCount)
	params.MinSize, params.MaxSize = 1, 16 // messages per stream
	props := gopter.NewProperties(params)
	props.Property("a Reader yields each request in order, then io.EOF", prop.ForAll(
		func(steps []step[wire.Request], source int) string { return checkStream(requests, steps, source) },
		gen.SliceOf(genStep[wire.Request](genAnyRequest(streamPayloadLengths))), gen.IntRange(0, sourceKinds-1)))
	check(t, props, params)
}

func TestResponseStreamProperty(t *testing.T) {
	params := propParams(streamCount)
	params.MinSize, params.MaxSize = 1, 16
	props := gopter.NewProperties(params)
	props.Property("a Reader yields each response in order, then io.EOF", prop.ForAll(
		func(steps []step[wire.Response], source int) string { return checkStream(responses, steps, source) },
		gen.SliceOf(genStep[wire.Response](genAnyResponse(streamPayloadLengths))), gen.IntRange(0, sourceKinds-1)))
	check(t, props, params)
}

// checkStream writes the steps' messages on one stream, reads them back with one Reader, and
// consumes each payload as its step says: the headers must come in order, payload bytes must
// be the message's, the offsets must add up, and the stream must end in io.EOF.
func checkStream[M any](c codec[M], steps []step[M], source int) string {
	var stream []byte
	for i := range steps {
		stream = append(stream, c.encode(&steps[i].Msg)...)
	}
	var src io.Reader = bytes.NewReader(stream)
	switch source {
	case halfSource:
		src = iotest.HalfReader(src)
	case oneByteSource:
		src = iotest.OneByteReader(src)
	}
	r := wire.NewReader(src, wire.DefaultLimits)
	next := c.stream(r)
	buf := make([]byte, 700)
	start := 0 // of the current message in stream
	for i := range steps {
		s := &steps[i]
		got, size, header, err := next()
		if err != nil {
			return fmt.Sprintf("message %d: %v", i, err)
		}
		want := s.Msg
		var payload []byte
		if c.hasPayload(&want) {
			payload = c.payload(&want)
		}
		// A header holds no payload: it is compared with the message stripped of its payload.
		bare := c.strip(want)
		if !c.equal(&got, &bare) || int(size) != len(payload) {
			return fmt.Sprintf("message %d: header %+v size %d, want %+v with %d payload bytes", i, got, size, want, len(payload))
		}
		headerLen := len(c.encode(&want)) - len(payload)
		if !bytes.Equal(header, stream[start:start+headerLen]) {
			return fmt.Sprintf("message %d: header re-encodes as %x, the stream holds %x", i, header, stream[start:start+headerLen])
		}
		start += headerLen + len(payload)
		if r.Offset() != int64(headerLen) || r.PayloadLeft() != int64(len(payload)) {
			return fmt.Sprintf("message %d: after its header Offset %d PayloadLeft %d, want %d and %d", i, r.Offset(), r.PayloadLeft(), headerLen, len(payload))
		}
		taken, err := consumePayload(r, s.Mode, min(s.ReadLen, len(payload)), buf)
		if err != nil {
			return fmt.Sprintf("message %d: payload: %v", i, err)
		}
		read := len(taken)
		if !bytes.Equal(taken, payload[:min(read, len(payload))]) || (s.Mode != skipPayload && s.Mode != readSomePayload && read != len(payload)) {
			return fmt.Sprintf("message %d (mode %d): read %x, payload %x", i, s.Mode, taken, payload)
		}
		if r.Offset() != int64(headerLen+read) {
			return fmt.Sprintf("message %d: Offset %d after %d payload bytes, want %d", i, r.Offset(), read, headerLen+read)
		}
	}
	if _, _, _, err := next(); err != io.EOF {
		return fmt.Sprintf("after the last message: %v, want io.EOF", err)
	}
	return ""
}
