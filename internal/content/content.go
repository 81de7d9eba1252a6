// Package content makes the file contents the toolkit's testers send and check: literal bytes,
// or bytes drawn from a seed on the fly, so that a file of gigabytes costs no memory to send,
// to compare as it streams back, or to name in a replay file.
//
// It is the one generator of the module: the conformance catalog, the model tester, the load
// tester and the reference client's tests all draw from it, so a seed means the same bytes
// everywhere.
package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Content is a file's bytes: Literal when it is not nil, otherwise N bytes drawn from Seed,
// tiled when Tiled is set.
type Content struct {
	Literal []byte
	N       int64
	Seed    uint64
	Tiled   bool
}

// Bytes is content held in memory.
func Bytes(b []byte) Content {
	if b == nil {
		b = []byte{}
	}
	return Content{Literal: b}
}

// Drawn is n bytes that depend only on seed.
func Drawn(n int64, seed uint64) Content { return Content{N: n, Seed: seed} }

// Tiled is n bytes that depend only on seed, as exact to check as Drawn and almost free: a
// block of TileLen bytes drawn from seed, repeated, each block's first 8 bytes replaced by its
// index (little-endian). A check compares each block with memory, where Drawn's draws every
// word again; a block shifted, repeated or dropped fails on its index, a block of another seed
// on its drawn bytes.
func Tiled(n int64, seed uint64) Content { return Content{N: n, Seed: seed, Tiled: true} }

// Len is the content's length in bytes.
func (c Content) Len() int64 {
	if c.Literal != nil {
		return int64(len(c.Literal))
	}
	return c.N
}

// Reader yields the content from its start.
func (c Content) Reader() io.Reader {
	if c.Literal != nil {
		return bytes.NewReader(c.Literal)
	}
	if c.Tiled {
		t := &tileReader{}
		t.reset(c)
		return t
	}
	return &drawReader{left: c.N, state: c.Seed, used: wordLen}
}

