package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, c Content) []byte {
	t.Helper()
	b, err := io.ReadAll(c.Reader())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDrawnIsReproducibleAndSeedDependent(t *testing.T) {
	c := Drawn(10007, 42)
	a, b := readAll(t, c), readAll(t, c)
	if int64(len(a)) != c.Len() || !bytes.Equal(a, b) {
		t.Fatalf("two reads of one content differ or have the wrong length (%d)", len(a))
	}
	other := readAll(t, Drawn(c.N, 43))
	same := 0
	for i := 0; i+8 <= len(a); i += 8 {
		if bytes.Equal(a[i:i+8], other[i:i+8]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("seeds 42 and 43 share %d words", same)
	}
	if c.Sum() != sha256.Sum256(a) {
		t.Error("Sum is not the SHA-256 of the bytes")
	}
	if !bytes.Equal(c.Prefix(16), a[:16]) || len(Drawn(3, 1).Prefix(16)) != 3 {
		t.Error("Prefix")
	}
}

// The first bytes of seed 1 are pinned: replay files name contents by seed, so the stream
// must not change under them.
func TestDrawnStreamIsPinned(t *testing.T) {
	got := Drawn(12, 1).Prefix(12)
	want := []byte{0xc1, 0x5c, 0x02, 0x89, 0xec, 0x2d, 0x0a, 0x91, 0x67, 0xec, 0x8e, 0x65}
	if !bytes.Equal(got, want) {
		t.Fatalf("seed 1 starts % x, want % x", got, want)
	}
}

func TestReadInOddChunksGivesTheSameBytes(t *testing.T) {
	c := Drawn(1000, 9)
	whole := readAll(t, c)
	r := c.Reader()
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf[:1+len(got)%7])
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
	}
	if !bytes.Equal(got, whole) {
		t.Fatal("chunked reads differ from one read")
	}
	if err := iotest.TestReader(c.Reader(), whole); err != nil {
		t.Fatal(err)
	}
}

func TestCheckerFindsFirstDifference(t *testing.T) {
	c := Drawn(100000, 3)
	data := readAll(t, c)
	data[77777] ^= 1
	k := NewChecker(c)
	k.Write(data[:50000])
	k.Write(data[50000:])
	if k.Mismatch() != 77777 {
		t.Fatalf("mismatch at %d, want 77777", k.Mismatch())
	}
	data[77777] ^= 1
	k = NewChecker(c)
	k.Write(data)
	if k.Mismatch() != -1 {
		t.Fatalf("equal content: mismatch at %d", k.Mismatch())
	}
	k = NewChecker(c)
	k.Write(append(data, 'x'))
	if k.Mismatch() != int64(len(data)) {
		t.Fatalf("one byte too many: mismatch at %d, want %d", k.Mismatch(), len(data))
	}
	k = NewChecker(Bytes([]byte("abc")))
	k.Write([]byte("ab"))
	if k.Mismatch() != -1 {
		t.Fatal("a short stream is a length problem, not a mismatch")
	}
}

func TestBytesOfNilIsEmptyNotDrawn(t *testing.T) {
	c := Bytes(nil)
	if c.Len() != 0 || len(readAll(t, c)) != 0 {
		t.Fatal("Bytes(nil) is not empty")
	}
}

func TestCheckerResetComparesTheNewContent(t *testing.T) {
	first, second := Drawn(100, 1), Drawn(50, 2)
	c := NewChecker(first)
	_, _ = c.Write(readAll(t, second))
	if c.Mismatch() != 0 {
		t.Fatalf("another content's bytes: mismatch at %d, want 0", c.Mismatch())
	}
	c.Reset(second)
	_, _ = c.Write(readAll(t, second))
	if c.Mismatch() != -1 {
		t.Fatalf("after Reset, the content's own bytes mismatch at %d", c.Mismatch())
	}
	c.Reset(second)
	b := readAll(t, second)
	b[49] ^= 1
	_, _ = c.Write(b)
	if c.Mismatch() != 49 {
		t.Fatalf("after Reset, a flipped last byte: mismatch at %d, want 49", c.Mismatch())
	}
}

