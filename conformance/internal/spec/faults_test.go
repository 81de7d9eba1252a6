package spec

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/ref/wire"
)

func TestFaultCatalogIsWhole(t *testing.T) {
	ids := map[string]bool{}
	checks := map[string]string{}
	slug := regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	for _, f := range Faults() {
		if !slug.MatchString(f.ID) || ids[f.ID] {
			t.Errorf("fault ID %q: not a slug, or twice", f.ID)
		}
		ids[f.ID] = true
		if f.Summary == "" || f.Fix == "" {
			t.Errorf("%s: a summary and a fix hint are owed", f.ID)
		}
		if _, ok := Lookup(string(f.Req)); !ok {
			t.Errorf("%s: requirement %q is not SPEC's", f.ID, f.Req)
		}
		for _, c := range f.Checks {
			if other := checks[c]; other != "" {
				t.Errorf("check %s shows two faults: %s and %s", c, other, f.ID)
			}
			checks[c] = f.ID
		}
		if got, ok := FaultByID(f.ID); !ok || got.ID != f.ID {
			t.Errorf("FaultByID(%q) = %v, %v", f.ID, got.ID, ok)
		}
	}
}

func TestProblemIDs(t *testing.T) {
	for _, tc := range []struct {
		v    Violation
		want string
	}{
		{Violation{Req: R7_5, Check: CheckDiffers}, "reads-response-in-one-read"},
		{Violation{Req: R7_5, Check: CheckUnread}, "reads-response-in-one-read"},
		{Violation{Req: R7_12, Check: CheckDiffers}, "gives-up-on-slow-responses"},
		{Violation{Req: R7_10, Check: CheckClientCrash}, "crashes-on-error-status"},
		{Violation{Req: R7_11, Check: CheckClientCrash}, "client-crash"},
		{Violation{Req: R5_1, Check: CheckUnsafeNameServed}, "unsafe-names-accepted"},
		// No known fault: the requirement and the check, whatever the message says.
		{Violation{Req: R4_4, Check: "listing", Expected: "exactly 3 names", Actual: "2 names"}, "r-4-4-listing"},
		{Violation{Req: R7_10, Check: CheckUnread}, "r-7-10-unread"},
		{Violation{Check: "content|size"}, "content-size"},
	} {
		if got := ProblemID(&tc.v); got != tc.want {
			t.Errorf("ProblemID(%s|%s) = %q, want %q", tc.v.Req, tc.v.Check, got, tc.want)
		}
	}
}

// A whole request of a bad name left unanswered is R-5.1's one fault, whatever its op; an
// unanswered request of a plain name stays R-1.3's, and an unknown op's R-5.2's.
func TestBadNameUnansweredIsOneFault(t *testing.T) {
	for _, q := range []Request{Named(wire.OpBackup, nil), Named(wire.OpRestore, []byte("a\x00b")), Named(wire.OpDelete, []byte("a/b")),
		Named(wire.OpRestore, []byte(strings.Repeat("L", 256)))} {
		if q.Form != BadName {
			t.Fatalf("%v: form %d, want BadName", q, q.Form)
		}
		if got := ProblemID(JudgeUnanswered(q)); got != "bad-name-unanswered" {
			t.Errorf("%v unanswered: problem %q, want bad-name-unanswered", q, got)
		}
	}
	for _, tc := range []struct {
		q    Request
		want string
	}{
		{Named(wire.OpRestore, []byte("a.txt")), "r-1-3-no-answer"},
		{Named(wire.OpBackup, []byte("...")), "r-1-3-no-answer"},
		{Request{Op: 99, Form: UnknownOp}, "r-5-2-no-answer"},
	} {
		if got := ProblemID(JudgeUnanswered(tc.q)); got != tc.want {
			t.Errorf("%v unanswered: problem %q, want %q", tc.q, got, tc.want)
		}
	}
}

// A BACKUP refused where its payload under a plain name is stored is refused for its name: a
// name refuses, another op, or the plain name itself is no such refusal.
func TestValidNameRefused(t *testing.T) {
	plain := []byte("plain.txt")
	if got := ProblemID(JudgeNameRefused(Named(wire.OpBackup, []byte("...")), plain)); got != "valid-name-refused" {
		t.Errorf(`"..." refused: problem %q, want valid-name-refused`, got)
	}
	for _, q := range []Request{Named(wire.OpBackup, []byte("..")), Named(wire.OpBackup, []byte("a/b")), Named(wire.OpRestore, []byte("...")),
		Named(wire.OpBackup, plain), {Op: wire.OpBackup, Name: []byte("x"), Form: Oversize}} {
		if v := JudgeNameRefused(q, plain); v != nil {
			t.Errorf("%v: %v, want no violation", q, v)
		}
	}
}

func TestListingFormat(t *testing.T) {
	for _, tc := range []struct {
		want, got []string
		format    bool
	}{
		{[]string{"a.txt", "b.txt"}, []string{`"/srv/1/a.txt""/srv/1/b.txt"`}, true},
		{[]string{"a.txt", "b.txt"}, []string{"a.txt,b.txt"}, true},
		{[]string{"a.txt"}, []string{"1/a.txt"}, true},
		// Other names, or a name too many, are what the listing shows, not its format.
		{[]string{"a.txt", "b.txt"}, []string{"a.txt"}, false},
		{[]string{"a.txt"}, []string{"a.txt", ".a.txt.tmp"}, false},
		{[]string{"a.txt", "b.txt"}, []string{"a.txt", "c.txt"}, false},
	} {
		if got := ListingFormat(DiffListing(tc.want, tc.got)); got != tc.format {
			t.Errorf("ListingFormat(%q against %q) = %v, want %v", tc.got, tc.want, got, tc.format)
		}
	}
}

// A shorter version written over a longer one without truncation is told from other wrong
// contents; a cut upload over a file is judged by what is left of the old version.
func TestOverwriteFaults(t *testing.T) {
	prev, next := []byte("first version, long"), []byte("second")
	tail := append(slices.Clone(next), prev[len(next):]...)
	if got := ProblemID(JudgeOverwrite(prev, next, tail)); got != "overwrite-keeps-old-tail" {
		t.Errorf("old tail kept: problem %q", got)
	}
	for _, got := range [][]byte{prev, next, append(slices.Clone(prev), next...), append(slices.Clone(next), 'x')} {
		if v := JudgeOverwrite(prev, next, got); v != nil {
			t.Errorf("%q: %v, want none (the content checks' business)", got, v)
		}
	}
	if v := JudgeOldVersion(prev, true, prev); v != nil {
		t.Errorf("old version whole: %v", v)
	}
	for _, tc := range []struct {
		found bool
		got   []byte
	}{{false, nil}, {true, tail}, {true, next}, {true, nil}} {
		if got := ProblemID(JudgeOldVersion(prev, tc.found, tc.got)); got != "cut-upload-destroys-old-version" {
			t.Errorf("found %v, %q: problem %q", tc.found, tc.got, got)
		}
	}
}
