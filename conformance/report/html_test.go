package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWriteHTML(t *testing.T) {
	r := fixedReport()
	r.Name = "team <7>"
	r.Problems[0].Summary = `accepts "<script>alert(1)</script>"`
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<!DOCTYPE html>",
		`id="verdict" class="badge v-fail">fail<`,
		"team &lt;7&gt;",
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`id="` + ProblemAnchor(r.Problems[0].ID) + `"`,
		"00000000  a4 89 c0 e3 01 c8 0a 00  61 62 73 65 6e 74 2e 74  |........absent.t|",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("a summary reached the page unescaped")
	}
	for i := range r.Results {
		res := &r.Results[i]
		want := fmt.Sprintf(`id="%s" data-state="%s" data-level="%s" data-section="%s"`, CaseAnchor(res.ID), r.StateOf(res), res.Level, res.Section)
		if !strings.Contains(page, want) {
			t.Errorf("case %s: the page lacks %q", res.ID, want)
		}
	}
	// Self-contained: nothing to fetch.
	for _, ref := range []string{"http:", "https:", "src=", "<link", "@import", "url("} {
		if strings.Contains(page, ref) {
			t.Errorf("the page refers to something outside it: %q", ref)
		}
	}
}

// largeReport has n cases, every one failing, and evidence bytes of evidence in all.
func largeReport(n, evidence int) *Report {
	per := evidence / n
	r := &Report{Schema: Schema, Target: "127.0.0.1:1", Dialect: "canonical", Verdict: RunFail, Started: time.Unix(0, 0)}
	payload := bytes.Repeat([]byte("0123456789abcdef"), per/16+1)[:per]
	for i := range n {
		id := fmt.Sprintf("section%d/case-%d", i%8, i)
		ex := Exchange{Label: "BACKUP", Conn: 1, Sent: Clip{Head: payload, Total: int64(per)}, Received: Clip{Head: payload[:3], Total: 3}, Outcome: "status 1003"}
		r.Results = append(r.Results, Result{ID: id, Section: fmt.Sprintf("section%d", i%8), Level: Must, Reqs: []string{"R-4.1"}, Desc: "a case",
			Status: VerdictFail, Reason: "R-4.1: expected 212, got 1003", Problem: "p",
			Failures:  []Failure{{Requirement: "R-4.1", Sentence: "BACKUP stores the payload.", Expected: "212", Actual: "1003", Exchange: 0}},
			Exchanges: []Exchange{ex}})
	}
	r.Problems = []Problem{{ID: "p", Requirement: "R-4.1", Level: Must, Summary: "refuses backups", Cases: []string{r.Results[0].ID},
		Evidence: &Evidence{Case: r.Results[0].ID, Expected: "212", Actual: "1003", Exchange: &r.Results[0].Exchanges[0]}}}
	r.Summarize()
	return r
}

// BenchmarkWriteHTMLLarge writes a report of 1000 cases, every one failing, with 1 MiB of
// evidence bytes.
func BenchmarkWriteHTMLLarge(b *testing.B) {
	r := largeReport(1000, 1<<20)
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := r.WriteHTML(&out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.Len())/(1<<20), "MiB/page")
}