// Whatever the chunks a stream comes in, the checker finds the first differing byte exactly,
// at a word's start, inside one, in its last byte, in each word of a block of four, and a
// stream longer than the content.
func TestCheckerFindsEveryDifferenceInAnyChunking(t *testing.T) {
	t.Run("Drawn", func(t *testing.T) {
		checkEveryDifference(t, Drawn(1000, 9), []int{0, 5, 7, 8, 13, 16, 26, 31, 32, 39, 500, 967, 992, 999})
	})
	// Tiled: in a block's index and just past it, at each block's edges, in the last byte.
	t.Run("Tiled", func(t *testing.T) {
		checkEveryDifference(t, Tiled(2*TileLen+1000, 9), []int{0, 3, 7, 8, 9, 500,
			TileLen - 1, TileLen, TileLen + 7, TileLen + 8, 2*TileLen - 1, 2 * TileLen, 2*TileLen + 999})
	})
}

func checkEveryDifference(t *testing.T, c Content, ats []int) {
	data := readAll(t, c)
	for _, chunk := range []int{1, 3, 7, 8, 9, 31, 32, 33, 64, 100, 1000, TileLen + 1} {
		if chunk == 1 && c.Len() > 10000 {
			continue // a byte a write over 100 KiB adds time, not cases
		}
		for _, at := range ats {
			bad := bytes.Clone(data)
			bad[at] ^= 0x40
			k := NewChecker(c)
			for i := 0; i < len(bad); i += chunk {
				k.Write(bad[i:min(i+chunk, len(bad))])
			}
			if k.Mismatch() != int64(at) {
				t.Errorf("chunks of %d, byte %d changed: mismatch at %d", chunk, at, k.Mismatch())
			}
		}
		k := NewChecker(c)
		long := append(bytes.Clone(data), 0)
		for i := 0; i < len(long); i += chunk {
			k.Write(long[i:min(i+chunk, len(long))])
		}
		if k.Mismatch() != int64(len(data)) {
			t.Errorf("chunks of %d, a byte too many: mismatch at %d", chunk, k.Mismatch())
		}
	}
}

// What a load tester does with every byte: draw what it sends, check what it receives.
func BenchmarkDrawn(b *testing.B) { benchmarkContent(b, Drawn(64<<20, 1)) }

// The same for Tiled content: the check is a memory comparison.
func BenchmarkTiled(b *testing.B) { benchmarkContent(b, Tiled(64<<20, 1)) }

func benchmarkContent(b *testing.B, c Content) {
	size := c.Len()
	data := make([]byte, size)
	io.ReadFull(c.Reader(), data)
	buf := make([]byte, 32<<10)
	b.Run("draw", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			r := c.Reader()
			for {
				if _, err := r.Read(buf); err == io.EOF {
					break
				}
			}
		}
	})
	b.Run("check", func(b *testing.B) {
		k := NewChecker(c)
		b.SetBytes(size)
		for b.Loop() {
			k.Reset(c)
			for i := 0; i < len(data); i += len(buf) {
				k.Write(data[i : i+len(buf)])
			}
			if k.Mismatch() >= 0 {
				b.Fatal("mismatch")
			}
		}
	})
}

// ReadFrom finds what Write finds, in a stream of one read and in streams of several (compared
// on a second goroutine), and ends with the stream's own error.
func TestCheckerReadFromFindsEveryDifference(t *testing.T) {
	const size = 3*readLen + 100
	t.Run("Drawn", func(t *testing.T) { checkReadFrom(t, Drawn(size, 4), Drawn(100, 5)) })
	t.Run("Tiled", func(t *testing.T) { checkReadFrom(t, Tiled(size, 4), Tiled(100, 5)) })
}

func checkReadFrom(t *testing.T, c, small Content) {
	size := int(c.Len())
	data := readAll(t, c)
	k := NewChecker(c)
	for _, at := range []int{-1, 0, 9, readLen - 1, readLen, readLen + 17, 3 * readLen, size - 1, size} {
		bad := bytes.Clone(data)
		if at == size {
			bad = append(bad, 0) // a byte too many
		} else if at >= 0 {
			bad[at] ^= 0x10
		}
		for _, r := range []io.Reader{bytes.NewReader(bad), iotest.HalfReader(bytes.NewReader(bad))} {
			k.Reset(c)
			n, err := k.ReadFrom(r)
			if n != int64(len(bad)) || err != nil {
				t.Fatalf("byte %d changed: read %d bytes, %v; want %d, nil", at, n, err, len(bad))
			}
			if k.Mismatch() != int64(at) {
				t.Errorf("byte %d changed: mismatch at %d", at, k.Mismatch())
			}
		}
	}
	k.Reset(small)
	if n, err := k.ReadFrom(bytes.NewReader(readAll(t, small))); n != 100 || err != nil || k.Mismatch() != -1 {
		t.Errorf("a stream of one read: %d bytes, %v, mismatch at %d", n, err, k.Mismatch())
	}
	for _, fail := range []error{errors.New("reset by peer"), io.ErrUnexpectedEOF} {
		for _, cut := range []int{5, 2*readLen + 5} {
			k.Reset(c)
			r := io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(fail))
			if n, err := k.ReadFrom(r); n != int64(cut) || err != fail || k.Mismatch() != -1 {
				t.Errorf("a stream cut by %v after %d bytes: %d bytes, %v, mismatch at %d", fail, cut, n, err, k.Mismatch())
			}
		}
	}
}

