package casebook

import (
	"regexp"
	"testing"
)

type testCase struct {
	id   string
	reqs []string
}

func (c testCase) CaseID() string         { return c.id }
func (c testCase) Requirements() []string { return c.reqs }

func TestSelectMatchesIDOrRequirement(t *testing.T) {
	c := testCase{"restore/missing-1001", []string{"R-4.2", "R-3.1"}}
	for _, tc := range []struct {
		run, skip string
		want      bool
	}{
		{"", "", true},
		{"restore/", "", true},
		{"R-4.2", "", true},
		{`^R-3\.1$`, "", true},
		{"R-4.3", "", false},
		{"backup/", "", false},
		{"", "R-3.1", false},
		{"restore/", "missing", false},
		{"R-4", "R-5", true},
	} {
		var run, skip *regexp.Regexp
		if tc.run != "" {
			run = regexp.MustCompile(tc.run)
		}
		if tc.skip != "" {
			skip = regexp.MustCompile(tc.skip)
		}
		if got := len(Select([]testCase{c}, run, skip)) == 1; got != tc.want {
			t.Errorf("-run %q -skip %q: %v, want %v", tc.run, tc.skip, got, tc.want)
		}
	}
}

func TestBuildRefusesTwoCasesWithOneID(t *testing.T) {
	a, b := testCase{id: "backup/x"}, testCase{id: "backup/y"}
	if _, err := Build([]testCase{a, b}, []testCase{b}); err == nil {
		t.Error("two cases with the ID backup/y were taken")
	}
	if all, err := Build([]testCase{a}, []testCase{b}); err != nil || len(all) != 2 {
		t.Errorf("Build = %v, %v", all, err)
	}
	if got, ok := ByID(all(a, b), "backup/y"); !ok || got.id != b.id {
		t.Errorf("ByID = %v, %v", got, ok)
	}
	if _, ok := ByID(all(a, b), "backup/z"); ok {
		t.Error("ByID found a case that is not there")
	}
}

func all(cs ...testCase) []testCase { return cs }
