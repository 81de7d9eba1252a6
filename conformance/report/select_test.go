package report

import (
	"regexp"
	"testing"
)

func TestSelects(t *testing.T) {
	reqs := []string{"R-4.2", "R-3.1"}
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
		if got := Selects(run, skip, "restore/missing-1001", reqs); got != tc.want {
			t.Errorf("-run %q -skip %q: %v, want %v", tc.run, tc.skip, got, tc.want)
		}
	}
}
