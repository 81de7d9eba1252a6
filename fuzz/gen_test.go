package fuzz

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"

	"github.com/fbpkit/fbp/ref/wire"
)

// A lengthBand is a range of lengths [min, max] drawn with a weight.
type lengthBand struct{ weight, min, max int }

var (
	// Filenames: the decoder takes any bytes, so names are arbitrary bytes, empty included, up to
	// the reference limit of 255.
	nameLengths = []lengthBand{{1, 0, 0}, {3, 1, 16}, {2, 17, 255}}
	// Payloads: empty, small, and a few KiB.
	payloadLengths = []lengthBand{{3, 0, 0}, {4, 1, 64}, {3, 65, 1024}, {2, 1025, 4096}}
	// A Writer sends a payload of up to 32 KiB in the same write as its header and a larger one
	// after it: payloads on both sides of that line.
	writerPayloadLengths = []lengthBand{{2, 0, 0}, {4, 1, 4096}, {1, 32<<10 - 2, 32<<10 + 2}, {1, 32<<10 + 3, 40 << 10}}
	// Stream payloads are kept short so that a stream of several messages stays cheap.
	streamPayloadLengths = []lengthBand{{2, 0, 0}, {4, 1, 64}, {1, 65, 600}}
	// Trailing bytes after a message.
	extraLengths = []lengthBand{{1, 1, 1}, {3, 2, 64}}
)

// genBytes generates byte slices of arbitrary content with lengths drawn from bands. A failing
// slice shrinks toward a shorter one and its bytes toward zero (shrinkBytes).
func genBytes(bands []lengthBand) gopter.Gen {
	total := 0
	for _, b := range bands {
		total += b.weight
	}
	return func(p *gopter.GenParameters) *gopter.GenResult {
		pick := p.Rng.Intn(total)
		band := bands[0]
		for _, b := range bands {
			if pick < b.weight {
				band = b
				break
			}
			pick -= b.weight
		}
		b := make([]byte, band.min+p.Rng.Intn(band.max-band.min+1))
		// Past 4 KiB the random block is repeated: filling byte by byte is slow under -race,
		// and no property depends on more randomness than that.
		p.Rng.Read(b[:min(len(b), 4<<10)])
		for i := 4 << 10; i < len(b); i += copy(b[i:], b[:i]) {
		}
		return gopter.NewGenResult(b, shrinkBytes)
	}
}

// shrinkBytes offers shorter slices first: the empty one, then prefixes ever closer to the
// whole, then the slice without its first byte. A slice of up to elementShrinkMax bytes is then
// shrunk byte by byte toward zero too (gopter's slice shrinker, which alone never offers the
// empty slice). A longer one is only cut: shrinking each of 40 KiB bytes would take a step per
// byte, each one copying the whole slice.
func shrinkBytes(v any) gopter.Shrink {
	b := v.([]byte)
	var cuts [][]byte
	if len(b) > 0 {
		cuts = append(cuts, []byte{})
	}
	for gap := len(b) / 2; gap > 0; gap /= 2 {
		cuts = append(cuts, slices.Clone(b[:len(b)-gap]))
	}
	if len(b) > 1 {
		cuts = append(cuts, slices.Clone(b[1:]))
	}
	cut := func() (any, bool) {
		if len(cuts) == 0 {
			return nil, false
		}
		c := cuts[0]
		cuts = cuts[1:]
		return c, true
	}
	if len(b) > elementShrinkMax {
		return cut
	}
	return gopter.ConcatShrinks(cut, gen.SliceShrinker(gen.UInt8Shrinker)(b))
}

const elementShrinkMax = 256

// genRequest generates valid requests with op op: any user id and version byte. Name and
// payload are generated whether or not the op carries them, so that Append is also seen to
// leave out what the op does not carry.
func genRequest(op wire.Op, payloads []lengthBand) gopter.Gen {
	return gen.Struct(reflect.TypeFor[wire.Request](), map[string]gopter.Gen{
		"UserID":  gen.UInt32(),
		"Version": gen.UInt8(),
		"Op":      gen.Const(op),
		"Name":    genBytes(nameLengths),
		"Payload": genBytes(payloads),
	})
}

// genResponse generates valid responses with status s, as genRequest does.
func genResponse(s wire.Status, payloads []lengthBand) gopter.Gen {
	return gen.Struct(reflect.TypeFor[wire.Response](), map[string]gopter.Gen{
		"Version": gen.UInt8(),
		"Status":  gen.Const(s),
		"Name":    genBytes(nameLengths),
		"Payload": genBytes(payloads),
	})
}

func genAnyRequest(payloads []lengthBand) gopter.Gen {
	gens := make([]gopter.Gen, len(wire.Ops))
	for i, op := range wire.Ops {
		gens[i] = genRequest(op, payloads)
	}
	return gen.OneGenOf(gens...)
}

func genAnyResponse(payloads []lengthBand) gopter.Gen {
	gens := make([]gopter.Gen, len(wire.Statuses))
	for i, s := range wire.Statuses {
		gens[i] = genResponse(s, payloads)
	}
	return gen.OneGenOf(gens...)
}

// How a stream test consumes a message's payload before it reads the next header.
const (
	skipPayload     = iota // leave it all to the Reader to discard
	readAllPayload         // Read it to io.EOF with a buffer larger than what is left
	copyPayload            // io.Copy it, which goes through the payload's WriteTo
	readSomePayload        // read part of it (ReadLen, capped to the payload)
	payloadModes
)

// shown wraps a generated message so that gopter prints it briefly. gopter formats every value
// it generates, passing or not, and a 40 KiB payload printed as decimal bytes costs more than
// all the checks, under -race most of all.
type shown[M any] struct{ M M }

func (s shown[M]) String() string { return describe(s.M) }

// genShown wraps the messages of g; a failing one still shrinks as g's do.
func genShown[M any](g gopter.Gen) gopter.Gen {
	return gen.Struct(reflect.TypeFor[shown[M]](), map[string]gopter.Gen{"M": g})
}

// describe prints a message with its name in full and the start of its payload.
func describe(m any) string {
	brief := func(b []byte) string {
		if len(b) <= 32 {
			return fmt.Sprintf("%d:%x", len(b), b)
		}
		return fmt.Sprintf("%d:%x…", len(b), b[:32])
	}
	switch m := m.(type) {
	case wire.Request:
		return fmt.Sprintf("{UserID:%d Version:%d Op:%v Name:%s Payload:%s}", m.UserID, m.Version, m.Op, brief(m.Name), brief(m.Payload))
	case wire.Response:
		return fmt.Sprintf("{Version:%d Status:%v Name:%s Payload:%s}", m.Version, m.Status, brief(m.Name), brief(m.Payload))
	}
	return fmt.Sprintf("%+v", m)
}

// A step is one message of a generated stream and how much of its payload is read.
type step[M any] struct {
	Msg     M
	Mode    int
	ReadLen int // for readSomePayload, capped to the payload's length
}

func (s step[M]) String() string {
	return fmt.Sprintf("{%s Mode:%d ReadLen:%d}", describe(s.Msg), s.Mode, s.ReadLen)
}

func genStep[M any](msgs gopter.Gen) gopter.Gen {
	return gen.Struct(reflect.TypeFor[step[M]](), map[string]gopter.Gen{
		"Msg":     msgs,
		"Mode":    gen.IntRange(0, payloadModes-1),
		"ReadLen": gen.IntRange(0, 600),
	})
}
