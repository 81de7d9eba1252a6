package content

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
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
	c := Drawn(1000, 9)
	data := readAll(t, c)
	for _, chunk := range []int{1, 3, 7, 8, 9, 31, 32, 33, 64, 100, 1000} {
		for _, at := range []int{0, 5, 7, 8, 13, 16, 26, 31, 32, 39, 500, 967, 992, 999} {
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
func BenchmarkDrawn(b *testing.B) {
	const size = 64 << 20
	c := Drawn(size, 1)
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
			for i := 0; i < size; i += len(buf) {
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
	c := Drawn(size, 4)
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
	small := Drawn(100, 5)
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
