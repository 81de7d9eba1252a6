package words

import "testing"

func TestCount(t *testing.T) {
	for _, c := range []struct {
		n          int
		thing, out string
	}{
		{1, "case", "1 case"}, {0, "case", "0 cases"}, {2, "case", "2 cases"},
		{1, "baseline entry", "1 baseline entry"}, {3, "baseline entry", "3 baseline entries"},
		{2, "unexpected pass", "2 unexpected passes"}, {2, "known failure", "2 known failures"},
		{4, "key", "4 keys"}, {2, "match", "2 matches"}, {5, "box", "5 boxes"},
	} {
		if got := Count(c.n, c.thing); got != c.out {
			t.Errorf("Count(%d, %q) = %q, want %q", c.n, c.thing, got, c.out)
		}
	}
}

func TestA(t *testing.T) {
	for n, want := range map[int]string{2: "a 2", 4: "a 4", 8: "an 8", 11: "an 11", 18: "an 18", 80: "an 80", 100: "a 100", 1024: "a 1024", 800: "an 800"} {
		if got := A(n); got != want {
			t.Errorf("A(%d) = %q, want %q", n, got, want)
		}
	}
}
