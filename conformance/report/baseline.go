package report

// ApplyBaseline turns the verdict of a case a baseline lists as known to fail: its failure
// becomes a known failure, which does not fail the run, and its pass an unexpected pass, which
// says the entry can go.
func (res *Result) ApplyBaseline() {
	switch res.Status {
	case VerdictFail:
		res.Status = VerdictKnownFailure
	case VerdictPass:
		res.Status = VerdictUnexpectedPass
		res.Reason = "passes, though the baseline lists it as a known failure"
	}
}
