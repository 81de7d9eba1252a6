package wire

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseListing(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		line int // of the error, 0 if none
	}{
		{"", nil, 0},
		{"a\n", []string{"a"}, 0},
		{"a\nb", []string{"a", "b"}, 0},
		{"a\r\nb\r\n", []string{"a", "b"}, 0},
		{"a\nb\r\nc", []string{"a", "b", "c"}, 0},
		{"a b\tc\n", []string{"a b\tc"}, 0},
		{"\n", nil, 1},
		{"a\n\nb\n", nil, 2},
		{"a\n\r\n", nil, 2},
		{"a\n\n", nil, 2},
	} {
		got, err := ParseListing([]byte(tc.in))
		var le *ListingError
		switch {
		case tc.line == 0 && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		case tc.line > 0 && (!errors.As(err, &le) || le.Line != tc.line || !errors.Is(err, ErrListing) || !strings.Contains(err.Error(), "empty line")):
			t.Errorf("%q: %v, want an empty line at line %d", tc.in, err, tc.line)
		}
	}
}

func TestListingScannerBoundsALine(t *testing.T) {
	long := strings.Repeat("x", 300)
	s := NewListingScanner(strings.NewReader("ok\n"+long+"\nnever\n"), 255)
	var names []string
	for s.Scan() {
		names = append(names, string(s.Name()))
	}
	var le *ListingError
	if !slices.Equal(names, []string{"ok"}) || !errors.As(s.Err(), &le) || le.Line != 2 || le.Offset != 3 {
		t.Fatalf("names %q, err %v", names, s.Err())
	}
	// A name of exactly the limit, with "\r\n", fits.
	s = NewListingScanner(strings.NewReader(long[:255]+"\r\n"), 255)
	if !s.Scan() || len(s.Name()) != 255 || s.Scan() || s.Err() != nil {
		t.Fatalf("a 255-byte name: %v", s.Err())
	}
}

func TestListingScannerReadsOneByteAtATime(t *testing.T) {
	s := NewListingScanner(iotest.OneByteReader(strings.NewReader("alpha\r\nbeta\ngamma")), 0)
	var names []string
	for s.Scan() {
		names = append(names, string(s.Name()))
	}
	if s.Err() != nil || !slices.Equal(names, []string{"alpha", "beta", "gamma"}) {
		t.Fatalf("%q, %v", names, s.Err())
	}
}

func TestListingScannerPassesReadErrors(t *testing.T) {
	boom := errors.New("boom")
	s := NewListingScanner(iotest.ErrReader(boom), 0)
	if s.Scan() || !errors.Is(s.Err(), boom) {
		t.Fatalf("err %v, want boom", s.Err())
	}
}