// Tiled content is Drawn's first TileLen bytes, repeated, each block starting with its index;
// another seed differs in every word but the indexes.
func TestTiledIsABlockOfDrawnStampedWithItsIndex(t *testing.T) {
	const size = 3*TileLen + 1000
	c := Tiled(size, 42)
	got := readAll(t, c)
	block := readAll(t, Drawn(TileLen, 42))
	var want []byte
	for k := uint64(0); len(want) < size; k++ {
		b := bytes.Clone(block)
		binary.LittleEndian.PutUint64(b, k)
		want = append(want, b...)
	}
	if !bytes.Equal(got, want[:size]) {
		t.Fatal("Tiled is not Drawn's block stamped with each block's index")
	}
	if err := iotest.TestReader(c.Reader(), got); err != nil {
		t.Fatal(err)
	}
	other := readAll(t, Tiled(size, 43))
	for i := 0; i+8 <= size; i += 8 {
		if i%TileLen != 0 && bytes.Equal(got[i:i+8], other[i:i+8]) {
			t.Errorf("seeds 42 and 43 share the word at %d", i)
		}
	}
	if c.Sum() != sha256.Sum256(got) || !bytes.Equal(c.Prefix(16), got[:16]) {
		t.Error("Sum or Prefix")
	}
	if b := readAll(t, Tiled(5, 42)); !bytes.Equal(b, make([]byte, 5)) {
		t.Errorf("5 bytes of Tiled are % x, want the first block's index, 0", b)
	}
}

// A block moved, repeated or dropped fails at its index; a payload short of the content is no
// mismatch (its length says so), one longer fails at the content's end.
func TestCheckerFindsTiledBlocksOutOfPlace(t *testing.T) {
	const size = 4 * TileLen
	c := Tiled(size, 7)
	data := readAll(t, c)
	blk := func(k int) []byte { return data[k*TileLen : (k+1)*TileLen] }
	cases := []struct {
		name string
		got  []byte
		at   int64
	}{
		{"blocks 1 and 2 swapped", slices.Concat(blk(0), blk(2), blk(1), blk(3)), TileLen},
		{"block 1 repeated", slices.Concat(blk(0), blk(1), blk(1), blk(3)), 2 * TileLen},
		{"block 1 dropped", slices.Concat(blk(0), blk(2), blk(3)), TileLen},
		{"the last block's index shifted by 8 bytes", slices.Concat(data[:3*TileLen], make([]byte, 8), blk(3)[:TileLen-8]), 3 * TileLen},
		{"short by a byte", data[:size-1], -1},
		{"long by a byte", append(bytes.Clone(data), 0), size},
		{"empty", nil, -1},
	}
	k := NewChecker(c)
	for _, tc := range cases {
		k.Reset(c)
		_, _ = k.Write(tc.got)
		if k.Mismatch() != tc.at {
			t.Errorf("%s: mismatch at %d, want %d", tc.name, k.Mismatch(), tc.at)
		}
	}
}

// A Checker keeps its block across Resets: one of another seed, or longer, is drawn afresh.
func TestCheckerResetDrawsTheTiledBlockOfTheNewContent(t *testing.T) {
	small, big, other := Tiled(100, 1), Tiled(2*TileLen, 1), Tiled(2*TileLen, 2)
	k := NewChecker(small)
	for _, step := range []struct {
		want, sent Content
		at         int64
	}{
		{small, small, -1}, {big, big, -1}, {small, small, -1}, {big, other, 8},
		{other, other, -1}, {big, big, -1}, {small, Drawn(100, 1), 0},
	} {
		k.Reset(step.want)
		_, _ = k.Write(readAll(t, step.sent))
		if k.Mismatch() != step.at {
			t.Errorf("%v of seed %d checked against %v of seed %d: mismatch at %d, want %d",
				step.sent, step.sent.Seed, step.want, step.want.Seed, k.Mismatch(), step.at)
		}
	}
}
