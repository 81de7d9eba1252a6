package servertest

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
)

// multiFault is a server of the zoo that is wrong in several ways at once, as the real ones
// are; the problem each of its faults must be reported as is the zoo's (Mutant.Problems).
type multiFault struct {
	mutant string
	// security lists the problems that let a user at files not their own: each must fail a
	// case, not only block it.
	security []string
	// run, when set, is a selection that reaches every fault: the full run with default flags
	// cannot (its cases do not fit in the deadline), and must say so.
	run []string
}

// multiFaults are modelled on real servers a whole catalog was run against.
var multiFaults = []multiFault{
	// Every file's full path in quotes, no separator; death on any early close; names joined
	// unchecked.
	{mutant: "real-quoted-paths", security: []string{"unsafe-names-accepted"}},
	// real-seed-003 is held to the same by TestRealSeed003, which runs it under both dialects.
	// A header read with what came with it; 212 and 1001 cut after name_len; names joined
	// unchecked: a traversal answered by a cut 212 is still the unchecked name.
	{mutant: "real-one-read-cut", security: []string{"unsafe-names-accepted"}},
	// A second a request, one at a time: the catalog takes minutes, so the run with default
	// flags reaches the faults the diagnosis finds and says what it did not reach; the death
	// on an unknown op needs its case.
	{mutant: "real-slow-serial", run: []string{"security/unknown-op"}},
	// DELETE of a missing file answered 212, an empty listing name, a refused payload read as
	// requests.
	{mutant: "real-lax-statuses"},
	// One read of 8 bytes for every header, names opened unchecked, a listing file kept among
	// the user's, uploads written in place: each fault one problem, in words, whatever case
	// meets it (a bad name's close or reset, a listing file in every listing).
	{mutant: "real-eight-byte-header", security: []string{"bad-name-unanswered"}},
	// A length before each response, acknowledged before it reads on, its status big-endian:
	// two problems of framing, and none of what the cases meet because of them.
	{mutant: "real-framing"},
	// The same framing, one connection at a time: the framing is its problem, and the rest of
	// its faults are still found past it.
	{mutant: "real-framing-serial"},
}

// multiFaultConfig runs mutant as a process of its own with default flags: this test binary,
// serving it (TestMain), started again on a fresh port when it dies.
func multiFaultConfig(mutant string) Config {
	return Config{Exec: []string{"env", envServeMutant + "=" + mutant, envServeAddr + "=127.0.0.1:" + target.PortPlaceholder, os.Args[0], "-test.run=^$"}}
}

// On each multi-fault server, with default flags, the problems are its faults by ID and nothing
// else; a security fault fails a case; the run ends within its deadline or says what it did
// not reach and the -deadline that reaches it; and the first screen of the text report names
// every problem with its summary.
func TestMultiFaultServersGetTheirFaults(t *testing.T) {
	t.Parallel()
	for _, mf := range multiFaults {
		byFault := multiFaultProblems(t, mf.mutant)
		want := slices.Compact(slices.Sorted(maps.Values(byFault)))
		t.Run(mf.mutant, func(t *testing.T) {
			t.Parallel()
			rep := mustRun(t, multiFaultConfig(mf.mutant))
			got := checkMultiFaultReport(t, rep, mf, want)
			if mf.run == nil {
				if !slices.Equal(got, want) {
					t.Errorf("problems %q, want exactly %q", got, want)
				}
				return
			}
			// The rest of the faults are reached by a selection that runs their cases.
			if !rep.DeadlinePassed {
				t.Errorf("the whole catalog ran within the deadline: the selection is not needed")
			}
			cfg := multiFaultConfig(mf.mutant)
			cfg.Run = exactly(mf.run...)
			sel := mustRun(t, cfg)
			got = append(got, checkMultiFaultReport(t, sel, mf, want)...)
			slices.Sort(got)
			if got = slices.Compact(got); !slices.Equal(got, want) {
				t.Errorf("problems of both runs %q, want exactly %q", got, want)
			}
		})
	}
}

// multiFaultProblems returns the problem each fault of the named mutant must be reported as.
func multiFaultProblems(t *testing.T, name string) map[string]string {
	t.Helper()
	for _, m := range mutants.All() {
		if m.Name != name {
			continue
		}
		byFault, ok := m.Problems()
		if !ok || len(m.Faults) < 2 {
			t.Fatalf("%s: not a mutant of several faults each with its problem (%q)", name, byFault)
		}
		return byFault
	}
	t.Fatalf("no mutant %s", name)
	return nil
}

// checkMultiFaultReport checks what holds of every run against mf, and returns its problems' IDs.
func checkMultiFaultReport(t *testing.T, rep report.Report, mf multiFault, want []string) []string {
	t.Helper()
	var text bytes.Buffer
	if err := rep.WriteText(&text, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	screen := strings.Join(lines[:min(40, len(lines))], "\n")
	var got []string
	for _, p := range rep.Problems {
		got = append(got, p.ID)
		if !slices.Contains(want, p.ID) {
			// How it was found goes with it: a wrong cause seen once on a loaded machine is
			// told from a wrong rule by what the probe or case met.
			var how string
			if p.Diagnosis != "" {
				how += "\n\tdiagnosis: " + p.Diagnosis
			}
			if e := p.Evidence; e != nil {
				how += fmt.Sprintf("\n\tin %s: expected %s, got %s", cmp.Or(e.Case, "the diagnosis"), e.Expected, e.Actual)
			}
			t.Errorf("problem %s names a cause that was not injected: %s%s", p.ID, p.Summary, how)
		}
		if !strings.Contains(screen, "["+p.ID+"]") || !strings.Contains(screen, p.Summary) {
			t.Errorf("problem %s and its summary are not in the first 40 lines:\n%s", p.ID, screen)
		}
		if slices.Contains(mf.security, p.ID) && !slices.ContainsFunc(p.Cases, func(id string) bool { return strings.HasPrefix(id, "security/") }) {
			t.Errorf("security fault %s fails no security case (blocks %q)", p.ID, p.Blocked)
		}
	}
	for _, id := range mf.security {
		if rep.Problem(id) == nil {
			t.Errorf("no problem %s", id)
		}
	}
	if rep.OK() {
		t.Errorf("the run passes:\n%s", screen)
	}
	if rep.DeadlinePassed {
		notRun := rep.Summary.Must.NotRun + rep.Summary.Should.NotRun + rep.Summary.Info.NotRun
		if say := fmt.Sprintf("-deadline %v runs them all", rep.DeadlineNeeded); notRun == 0 || !strings.Contains(strings.Join(rep.NextSteps, "\n"), say) {
			t.Errorf("the deadline passed with %d cases not run; next steps %q, want %q", notRun, rep.NextSteps, say)
		}
	}
	slices.Sort(got)
	return got
}
