package fuzz

import (
	"errors"
	"testing"
	"time"

	gofuzz "github.com/google/gofuzz"

	"github.com/fbpkit/fbp/ref/wire"
)

const rawCount = 1500

// rawFuzzer fills RawRequest and RawResponse values with arbitrary fields, and half the time
// makes their op or status one the spec defines, with the fields it carries, so that the
// decoders get past the prefix and meet lying lengths.
func rawFuzzer(seed int64) *gofuzz.Fuzzer {
	return gofuzz.NewWithSeed(seed).NilChance(0.3).NumElements(0, 300).Funcs(
		func(r *wire.RawRequest, c gofuzz.Continue) {
			c.FuzzNoCustom(r)
			if c.RandBool() {
				op := wire.Ops[c.Intn(len(wire.Ops))]
				r.Op = uint8(op)
				if c.RandBool() {
					r.Fields, _ = op.Fields()
				}
			}
		},
		func(r *wire.RawResponse, c gofuzz.Continue) {
			c.FuzzNoCustom(r)
			if c.RandBool() {
				s := wire.Statuses[c.Intn(len(wire.Statuses))]
				r.Status = uint16(s)
				if c.RandBool() {
					r.Fields, _ = s.Fields()
				}
			}
		},
	)
}

func rawSeed(t *testing.T) int64 {
	seed := *propSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -prop.seed)", seed)
	return seed
}

// Arbitrary raw requests, honest or lying, decode within the invariants of the fuzz targets;
// an honest one decodes whole, up to its trailer, and an unknown op is refused as such.
func TestRawRequestsDecodeSafely(t *testing.T) {
	f := rawFuzzer(rawSeed(t))
	for i := range rawCount {
		var raw wire.RawRequest
		f.Fuzz(&raw)
		data := raw.Append(nil)
		for _, lim := range []wire.Limits{hugeLimits, wire.DefaultLimits} {
			d := decodeRequest(data, lim)
			if err := checkDecoded(data, d); err != nil {
				t.Fatalf("raw request %d %+v, limits %+v: %v", i, raw, lim, err)
			}
			op := wire.Op(raw.Op)
			fields, known := op.Fields()
			honest := known && raw.Fields == fields && (raw.NameLen == nil || int(*raw.NameLen) == len(raw.Name)) &&
				(raw.Size == nil || int(*raw.Size) == len(raw.Payload)) && len(raw.Name) <= lim.MaxName
			switch {
			case !known && !errors.Is(d.err, wire.ErrUnknownOp):
				t.Fatalf("raw request %d with op %d: %v, want ErrUnknownOp", i, raw.Op, d.err)
			case honest && (d.err != nil || d.n != len(data)-len(raw.Trailer)):
				t.Fatalf("honest raw request %d %+v: n=%d err=%v, want n=%d", i, raw, d.n, d.err, len(data)-len(raw.Trailer))
			}
		}
	}
}

func TestRawResponsesDecodeSafely(t *testing.T) {
	f := rawFuzzer(rawSeed(t))
	for i := range rawCount {
		var raw wire.RawResponse
		f.Fuzz(&raw)
		data := raw.Append(nil)
		for _, lim := range []wire.Limits{hugeLimits, wire.DefaultLimits} {
			d := decodeResponse(data, lim)
			if err := checkDecoded(data, d); err != nil {
				t.Fatalf("raw response %d %+v, limits %+v: %v", i, raw, lim, err)
			}
			s := wire.Status(raw.Status)
			fields, known := s.Fields()
			honest := known && raw.Fields == fields && (raw.NameLen == nil || int(*raw.NameLen) == len(raw.Name)) &&
				(raw.Size == nil || int(*raw.Size) == len(raw.Payload)) && len(raw.Name) <= lim.MaxName
			switch {
			case !known && !errors.Is(d.err, wire.ErrUnknownStatus):
				t.Fatalf("raw response %d with status %d: %v, want ErrUnknownStatus", i, raw.Status, d.err)
			case honest && (d.err != nil || d.n != len(data)-len(raw.Trailer)):
				t.Fatalf("honest raw response %d %+v: n=%d err=%v, want n=%d", i, raw, d.n, d.err, len(data)-len(raw.Trailer))
			}
		}
	}
}
