package servertest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/report"
)

// On seed 003's own server, modelled on its write-up, the whole catalog runs: its problems are
// its faults, one each, by ID, and nothing else; the cases no fault concerns read every answer
// through its wire format and pass, under the dialect found (auto) and the one given (seed003).
func TestRealSeed003(t *testing.T) {
	want := slices.Collect(maps.Values(multiFaultProblems(t, "real-seed-003")))
	slices.Sort(want)
	for _, dialect := range []string{"auto", "seed003"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			addr, stop, err := mutants.StartWithOptions("real-seed-003", zooOptions(mutants.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			cfg := zooConfig(addr)
			cfg.Dialect, cfg.Verbose = dialect, true
			rep := mustRun(t, cfg)
			checkMultiFaultReport(t, rep, multiFault{mutant: "real-seed-003"}, want)
			if rep.Dialect != "seed003" {
				t.Errorf("dialect %q (%s)", rep.Dialect, rep.DialectNote)
			}
			var got []string
			concerned := map[string]string{}
			for _, p := range rep.Problems {
				got = append(got, p.ID)
				for _, id := range append(slices.Clone(p.Cases), p.Blocked...) {
					concerned[id] = p.ID
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("problems %q, want exactly %q", got, want)
			}
			if rep.OK() {
				t.Error("the run passes")
			}
			// No answer misread: a MUST case no fault concerns passes (or, wanting a flag,
			// skips), and most MUST cases are such.
			must, passed := 0, 0
			for _, r := range rep.Results {
				if r.Level != report.Must {
					continue
				}
				must++
				switch {
				case r.Status == report.VerdictPass:
					passed++
				case r.Status == report.VerdictSkip:
				case concerned[r.ID] == "":
					t.Errorf("%s: %s (%s), which no injected fault concerns", r.ID, r.Status, r.Reason)
				}
			}
			if passed*4 < must*3 {
				t.Errorf("%d of %d MUST cases pass, want three in four at least", passed, must)
			}
			// The layout is one problem: no exchange of any case reads a name with the size in
			// it, or bytes after a response.
			for _, r := range rep.Results {
				for _, ex := range r.Exchanges {
					if strings.Contains(ex.Outcome, `\x00\x00`) || strings.Contains(ex.Outcome, "bytes more") {
						t.Errorf("%s: %s: %s", r.ID, ex.Label, ex.Outcome)
					}
				}
			}
		})
	}
}
