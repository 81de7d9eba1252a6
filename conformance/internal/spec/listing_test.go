package spec

import (
	"reflect"
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

// Names a listing shows and the user does not hold are told apart by where they come from:
// none of a request is the server's own, one sent only in unfinished uploads is a cut upload,
// any other (a deleted file, another user's) is the listing's own fault, as is a name missing.
func TestUnexpectedOrigins(t *testing.T) {
	sent := func(n string) bool { return n != "list.txt" && n != "a.part" }
	unfinished := func(n string) bool { return n == "uploading" }
	for _, tc := range []struct {
		held, listed []string
		want         []ListedOrigin
	}{
		{[]string{"a"}, []string{"list.txt", "a", "a.part"}, []ListedOrigin{{R4_4, CheckServerFileListed, []string{"list.txt", "a.part"}}}},
		{[]string{"a"}, []string{"a", "uploading"}, []ListedOrigin{{R5_3, CheckPartialUploadKept, []string{"uploading"}}}},
		{[]string{"a"}, []string{"a", "uploading", "list.txt"}, []ListedOrigin{{R4_4, CheckServerFileListed, []string{"list.txt"}},
			{R5_3, CheckPartialUploadKept, []string{"uploading"}}}},
		{[]string{"a"}, []string{"a", "deleted"}, nil},
		{[]string{"a"}, []string{"a", "list.txt", "deleted"}, nil},
		{[]string{"a", "b"}, []string{"a", "list.txt"}, nil},
		{[]string{"a"}, []string{"a", "a", "list.txt"}, nil},
		{[]string{"a"}, []string{"a"}, nil},
	} {
		got := UnexpectedOrigins(DiffListing(tc.held, tc.listed), sent, unfinished)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("held %q, listed %q: %v, want %v", tc.held, tc.listed, got, tc.want)
		}
	}
}
