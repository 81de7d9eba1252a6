package fuzz

import (
	"bytes"

	gofuzz "github.com/google/gofuzz"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
	"github.com/fbpkit/fbp/vectors/schema"
)

// A codec gathers what the property tests do with one kind of message, so that requests and
// responses go through the same properties.
type codec[M any] struct {
	message    string // "request" or "response", as wire.Error says
	encode     func(*M) []byte
	parse      func([]byte, wire.Limits) (M, int, error)
	equal      func(a, b *M) bool
	layout     func(*M) []run
	hasPayload func(*M) bool // whether the op or status carries a payload
	payload    func(*M) []byte
	strip      func(M) M // the message with its payload removed
	write      func(*wire.Writer, *M) error
	decode     func([]byte, wire.Limits) decoded
	name       func(*M) []byte
	unknown    error                               // the error of an op or status the spec does not define
	samples    func() []M                          // valid messages of every op or status
	broken     func() [][]byte                     // messages a decoder must refuse
	golden     func(*vectors.Set) []*schema.Vector // the golden vectors of its kind
	raw        func(*gofuzz.Fuzzer) rawMessage     // an arbitrary raw message, honest or lying
	// stream returns a function that decodes the next header from r into a value it reuses and
	// returns it as a message without payload, with the size it states and its re-encoding.
	stream func(r *wire.Reader) func() (M, uint32, []byte, error)
}

var requests = codec[wire.Request]{
	message:    "request",
	encode:     func(m *wire.Request) []byte { return m.Append(nil) },
	parse:      wire.ParseRequest,
	equal:      func(a, b *wire.Request) bool { return a.Equal(b) },
	layout:     requestLayout,
	hasPayload: func(m *wire.Request) bool { f, _ := m.Op.Fields(); return f.Has(wire.HasPayload) },
	payload:    func(m *wire.Request) []byte { return m.Payload },
	strip:      func(m wire.Request) wire.Request { m.Payload = nil; return m },
	write: func(w *wire.Writer, m *wire.Request) error {
		h := m.Header()
		return w.WriteRequest(&h, bytes.NewReader(m.Payload))
	},
	decode:  decodeRequest,
	name:    func(m *wire.Request) []byte { return m.Name },
	unknown: wire.ErrUnknownOp,
	samples: sampleRequests,
	golden:  (*vectors.Set).Requests,
	broken:  brokenRequests,
	raw: func(f *gofuzz.Fuzzer) rawMessage {
		var r wire.RawRequest
		f.Fuzz(&r)
		carries, known := wire.Op(r.Op).Fields()
		return rawMessage{r, r.Append(nil), uint16(r.Op), known, known && r.Fields == carries && honestLengths(r.NameLen, r.Name, r.Size, r.Payload), len(r.Name), len(r.Trailer)}
	},
	stream: func(r *wire.Reader) func() (wire.Request, uint32, []byte, error) {
		var h wire.RequestHeader
		return func() (wire.Request, uint32, []byte, error) {
			err := r.ReadRequestHeader(&h)
			return wire.Request{UserID: h.UserID, Version: h.Version, Op: h.Op, Name: h.Name}, h.Size, h.Append(nil), err
		}
	},
}

var responses = codec[wire.Response]{
	message:    "response",
	encode:     func(m *wire.Response) []byte { return m.Append(nil) },
	parse:      wire.ParseResponse,
	equal:      func(a, b *wire.Response) bool { return a.Equal(b) },
	layout:     responseLayout,
	hasPayload: func(m *wire.Response) bool { f, _ := m.Status.Fields(); return f.Has(wire.HasPayload) },
	payload:    func(m *wire.Response) []byte { return m.Payload },
	strip:      func(m wire.Response) wire.Response { m.Payload = nil; return m },
	write: func(w *wire.Writer, m *wire.Response) error {
		h := m.Header()
		return w.WriteResponse(&h, bytes.NewReader(m.Payload))
	},
	decode:  decodeResponse,
	name:    func(m *wire.Response) []byte { return m.Name },
	unknown: wire.ErrUnknownStatus,
	samples: sampleResponses,
	golden:  (*vectors.Set).Responses,
	broken:  brokenResponses,
	raw: func(f *gofuzz.Fuzzer) rawMessage {
		var r wire.RawResponse
		f.Fuzz(&r)
		carries, known := wire.Status(r.Status).Fields()
		return rawMessage{r, r.Append(nil), r.Status, known, known && r.Fields == carries && honestLengths(r.NameLen, r.Name, r.Size, r.Payload), len(r.Name), len(r.Trailer)}
	},
	stream: func(r *wire.Reader) func() (wire.Response, uint32, []byte, error) {
		var h wire.ResponseHeader
		return func() (wire.Response, uint32, []byte, error) {
			err := r.ReadResponseHeader(&h)
			return wire.Response{Version: h.Version, Status: h.Status, Name: h.Name}, h.Size, h.Append(nil), err
		}
	},
}

// taken is how many bytes a Reader took from src, to show that it never reads past the
// message it decodes.
func taken(src *bytes.Reader) int64 { return src.Size() - int64(src.Len()) }
