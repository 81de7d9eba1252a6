package servertest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// fakeRunner is a runner with no server: enough to judge and assemble recorded findings.
func fakeRunner() *runner {
	return &runner{diag: &diagnosis.Diagnosis{}, dialect: spec.Canonical}
}

// recorded runs judge on a case of its own for each finding and returns the outcomes.
func recorded(r *runner, findings map[string]func(t *caseRun)) ([]*Case, []caseOutcome) {
	var cases []*Case
	var outs []caseOutcome
	ids := make([]string, 0, len(findings))
	for id := range findings {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := caseByID(id)
		t := &caseRun{run: r, c: c, dialect: r.dialect}
		t.runFunc(findings[id])
		cases = append(cases, c)
		outs = append(outs, t.outcome())
	}
	return cases, outs
}

func problemIDs(ps []report.Problem) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	slices.Sort(ids)
	return ids
}

// A baseline lists problem IDs: written against one run, it still names the problems of a run
// whose messages say other words, other sizes and other names.
func TestProblemIDsSurviveWording(t *testing.T) {
	run := func(size int, name, words string) report.Report {
		r := fakeRunner()
		cases, outs := recorded(r, map[string]func(t *caseRun){
			"transport/concurrent-overwrite": func(t *caseRun) {
				t.judge(spec.R5_5, versionsMixed, nil, words+" of "+name, fmt.Sprintf("a mix of %d bytes", size), false)
			},
			"list/after-backups": func(t *caseRun) {
				t.judge(spec.R4_4, diagnosis.KeyStatus(spec.Canonical.CodesOf(spec.NoFiles), 211), nil, "1002 for "+name, words, false)
				t.judge(spec.R4_4, string(spec.R4_4)+"|"+checkListingFormat, nil, "exactly "+name, words, false)
			},
			"restore/missing-1001": func(t *caseRun) {
				t.judge(spec.R4_2, diagnosis.KeyStatus(spec.Canonical.CodesOf(spec.NotFound), 1003), nil, "1001 with name "+name, words, false)
			},
		})
		var rep report.Report
		rep.Results, rep.Problems = r.assemble(cases, outs)
		return rep
	}
	first := run(262144, `"a.bin"`, "one whole version, all A or all B")
	baseline := problemIDs(first.Problems)
	want := []string{"concurrent-uploads-mix", "listing-format", "missing-file-status", "status-want-1002-got-211"}
	if !slices.Equal(baseline, want) {
		t.Fatalf("problems %q, want %q", baseline, want)
	}
	second := run(65536, `"other.txt"`, "either version whole, never a mix")
	for _, id := range baseline {
		if second.Problem(id) == nil {
			t.Errorf("baseline entry %s names no problem once the words changed: problems %q", id, problemIDs(second.Problems))
		}
	}
	if got := problemIDs(second.Problems); !slices.Equal(got, baseline) {
		t.Errorf("problems %q after the words changed, want %q", got, baseline)
	}
}

