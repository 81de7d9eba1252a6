package servertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
)

// Test runs every case against the server at addr as a subtest named by the case's ID, so a
// Go server's own tests can check it: MUST and SHOULD failures fail the subtest, INFO
// observations are logged.
func Test(t *testing.T, addr string) {
	t.Helper()
	TestConfig(t, Config{Addr: addr})
}

// TestConfig is Test with a configuration: selection, dialect, timeouts, storage folder.
func TestConfig(t *testing.T, cfg Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cases := Select(&cfg)
	if len(cases) == 0 {
		t.Fatal(ErrNoCases)
	}
	r, err := newRunner(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	var rep0 report.Report
	r.diagnose(ctx, &rep0)
	if rep0.DialectNote != "" {
		t.Log(rep0.DialectNote)
	}
	t.Run("diagnosis", func(t *testing.T) {
		for _, f := range r.diag.Findings {
			msg := fmt.Sprintf("[%s] %s %s: %s (%s)", f.ID, f.Level, f.Requirement, f.Summary, f.Detail)
			if f.Workaround != "" {
				msg += "; worked around: " + f.Workaround
			}
			if f.Level == report.Info {
				t.Log(msg)
			} else {
				t.Error(msg)
			}
		}
	})
	if f := r.diag.Fatal(); f != nil {
		t.Fatalf("no case can run: [%s] %s", f.ID, f.Summary)
	}
	rep := report.Report{Target: r.target(), Dialect: r.dialect.Name, Strict: true}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			res := r.runOne(ctx, c).res
			rep.Results = []report.Result{res}
			details := rep.Details(&res)
			switch {
			case res.Status == report.VerdictFail && (res.Level != report.Info || res.Crash != ""):
				t.Error(details)
			case res.Status == report.VerdictSkip || res.Status == report.VerdictNotRun || res.Status == report.VerdictKnownFailure,
				res.Status == report.VerdictBlocked:
				t.Skip(res.Reason)
			case details != "":
				t.Log(details)
			}
		})
	}
}
