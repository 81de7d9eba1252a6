package netfuzz

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
	"github.com/fbpkit/fbp/vectors"
)

// End is how an input's connection ends once its bytes are written.
type End string

const (
	// EndCloseWrite closes the write side and reads until the server closes: the peer is done.
	EndCloseWrite End = "close-write"
	// EndStall leaves the connection open while reading: the peer may still send.
	EndStall End = "stall"
	// EndAbort resets the connection right after the last write; nothing is read.
	EndAbort End = "abort"
)

func (e End) valid() bool { return e == EndCloseWrite || e == EndStall || e == EndAbort }

// Delivery says how an input's bytes go onto the connection.
type Delivery struct {
	// Splits are the offsets, increasing, where a new write starts; none means one write.
	Splits []int `json:"splits,omitempty"`
	// Pause is the wait before each write after the first.
	Pause time.Duration `json:"pause_ns,omitempty"`
	End   End           `json:"end"`
}

// clip drops the splits that fall outside an input of n bytes.
func (d Delivery) clip(n int) Delivery {
	out := Delivery{Pause: d.Pause, End: d.End}
	last := 0
	for _, s := range d.Splits {
		if s > last && s < n {
			out.Splits = append(out.Splits, s)
			last = s
		}
	}
	if len(out.Splits) == 0 {
		out.Pause = 0
	}
	return out
}

// chunks cuts b at the delivery's splits.
func (d Delivery) chunks(b []byte) [][]byte {
	var out [][]byte
	last := 0
	for _, s := range d.clip(len(b)).Splits {
		out = append(out, b[last:s])
		last = s
	}
	return append(out, b[last:])
}

func (d Delivery) String() string {
	if len(d.Splits) == 0 {
		return fmt.Sprintf("one write, %s", d.End)
	}
	return fmt.Sprintf("%d writes %v apart, %s", len(d.Splits)+1, d.Pause, d.End)
}

// Input is one fuzz input: bytes, how they are sent, and how they were made.
type Input struct {
	Bytes    []byte
	Delivery Delivery
	// Origin is the golden vector it started from; Mutations the mutations applied, in order.
	Origin    string
	Mutations []string
}

// Hash identifies an input's bytes and delivery.
func (in Input) Hash() [32]byte {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(in.Bytes)))
	h.Write(n[:])
	h.Write(in.Bytes)
	fmt.Fprintf(h, "%v|%d|%s", in.Delivery.Splits, in.Delivery.Pause, in.Delivery.End)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Limits on generated inputs.
const (
	// maxInputLen bounds an input's length, so that splicing cannot grow inputs without end.
	maxInputLen = 64 << 10
	// maxDrip is how many leading bytes a slow drip sends one by one; with the pause below it
	// bounds a drip to about 50 ms.
	maxDrip      = 16
	maxDripPause = 3 * time.Millisecond
	maxSplitWait = 5 * time.Millisecond
)

// seedInput is a starting point of the corpus.
type seedInput struct {
	id    string
	bytes []byte
}