// Sum is the content's SHA-256.
func (c Content) Sum() [sha256.Size]byte {
	h := sha256.New()
	// A hash.Hash never fails to write.
	_, _ = io.Copy(h, c.Reader())
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Prefix returns the content's first n bytes (fewer if it is shorter).
func (c Content) Prefix(n int) []byte {
	b := make([]byte, min(int64(n), c.Len()))
	_, _ = io.ReadFull(c.Reader(), b)
	return b
}

func (c Content) String() string {
	if c.Len() == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", c.Len())
}

const wordLen = 8

// drawReader yields a splitmix64 stream: cheap, reproducible, different at every offset (a
// shifted or reordered payload never compares equal), and two seeds give contents that differ
// in nearly every word, so a mix of two versions never passes for either.
type drawReader struct {
	left  int64
	state uint64
	word  [wordLen]byte
	used  int // bytes of word already given out
}

func (d *drawReader) Read(p []byte) (int, error) {
	if d.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n := 0
	for n < len(p) {
		if d.used == wordLen {
			// Whole words go straight into p: a load tester draws every byte it sends and
			// checks every byte it receives, and must not be slower than the server it measures.
			n += d.fillWords(p[n:])
			if n == len(p) {
				break
			}
			binary.LittleEndian.PutUint64(d.word[:], d.next())
			d.used = 0
		}
		k := copy(p[n:], d.word[d.used:])
		d.used += k
		n += k
	}
	d.left -= int64(n)
	return n, nil
}

// compare consumes the stream's next bytes, as many as b holds or the stream has left, and
// compares them with b: it returns how many it consumed and the index of the first that
// differs, -1 if none.
func (d *drawReader) compare(b []byte) (consumed, at int) {
	b = b[:min(int64(len(b)), d.left)]
	i := 0
	for i < len(b) {
		if d.used == wordLen {
			i += d.matchWords(b[i:])
			if len(b)-i >= wordLen {
				binary.LittleEndian.PutUint64(d.word[:], d.next())
				d.used = 0
				d.left -= int64(i)
				return i, i + FirstDiff(d.word[:], b[i:])
			}
			if i == len(b) {
				break
			}
			binary.LittleEndian.PutUint64(d.word[:], d.next())
			d.used = 0
		}
		k := min(wordLen-d.used, len(b)-i)
		if j := FirstDiff(d.word[d.used:d.used+k], b[i:i+k]); j >= 0 {
			d.left -= int64(i)
			return i, i + j
		}
		d.used += k
		i += k
	}
	d.left -= int64(i)
	return i, -1
}

// FirstDiff is the index of the first byte where a and b differ, within the shorter of the two;
// -1 if that much of them is the same.
func FirstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// gamma is splitmix64's step: word k of a stream is mix(seed + k×gamma), k from 1.
const gamma = 0x9e3779b97f4a7c15

// gamma2, gamma3 and gamma4 are 2, 3 and 4 steps, wrapped as the state's additions wrap.
const (
	gamma2 = 2 * gamma % (1 << 64)
	gamma3 = 3 * gamma % (1 << 64)
	gamma4 = 4 * gamma % (1 << 64)
)

// mix is splitmix64's output function.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// next draws the stream's next word.
func (d *drawReader) next() uint64 {
	d.state += gamma
	return mix(d.state)
}

// blockLen is how many bytes fillWords and matchWords handle per step of their main loop.
const blockLen = 4 * wordLen

// fillWords draws as many whole words as p holds into it and returns their length in bytes.
// Each word depends only on its index, so the state is kept in a register and four words are
// drawn per step, independent of one another: the multiplications overlap.
func (d *drawReader) fillWords(p []byte) int {
	s := d.state
	n := 0
	for ; len(p)-n >= blockLen; n += blockLen {
		w := p[n : n+blockLen : n+blockLen]
		binary.LittleEndian.PutUint64(w[0:], mix(s+gamma))
		binary.LittleEndian.PutUint64(w[8:], mix(s+gamma2))
		binary.LittleEndian.PutUint64(w[16:], mix(s+gamma3))
		binary.LittleEndian.PutUint64(w[24:], mix(s+gamma4))
		s += gamma4
	}
	for ; len(p)-n >= wordLen; n += wordLen {
		s += gamma
		binary.LittleEndian.PutUint64(p[n:], mix(s))
	}
	d.state = s
	return n
}

// matchWords compares b's whole words with the stream's next words, as fillWords draws them,
// and consumes those that match, up to the first that differs. It returns their length in
// bytes; the stream stands at the first word that differs, if any.
func (d *drawReader) matchWords(b []byte) int {
	s := d.state
	i := 0
	for ; len(b)-i >= blockLen; i += blockLen {
		w := b[i : i+blockLen : i+blockLen]
		diff := mix(s+gamma) ^ binary.LittleEndian.Uint64(w[0:])
		diff |= mix(s+gamma2) ^ binary.LittleEndian.Uint64(w[8:])
		diff |= mix(s+gamma3) ^ binary.LittleEndian.Uint64(w[16:])
		diff |= mix(s+gamma4) ^ binary.LittleEndian.Uint64(w[24:])
		if diff != 0 {
			break // the word-by-word loop finds which
		}
		s += gamma4
	}
	for ; len(b)-i >= wordLen; i += wordLen {
		if mix(s+gamma) != binary.LittleEndian.Uint64(b[i:]) {
			break
		}
		s += gamma
	}
	d.state = s
	return i
}

// TileLen is the length of Tiled content's block: large enough that a check is a few long
// memory comparisons, small enough to stay in a core's cache.
const TileLen = 64 << 10

// stampLen is the length of each block's index.
const stampLen = 8

// tileReader yields Tiled content. Its block holds the drawn bytes, its first stampLen bytes
// the index of the block being given out, written as each block starts.
type tileReader struct {
	block []byte
	buf   []byte // block's storage, at least stampLen long
	seed  uint64
	drawn int // bytes of buf drawn from seed, 0 when none are
	off   int64
	left  int64
}

// reset makes t yield c from its start. The block is drawn again only for another seed or a
// longer block: a Checker of one file restored again and again draws it once.
func (t *tileReader) reset(c Content) {
	m := int(min(c.N, TileLen))
	if t.drawn == 0 || t.seed != c.Seed || t.drawn < m {
		if cap(t.buf) < max(m, stampLen) {
			t.buf = make([]byte, max(m, stampLen))
		}
		t.buf = t.buf[:cap(t.buf)]
		d := drawReader{left: int64(m), state: c.Seed, used: wordLen}
		_, _ = io.ReadFull(&d, t.buf[:m])
		t.seed, t.drawn = c.Seed, m
	}
	t.block, t.off, t.left = t.buf[:m], 0, c.N
}

// at returns the rest of the current block from the stream's offset, its index written when
// the block starts.
func (t *tileReader) at() []byte {
	pos := int(t.off % TileLen)
	if pos == 0 {
		binary.LittleEndian.PutUint64(t.buf[:stampLen], uint64(t.off/TileLen))
	}
	return t.block[pos:min(int64(len(t.block)), int64(pos)+t.left)]
}

func (t *tileReader) Read(p []byte) (int, error) {
	if t.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && t.left > 0 {
		k := copy(p[n:], t.at())
		n += k
		t.skip(k)
	}
	return n, nil
}

// skip moves the stream on by k bytes.
func (t *tileReader) skip(k int) {
	t.off += int64(k)
	t.left -= int64(k)
}

// compare is drawReader.compare for Tiled content: bytes.Equal against the block, and the
// first difference found to the byte only once there is one.
func (t *tileReader) compare(b []byte) (consumed, at int) {
	b = b[:min(int64(len(b)), t.left)]
	i := 0
	for i < len(b) {
		w := t.at()
		k := min(len(w), len(b)-i)
		if !bytes.Equal(w[:k], b[i:i+k]) {
			j := FirstDiff(w[:k], b[i:i+k])
			t.skip(j)
			return i + j, i + j
		}
		i += k
		t.skip(k)
	}
	return i, -1
}

// comparer is a stream of content that compares bytes with its own as it passes.
type comparer interface {
	compare(b []byte) (consumed, at int)
}

// Checker compares a stream written to it with the content as it passes, keeping only where
// the first difference is: a restored file of any size is checked in constant memory.
type Checker struct {
	want     io.Reader
	off      int64 // bytes compared so far
	mismatch int64
	buf      []byte
	bufs     [2][]byte  // ReadFrom's, made at its first use
	tile     tileReader // kept across Resets, with its drawn block
}

// NewChecker returns a Checker of c.
func NewChecker(c Content) *Checker {
	k := &Checker{buf: make([]byte, 32<<10)}
	k.Reset(c)
	return k
}

// Reset makes the Checker compare a new stream with c, keeping its buffer: a load tester
// checks thousands of small files a second without a buffer for each.
func (c *Checker) Reset(cont Content) {
	c.off, c.mismatch = 0, -1
	if cont.Literal == nil && cont.Tiled {
		c.tile.reset(cont)
		c.want = &c.tile
		return
	}
	c.want = cont.Reader()
}

// Write compares b with the content's next bytes. It never fails: a difference is recorded.
func (c *Checker) Write(b []byte) (int, error) {
	n := len(b)
	if d, ok := c.want.(comparer); ok && c.mismatch < 0 {
		// Drawn content is compared a word at a time as it is drawn, Tiled content against
		// its block: neither is copied.
		k, at := d.compare(b)
		if at >= 0 {
			c.mismatch = c.off + int64(at)
		} else if k < len(b) {
			c.mismatch = c.off + int64(k) // more bytes than the content holds
		}
		c.off += int64(k)
		return n, nil
	}
	for len(b) > 0 && c.mismatch < 0 {
		k := min(len(b), len(c.buf))
		m, _ := io.ReadFull(c.want, c.buf[:k])
		if bytes.Equal(c.buf[:m], b[:m]) {
			c.off += int64(m)
			if m < k {
				c.mismatch = c.off // more bytes than the content holds
			}
			b = b[k:]
			continue
		}
		for i := range m {
			if c.buf[i] != b[i] {
				c.mismatch = c.off + int64(i)
				break
			}
		}
		if c.mismatch < 0 && m < k {
			c.mismatch = c.off + int64(m) // more bytes than the content holds
		}
		c.off += int64(m)
		b = b[k:]
	}
	return n, nil
}

// readLen is the size of each read of ReadFrom: large enough that a stream of gigabytes takes
// few reads and few hand-overs, small enough that the two buffers stay in a core's cache.
const readLen = 256 << 10

// ReadFrom reads r to its end and compares what it reads, as Write does. A stream of Drawn
// content longer than one read is compared on a second goroutine, a buffer behind the reads:
// on a machine where the peer sends with sendfile and the reader copies every byte, reading
// and checking each take a core, and the check costs the tester no time of its own. Tiled
// content is compared between the reads. It returns the bytes read and the error that ended
// the stream, nil at io.EOF.
func (c *Checker) ReadFrom(r io.Reader) (int64, error) {
	if c.bufs[0] == nil {
		c.bufs[0] = make([]byte, readLen)
	}
	var (
		total   int64
		pending chan []byte // buffers read, to be compared; nil while the first is read
		free    chan []byte // buffers compared, to be read into
		checked chan struct{}
	)
	buf := c.bufs[0]
	for {
		n, err := fill(r, buf)
		total += int64(n)
		end := err != nil
		switch {
		case pending == nil && (end || c.want == &c.tile):
			// The whole stream in one read, or Tiled content, whose check costs less than
			// handing a buffer to another goroutine and back: no goroutine for it.
			c.Write(buf[:n])
		case pending == nil:
			if c.bufs[1] == nil {
				c.bufs[1] = make([]byte, readLen)
			}
			pending, free, checked = make(chan []byte, 1), make(chan []byte, 2), make(chan struct{})
			free <- c.bufs[1]
			go func() {
				for b := range pending {
					c.Write(b)
					free <- b[:cap(b)]
				}
				close(checked)
			}()
			fallthrough
		default:
			pending <- buf[:n]
			if !end {
				buf = <-free
			}
		}
		if end {
			if pending != nil {
				close(pending)
				<-checked
			}
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
	}
}

// fill reads from r until buf is full or a read fails, and returns what it read and the error.
func fill(r io.Reader, buf []byte) (n int, err error) {
	for n < len(buf) && err == nil {
		var k int
		k, err = r.Read(buf[n:])
		n += k
	}
	return n, err
}

// Mismatch is the offset of the first byte written that differs from the content (or lies
// beyond its end), -1 if none. A stream cut short has no mismatch: its length says so.
func (c *Checker) Mismatch() int64 { return c.mismatch }
