package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Content is a BACKUP's payload: Literal when it is not nil, otherwise Len bytes drawn from
// Seed. A drawn payload is regenerated on demand, so a large one costs no memory in a step, a
// model or a replay file.
type Content struct {
	Len     int
	Seed    uint64
	Literal []byte
}

// Size is the payload's length in bytes.
func (c Content) Size() int {
	if c.Literal != nil {
		return len(c.Literal)
	}
	return c.Len
}

// Reader streams the payload.
func (c Content) Reader() io.Reader {
	if c.Literal != nil {
		return bytes.NewReader(c.Literal)
	}
	return newDrawReader(c)
}

// Sum is the payload's SHA-256: what the model compares a restored file with.
func (c Content) Sum() [sha256.Size]byte {
	h := sha256.New()
	// A hash.Hash never fails to write.
	_, _ = io.Copy(h, c.Reader())
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Prefix returns the payload's first n bytes (fewer if it is shorter).
func (c Content) Prefix(n int) []byte {
	b := make([]byte, min(n, c.Size()))
	_, _ = io.ReadFull(c.Reader(), b)
	return b
}

func (c Content) String() string {
	if c.Size() == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", c.Size())
}

// drawReader yields a splitmix64 stream: cheap, reproducible, and two seeds give contents
// that differ in nearly every 8-byte word, so a mix of two versions never passes for either.
type drawReader struct {
	left  int
	state uint64
	word  [8]byte
	used  int // bytes of word already given out
}

func newDrawReader(c Content) *drawReader {
	return &drawReader{left: c.Len, state: c.Seed, used: len(drawReader{}.word)}
}

func (d *drawReader) Read(p []byte) (int, error) {
	if d.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && d.left > 0 {
		if d.used == len(d.word) {
			d.state += 0x9e3779b97f4a7c15
			z := d.state
			z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
			z = (z ^ z>>27) * 0x94d049bb133111eb
			binary.LittleEndian.PutUint64(d.word[:], z^z>>31)
			d.used = 0
		}
		k := copy(p[n:min(len(p), n+d.left)], d.word[d.used:])
		d.used += k
		n += k
		d.left -= k
	}
	return n, nil
}