// corpus returns the valid request vectors, the fuzzer's starting points.
func corpus() ([]seedInput, error) {
	set, err := vectors.Load()
	if err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	var out []seedInput
	for _, v := range set.Requests() {
		if v.Valid() && len(v.Bytes) > 0 {
			out = append(out, seedInput{id: v.ID, bytes: v.Bytes})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("load vectors: no valid request vector")
	}
	return out, nil
}

// generator makes the sequence of inputs. Only its PCG source decides, so that a seed gives the
// same inputs whatever the server answers.
type generator struct {
	rng   *rand.Rand
	seeds []seedInput
}

// pcgStream is the PCG's second seed word; the first is the fuzz seed.
const pcgStream = 0x66627066757a7a // "fbpfuzz"

func newGenerator(seed int64, seeds []seedInput) *generator {
	return &generator{rng: rand.New(rand.NewPCG(uint64(seed), pcgStream)), seeds: seeds}
}

type mutator struct {
	name string
	fn   func(g *generator, b []byte) ([]byte, string)
}

var mutators = []mutator{
	{"bit-flip", (*generator).bitFlip},
	{"byte-interesting", (*generator).byteInteresting},
	{"name-len-lie", (*generator).nameLenLie},
	{"size-lie", (*generator).sizeLie},
	{"op-swap", (*generator).opSwap},
	{"truncate-field", (*generator).truncateField},
	{"truncate-random", (*generator).truncateRandom},
	{"splice", (*generator).splice},
	{"huge-size", (*generator).hugeSize},
	{"version", (*generator).version},
}

// next returns the next input.
func (g *generator) next() Input {
	s := g.seeds[g.rng.IntN(len(g.seeds))]
	b := bytes.Clone(s.bytes)
	var muts []string
	// One input in ten keeps its bytes: a valid request, split or dripped, is fuzz too.
	if g.rng.IntN(10) > 0 {
		for n := 1 + g.rng.IntN(3); n > 0; n-- {
			m := mutators[g.rng.IntN(len(mutators))]
			var what string
			b, what = m.fn(g, b)
			muts = append(muts, what)
			if len(b) > maxInputLen {
				b = b[:maxInputLen]
			}
		}
	}
	return Input{Bytes: b, Delivery: g.delivery(len(b)), Origin: s.id, Mutations: muts}
}

func (g *generator) delivery(n int) Delivery {
	var d Delivery
	switch r := g.rng.IntN(10); {
	case r < 6 || n < 2:
	case r < 8:
		// Split writes: 2 to 4 writes at random offsets.
		for k := 1 + g.rng.IntN(3); k > 0; k-- {
			d.Splits = append(d.Splits, 1+g.rng.IntN(n-1))
		}
		slices.Sort(d.Splits)
		d.Splits = slices.Compact(d.Splits)
		d.Pause = time.Duration(1+g.rng.IntN(int(maxSplitWait/time.Millisecond))) * time.Millisecond
	default:
		// Slow drip: the first bytes one write each.
		for i := 1; i <= min(n-1, 2+g.rng.IntN(maxDrip-1)); i++ {
			d.Splits = append(d.Splits, i)
		}
		d.Pause = time.Duration(1+g.rng.IntN(int(maxDripPause/time.Millisecond))) * time.Millisecond
	}
	switch r := g.rng.IntN(20); {
	case r < 13:
		d.End = EndCloseWrite
	case r < 18:
		d.End = EndStall
	default:
		d.End = EndAbort
	}
	return d
}

// layout is where an input's fields sit, read from its own bytes as a server would.
type layout struct {
	op      wire.Op
	nameLen int // -1: no name_len field in the bytes
	size    int // offset of the size field; -1: none
}

func layoutOf(b []byte) layout {
	l := layout{nameLen: -1, size: -1}
	if len(b) < wire.RequestPrefixLen {
		return l
	}
	l.op = wire.Op(b[5])
	f, ok := l.op.Fields()
	if !ok || !f.Has(wire.HasName) || len(b) < 8 {
		return l
	}
	l.nameLen = 6
	n := int(binary.LittleEndian.Uint16(b[6:8]))
	if f.Has(wire.HasPayload) && len(b) >= 8+n+4 {
		l.size = 8 + n
	}
	return l
}

var interesting = []byte{0, 1, 0x7f, 0x80, 0xff}

func (g *generator) bitFlip(b []byte) ([]byte, string) {
	if len(b) == 0 {
		return b, "bit-flip(empty)"
	}
	i, bit := g.rng.IntN(len(b)), g.rng.IntN(8)
	b[i] ^= 1 << bit
	return b, fmt.Sprintf("bit-flip(%d.%d)", i, bit)
}

func (g *generator) byteInteresting(b []byte) ([]byte, string) {
	if len(b) == 0 {
		return b, "byte-interesting(empty)"
	}
	i, v := g.rng.IntN(len(b)), interesting[g.rng.IntN(len(interesting))]
	b[i] = v
	return b, fmt.Sprintf("byte-interesting(%d=%#x)", i, v)
}

func (g *generator) nameLenLie(b []byte) ([]byte, string) {
	l := layoutOf(b)
	if l.nameLen < 0 {
		return g.bitFlip(b)
	}
	n := int(binary.LittleEndian.Uint16(b[6:8]))
	choices := []int{n - 1, n + 1, 0, 255, 256, wire.MaxNameField}
	v := uint16(choices[g.rng.IntN(len(choices))])
	binary.LittleEndian.PutUint16(b[6:8], v)
	return b, fmt.Sprintf("name-len-lie(%d->%d)", n, v)
}

func (g *generator) sizeLie(b []byte) ([]byte, string) {
	l := layoutOf(b)
	if l.size < 0 {
		return g.byteInteresting(b)
	}
	n := binary.LittleEndian.Uint32(b[l.size:])
	choices := []uint32{n - 1, n + 1, 0, 1 << 31, wire.DefaultMaxPayload}
	v := choices[g.rng.IntN(len(choices))]
	binary.LittleEndian.PutUint32(b[l.size:], v)
	return b, fmt.Sprintf("size-lie(%d->%d)", n, v)
}

func (g *generator) opSwap(b []byte) ([]byte, string) {
	if len(b) < wire.RequestPrefixLen {
		return g.bitFlip(b)
	}
	ops := []byte{100, 200, 201, 202, 0, 1, 99, 101, 199, 203, 255, byte(g.rng.IntN(256))}
	v := ops[g.rng.IntN(len(ops))]
	old := b[5]
	b[5] = v
	return b, fmt.Sprintf("op-swap(%d->%d)", old, v)
}

func (g *generator) truncateField(b []byte) ([]byte, string) {
	l := layoutOf(b)
	cuts := []int{0, 1, 4, 5, 6}
	if l.nameLen >= 0 {
		n := int(binary.LittleEndian.Uint16(b[6:8]))
		cuts = append(cuts, 7, 8, 8+n/2, 8+n)
	}
	if l.size >= 0 {
		cuts = append(cuts, l.size+2, l.size+4, l.size+5)
	}
	cut := cuts[g.rng.IntN(len(cuts))]
	if cut >= len(b) {
		cut = len(b) - 1
	}
	if cut < 0 {
		return b, "truncate-field(empty)"
	}
	return b[:cut], fmt.Sprintf("truncate-field(%d)", cut)
}

func (g *generator) truncateRandom(b []byte) ([]byte, string) {
	if len(b) == 0 {
		return b, "truncate-random(empty)"
	}
	cut := g.rng.IntN(len(b))
	return b[:cut], fmt.Sprintf("truncate-random(%d)", cut)
}

// splice joins b with another seed: concatenated (two requests on one connection) or a head of
// one with a tail of the other.
func (g *generator) splice(b []byte) ([]byte, string) {
	o := g.seeds[g.rng.IntN(len(g.seeds))]
	if g.rng.IntN(2) == 0 {
		return append(b, o.bytes...), "splice(append " + o.id + ")"
	}
	i, j := g.rng.IntN(len(b)+1), g.rng.IntN(len(o.bytes)+1)
	return append(b[:i:i], o.bytes[j:]...), fmt.Sprintf("splice(%d|%s@%d)", i, o.id, j)
}

// hugeSize makes a BACKUP header stating 4 GiB−1 bytes with a few behind it.
func (g *generator) hugeSize(b []byte) ([]byte, string) {
	l := layoutOf(b)
	if l.size < 0 || l.op != wire.OpBackup {
		user := uint32(g.rng.Uint32())
		req := wire.RawRequest{UserID: user, Version: wire.Version, Op: uint8(wire.OpBackup),
			Fields: wire.HasName | wire.HasPayload, Name: []byte("huge"), Size: new(uint32(wire.DefaultMaxPayload))}
		b = req.Append(nil)
		l = layoutOf(b)
	}
	binary.LittleEndian.PutUint32(b[l.size:], wire.DefaultMaxPayload)
	keep := l.size + 4 + g.rng.IntN(9)
	for len(b) < keep {
		b = append(b, byte(g.rng.IntN(256)))
	}
	return b[:keep], fmt.Sprintf("huge-size(%d behind)", keep-l.size-4)
}

func (g *generator) version(b []byte) ([]byte, string) {
	if len(b) < 5 {
		return g.bitFlip(b)
	}
	v := []byte{0, 2, 0x7f, 0xff}[g.rng.IntN(4)]
	b[4] = v
	return b, fmt.Sprintf("version(%d)", v)
}
