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
			if op, ok := known(c, wire.Ops, &r.Fields); ok {
				r.Op = uint8(op)
			}
		},
		func(r *wire.RawResponse, c gofuzz.Continue) {
			c.FuzzNoCustom(r)
			if s, ok := known(c, wire.Statuses, &r.Fields); ok {
				r.Status = uint16(s)
			}
		},
	)
}

// known returns, half the time, one of codes (ok), and then, half the time again, sets fields to
// the fields it carries.
func known[C interface{ Fields() (wire.Fields, bool) }](c gofuzz.Continue, codes []C, fields *wire.Fields) (C, bool) {
	if !c.RandBool() {
		var none C
		return none, false
	}
	code := codes[c.Intn(len(codes))]
	if c.RandBool() {
		*fields, _ = code.Fields()
	}
	return code, true
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
func TestRawRequestsDecodeSafely(t *testing.T) { rawDecodeSafely(t, requests) }

// TestRawResponsesDecodeSafely is TestRawRequestsDecodeSafely for responses.
func TestRawResponsesDecodeSafely(t *testing.T) { rawDecodeSafely(t, responses) }

// rawMessage is what the raw tests judge of a RawRequest or RawResponse.
type rawMessage struct {
	raw     any    // the RawRequest or RawResponse, to show
	data    []byte // its encoding
	code    uint16 // its op or status
	known   bool   // whether the spec defines its op or status
	honest  bool   // whether it has the fields its op or status carries, and lengths that tell the truth
	nameLen int
	trailer int
}

// honestLengths reports whether the stated name_len and size, where stated, are those of name
// and payload.
func honestLengths(nameLen *uint16, name []byte, size *uint32, payload []byte) bool {
	return (nameLen == nil || int(*nameLen) == len(name)) && (size == nil || int(*size) == len(payload))
}

func rawDecodeSafely[M any](t *testing.T, c codec[M]) {
	f := rawFuzzer(rawSeed(t))
	for i := range rawCount {
		raw := c.raw(f)
		data := raw.data
		for _, lim := range []wire.Limits{hugeLimits, wire.DefaultLimits} {
			d := c.decode(data, lim)
			if err := checkDecoded(data, d); err != nil {
				t.Fatalf("raw %s %d %+v, limits %+v: %v", c.message, i, raw.raw, lim, err)
			}
			honest := raw.honest && raw.nameLen <= lim.MaxName
			switch {
			case !raw.known && !errors.Is(d.err, c.unknown):
				t.Fatalf("raw %s %d with op or status %d: %v, want %q", c.message, i, raw.code, d.err, c.unknown)
			case honest && (d.err != nil || d.n != len(data)-raw.trailer):
				t.Fatalf("honest raw %s %d %+v: n=%d err=%v, want n=%d", c.message, i, raw.raw, d.n, d.err, len(data)-raw.trailer)
			}
		}
	}
}