// Problems are faults: what follows from a fault is attached to it, not a problem of its own.
func TestConsequencesJoinTheirFault(t *testing.T) {
	t.Run("escaped name", func(t *testing.T) {
		r := fakeRunner()
		cases, outs := recorded(r, map[string]func(t *caseRun){
			"security/traversal-cross-user-write": func(t *caseRun) {
				t.judge(spec.R5_1, diagnosis.KeyStatus(spec.Canonical.CodesOf(spec.ServerError), 212), nil, "1003", "212", false)
				t.judge(spec.R5_1, string(spec.R5_1)+"|escaped", nil, "no file outside root", "root/x appeared", false)
			},
			"security/backup-name-dotdot": func(t *caseRun) {
				t.judge(spec.R5_1, diagnosis.KeyStatus(spec.Canonical.CodesOf(spec.ServerError), 212), nil, "1003", "212", false)
			},
		})
		_, ps := r.assemble(cases, outs)
		if ids := problemIDs(ps); !slices.Equal(ids, []string{"unsafe-names-accepted"}) {
			t.Fatalf("problems %q, want unsafe-names-accepted alone", ids)
		}
		p := ps[0]
		if len(p.Cases) != 2 || len(p.Consequences) != 1 || p.Fix == "" {
			t.Errorf("unsafe-names-accepted: cases %q, consequences %q, fix %q", p.Cases, p.Consequences, p.Fix)
		}
	})
	t.Run("requests met by a dead server", func(t *testing.T) {
		r := fakeRunner()
		cases, outs := recorded(r, map[string]func(t *caseRun){
			"security/unknown-op": func(t *caseRun) {},
			"backup/new": func(t *caseRun) {
				t.judge(spec.R1_3, diagnosis.KeyNoAnswer(wire.OpBackup, "reset"), nil, "212", "reset", false)
				t.failNow()
			},
			"list/after-backups": func(t *caseRun) {
				t.judge(spec.R1_3, diagnosis.KeyNoAnswer(wire.OpList, "refused"), nil, "211", "refused", false)
				t.failNow()
			},
		})
		// security/unknown-op killed the server while backup/new ran beside it.
		crashed := indexOf(cases, "security/unknown-op")
		f := report.Failure{Requirement: string(spec.R5_3), Actual: "server stopped answering", Exchange: -1}
		outs[crashed].res.Crash, outs[crashed].res.Status = f.Actual, report.VerdictFail
		outs[crashed].keys, outs[crashed].failures = []string{r.crashKey(cases[crashed])}, []report.Failure{f}
		outs[crashed].firstOf = map[string]int{r.crashKey(cases[crashed]): 0}
		r.crashes = []report.Crash{{After: "security/unknown-op"}}
		r.pins = []crashPin{{after: "security/unknown-op", suspects: []string{"security/unknown-op", "backup/new"}}}
		results, ps := r.assemble(cases, outs)
		if ids := problemIDs(ps); !slices.Equal(ids, []string{"dies-on-unknown-op"}) {
			t.Fatalf("problems %q, want dies-on-unknown-op alone", ids)
		}
		for _, res := range results {
			if res.ID != "security/unknown-op" && (res.Status != report.VerdictBlocked || res.BlockedBy != "dies-on-unknown-op") {
				t.Errorf("%s: %s blocked by %q, want blocked by the crash", res.ID, res.Status, res.BlockedBy)
			}
		}
		if p := ps[0]; !slices.Equal(p.Cases, []string{"security/unknown-op"}) || len(p.Blocked) != 2 || len(p.Consequences) != 2 {
			t.Errorf("crash: cases %q, blocked %q, consequences %q", p.Cases, p.Blocked, p.Consequences)
		}
	})
}

// A case that counts a request left unanswered as its own rule broken (a client served while
// others stall) does not count one the run never sent: a LIST not sent because LIST went
// unanswered before is that problem's, and the server is not called serial for it.
func TestUnsentRequestIsNotTheCasesNoAnswer(t *testing.T) {
	listDown := diagnosis.KeyNoAnswer(wire.OpList, "timeout")
	for _, c := range []struct {
		name    string
		outcome ending
		want    string
	}{
		{"not sent", endBlocked, report.ProblemID(listDown)},
		{"sent and unanswered", endTimeout, "serves-one-at-a-time"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := fakeRunner()
			cases, outs := recorded(r, map[string]func(t *caseRun){
				"transport/stalled-client": func(t *caseRun) {
					t.noAnswerAs = problemAs{spec.R5_3, diagnosis.KeyStalledClients}
					rp := &reply{Outcome: c.outcome, blockedBy: listDown, blockedReq: spec.R2_1, Mismatch: -1, dialect: spec.Canonical, req: spec.Request{Op: wire.OpList}}
					t.owed(rp, spec.R5_3, spec.HoldingStored)
				},
			})
			_, ps := r.assemble(cases, outs)
			if ids := problemIDs(ps); !slices.Equal(ids, []string{c.want}) {
				t.Fatalf("problems %q, want %q", ids, c.want)
			}
		})
	}
}
