package spec

import (
	"strings"
	"testing"
)

func TestJudgeListingName(t *testing.T) {
	if v := JudgeListingName([]byte("Abcdefghijklmnopqrstuvwxyz012345")); v != nil {
		t.Errorf("a good name: %v", v)
	}
	for name, want := range map[string]string{
		"":                                 `"" of 0 bytes`,
		"abc":                              `"abc" of 3 bytes`,
		"Abcdefghijklmnopqrstuvwxyz01234-": `with '-' at byte 31`,
	} {
		v := JudgeListingName([]byte(name))
		if v == nil || v.Req != R4_4 || !strings.Contains(v.Actual, want) {
			t.Errorf("%q: %+v, want %q", name, v, want)
		}
	}
}

func TestDiffListing(t *testing.T) {
	d := DiffListing([]string{"a", "b", "c"}, []string{"a", "a", "c", "x", "x"})
	if d.String() != `missing ["b"], unexpected ["x"], repeated ["a"]` || d.Empty() {
		t.Errorf("%q", d)
	}
	if d := DiffListing([]string{"b", "a"}, []string{"a", "b"}); !d.Empty() || d.String() != "" {
		t.Errorf("same names in another order: %q", d)
	}
}

func TestParseListingHasOnePolicy(t *testing.T) {
	names, err := ParseListing([]byte("a\r\nb"))
	if err != nil || len(names) != 2 {
		t.Fatalf("%q %v", names, err)
	}
	if _, err := ParseListing([]byte("a\n\nb\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("an empty line: %v", err)
	}
}

func TestQuote(t *testing.T) {
	if got := Quote("a\x1b[2J\xff"); got != `"a\x1b[2J\xff"` {
		t.Errorf("escapes: %s", got)
	}
	long := strings.Repeat("n", 300)
	if got := Quote([]byte(long)); got != `"`+long[:72]+`"…(300 bytes)` {
		t.Errorf("long: %s", got)
	}
	names := strings.Fields("a b c d e f g h i j")
	if got := QuoteNames(names); got != `["a" "b" "c" "d" "e" "f" "g" "h" … 2 more]` {
		t.Errorf("list: %s", got)
	}
}
