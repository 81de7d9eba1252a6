package clienttest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/required"
)

// pyKill says which case a fault of testdata/faulty_client.py must fail, and under which
// requirement: the case aimed at the rule the fault breaks, not another one by luck.
type pyKill struct {
	fault string
	aim   string
	req   spec.ID
	// problem, when set, is the problem the aimed case must name.
	problem string
	// blocked lists cases that have nothing to observe under the fault: each must be blocked
	// by the aimed case's problem, never pass.
	blocked []string
}

// pyKillTable covers every fault of faulty_client.py but "none", which passes every case
// (TestCorrectClientsPass).
var pyKillTable = []pyKill{
	{fault: "send-once", aim: "backup/partial-sends", req: spec.R7_7},
	{fault: "one-recv", aim: "response/split-reads", req: spec.R7_5},
	{fault: "one-recv-stops", aim: "response/split-reads", req: spec.R7_5},
	{fault: "cap-16mib", aim: "restore/short-payload", req: spec.R7_9},
	{fault: "listing-4096", aim: "response/read-whole", req: spec.R7_5},
	{fault: "decode-listing", aim: "robust/hostile-listing", req: spec.R7_11},
	{fault: "signed-size", aim: "restore/short-payload", req: spec.R7_9},
	{fault: "guess-1001", aim: "status/short-responses", req: spec.R7_10},
	{fault: "exit-0", aim: "run/exit-status", req: spec.R7_14},
	{fault: "1001-fails", aim: "run/exit-zero", req: spec.R7_14},
	{fault: "path-name", aim: "backup/base-name", req: spec.R7_7, problem: "path-as-name"},
	{fault: "save-listing", aim: "restore/exact-file", req: spec.R5_6},
	{fault: "backup-no-answer", aim: "response/read-whole", req: spec.R7_5},
	{fault: "tmp-first", aim: "restore/every-run", req: spec.R7_8},
	{fault: "timeout-uncaught", aim: "robust/stalled-server-ends", req: spec.R7_11},
	{fault: "never-runs", aim: "run/connects", req: spec.R7_4,
		blocked: []string{"user/one-per-run", "connection/server-closes", "response/split-reads"}},
}

// python finds the interpreter, as required.Program finds it.
func python(t *testing.T) string {
	t.Helper()
	return required.Program(t, "python3", "python3 is needed for the Python clients")
}

func TestPythonZooKillTable(t *testing.T) {
	py := python(t)
	for _, k := range pyKillTable {
		t.Run(k.fault, func(t *testing.T) {
			t.Parallel()
			// The client's stall timeout is short: only timeout-uncaught meets the stall, and it
			// is what its fault needs.
			cfg := zooConfig([]string{py, "faulty_client.py", k.fault, "3"})
			cfg.Dir = "testdata"
			// A SHOULD case fails the run too, so that the run's verdict shows the fault.
			cfg.Strict = true
			// No memory is judged here: the 4 GiB claim need only send past cap-16mib's cap.
			cfg.HugeSend = 17 << 20
			cfg.Run = exactly(append([]string{k.aim}, k.blocked...)...)
			rep := mustRun(t, cfg)
			r := rep.Result(k.aim)
			switch {
			case r == nil || r.Status != report.VerdictFail:
				t.Errorf("%s: %v, want a failure", k.aim, r)
			case !slices.ContainsFunc(r.Failures, func(f report.Failure) bool { return f.Requirement == string(k.req) }):
				t.Errorf("%s fails %+v, want a failure under %s", k.aim, r.Failures, k.req)
			case rep.Problem(r.Problem) == nil || rep.Problem(r.Problem).Requirement != string(k.req):
				t.Errorf("%s names problem %q, want one of %s: %+v", k.aim, r.Problem, k.req, rep.Problems)
			case k.problem != "" && r.Problem != k.problem:
				t.Errorf("%s names problem %q, want %q", k.aim, r.Problem, k.problem)
			}
			for _, id := range k.blocked {
				b := rep.Result(id)
				if b == nil || b.Status != report.VerdictBlocked || b.BlockedBy != r.Problem {
					t.Errorf("%s: %v, want it blocked by %s's problem", id, b, k.aim)
				}
			}
			if rep.OK() {
				t.Errorf("the run passes")
			}
			if t.Failed() {
				t.Log(details(rep))
			}
		})
	}
}

// Every fault of faulty_client.py is in the table.
func TestPythonZooTableCoversEveryFault(t *testing.T) {
	py := python(t)
	cmd := exec.Command(py, "-B", "-c", "import faulty_client; print('\\n'.join(faulty_client.FAULTS))")
	cmd.Dir = "testdata"
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	faults := strings.Fields(string(out))
	if len(faults) < 2 {
		t.Fatalf("faults %q", faults)
	}
	for _, f := range faults {
		if f != "none" && !slices.ContainsFunc(pyKillTable, func(k pyKill) bool { return k.fault == f }) {
			t.Errorf("fault %s of faulty_client.py is not in the table", f)
		}
	}
	for _, k := range pyKillTable {
		if !slices.Contains(faults, k.fault) {
			t.Errorf("the table names %s, which faulty_client.py lacks", k.fault)
		}
		if caseByID(k.aim) == nil {
			t.Errorf("%s: no case %s", k.fault, k.aim)
		}
	}
}
