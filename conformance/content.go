package conformance

import (
	"bytes"
	"encoding/binary"
	"io"
)

// Content is a file's bytes as a case means them: held in memory when small, generated on the
// fly from a seed when large, so that a payload of many MiB is sent and compared in constant
// memory.
type Content struct {
	small []byte
	n     int64
	seed  uint64
	gen   bool
}

// Bytes is content held in memory.
func Bytes(b []byte) Content { return Content{small: b, n: int64(len(b))} }

// Generated is n pseudo-random bytes that depend only on seed.
func Generated(n int64, seed uint64) Content { return Content{n: n, seed: seed, gen: true} }

// Len is the content's length.
func (c Content) Len() int64 { return c.n }

// Reader yields the content from its start.
func (c Content) Reader() io.Reader {
	if !c.gen {
		return bytes.NewReader(c.small)
	}
	return &genReader{left: c.n, state: c.seed | 1}
}

// genReader yields xorshift64 output: cheap, and different at every offset, so a shifted or
// reordered payload never compares equal.
type genReader struct {
	left  int64
	state uint64
	buf   [8]byte
	have  int
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n := 0
	// Bytes left over from the last word first, then whole words.
	for g.have > 0 && n < len(p) {
		p[n] = g.buf[8-g.have]
		g.have--
		n++
	}
	for n < len(p) {
		x := g.state
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		g.state = x
		binary.LittleEndian.PutUint64(g.buf[:], x)
		k := copy(p[n:], g.buf[:])
		g.have = 8 - k
		n += k
	}
	g.left -= int64(n)
	return n, nil
}

// comparer checks a stream against expected content as it passes, keeping only the offset of
// the first difference.
type comparer struct {
	want     io.Reader
	off      int64
	mismatch int64 // -1 while equal
	buf      []byte
}

func newComparer(c Content) *comparer {
	return &comparer{want: c.Reader(), mismatch: -1, buf: make([]byte, 32<<10)}
}

func (c *comparer) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 && c.mismatch < 0 {
		k := min(len(b), len(c.buf))
		m, _ := io.ReadFull(c.want, c.buf[:k])
		for i := range m {
			if c.buf[i] != b[i] {
				c.mismatch = c.off + int64(i)
				break
			}
		}
		if c.mismatch < 0 && m < k {
			c.mismatch = c.off + int64(m) // more bytes than expected
		}
		c.off += int64(m)
		b = b[k:]
	}
	return n, nil
}
