package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/golden"
	"github.com/fbpkit/fbp/ref/wire"
)

// fixedFindings are three findings of two problems, one with its bytes, as a tester that hunts
// for faults reports them.
func fixedFindings() []Finding {
	missing := spec.JudgeHeld(spec.Request{Op: wire.OpRestore, Name: []byte("absent.txt")}, wire.StatusServerError, spec.HoldingMissing)
	req := []byte{0xa4, 0x89, 0xc0, 0xe3, 0x01, 0xc8, 0x0a, 0x00, 'a', 'b', 's', 'e', 'n', 't', '.', 't', 'x', 't'}
	ex := &Exchange{Label: `RESTORE user 3821046180 "absent.txt"`, Conn: 1, Sent: clipOf(req), Received: clipOf([]byte{1, 0xeb, 3}),
		Outcome: "status 1003 (server-error)"}
	return []Finding{
		FindingOf(missing, nil, "server at 8 clients"),
		FindingOf(missing, ex, "server at 64 clients"),
		{Requirement: spec.R4_4, Check: "listing", Expected: `211 ["a"]`, Actual: `211 ["a" "b"]`, Detail: `listing with "b" extra`, Where: "step 3"},
	}
}

// findingsDoc is a tester's report as the subcommands write it: the head, then the findings.
type findingsDoc struct {
	Head
	Findings []Finding `json:"findings"`
}

func fixedHead(fs []Finding, stopped bool) *Head {
	h := &Head{Schema: "fbp-conform-example/1", Target: "127.0.0.1:9999", Duration: 2500 * time.Millisecond}
	h.Judge(fs, stopped)
	return h
}

func TestFindingsGroupIntoProblems(t *testing.T) {
	fs := fixedFindings()
	h := fixedHead(fs, false)
	if h.Verdict != RunFail || len(h.Problems) != 2 {
		t.Fatalf("verdict %q, %d problems, want fail and 2", h.Verdict, len(h.Problems))
	}
	p := h.Problems[0]
	if p.Requirement != "R-4.2" || p.Level != Must || len(p.Cases) != 2 || p.Evidence == nil || p.Evidence.Exchange == nil ||
		p.Evidence.Case != "server at 64 clients" || !strings.Contains(p.Evidence.Expected, "1001") {
		t.Fatalf("problem %+v: want R-4.2 seen twice, its evidence the finding with bytes", p)
	}
	if f := fs[2].Failure(-1); f.Requirement != "R-4.4" || f.Sentence == "" || f.Exchange != -1 {
		t.Fatalf("as a case's failure: %+v", f)
	}
	if pass := fixedHead(nil, false); pass.Verdict != RunPass || pass.Problems == nil {
		t.Fatalf("no finding: verdict %q, problems %v (want pass and an empty list, not null)", pass.Verdict, pass.Problems)
	}
	if stopped := fixedHead(nil, true); stopped.Verdict != RunIncomplete || !stopped.Interrupted {
		t.Fatalf("stopped, nothing found: verdict %q", stopped.Verdict)
	}
	if stopped := fixedHead(fs, true); stopped.Verdict != RunFail {
		t.Fatalf("stopped after a finding: verdict %q, want fail", stopped.Verdict)
	}
}

func TestFindingsGolden(t *testing.T) {
	fs := fixedFindings()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(findingsDoc{Head: *fixedHead(fs, false), Findings: fs}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "findings.json", b.Bytes())

	b.Reset()
	h := fixedHead(fs, false)
	if err := h.WriteProblems(&b); err != nil {
		t.Fatal(err)
	}
	b.WriteString(h.VerdictText() + "\n")
	golden.Check(t, "findings.txt", b.Bytes())

	b.Reset()
	if err := h.WriteJUnit(&b, "example", ""); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "findings.junit.xml", b.Bytes())

	b.Reset()
	if err := fixedHead(nil, true).WriteJUnit(&b, "example", ""); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "findings-incomplete.junit.xml", b.Bytes())

	b.Reset()
	pass := fixedHead(nil, false)
	if err := pass.WriteJUnit(&b, "example", ""); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "findings-pass.junit.xml", b.Bytes())
}
