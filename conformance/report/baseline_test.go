package report

import "testing"

func TestApplyBaseline(t *testing.T) {
	for from, to := range map[Verdict]Verdict{VerdictFail: VerdictKnownFailure, VerdictPass: VerdictUnexpectedPass, VerdictSkip: VerdictSkip} {
		res := Result{Status: from}
		res.ApplyBaseline()
		if res.Status != to {
			t.Errorf("%s: %s, want %s", from, res.Status, to)
		}
	}
}
