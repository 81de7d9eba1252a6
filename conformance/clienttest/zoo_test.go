package clienttest

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/clienttest/internal/badclients"
	"github.com/fbpkit/fbp/conformance/internal/killset"
	"github.com/fbpkit/fbp/conformance/report"
)

// kill says which cases a faulty client must fail: the proof that none of them is vacuous.
type kill struct {
	fault string
	// fail lists the cases whose rule the fault breaks: each must fail.
	fail []string
	// pass lists cases of other rules the fault must not drag down.
	pass []string
	// blocked lists cases the fault keeps from their evidence: each must say it is blocked
	// by one of fail, rather than fail again.
	blocked []string
	cfg     func(*Config)
}

// killTable covers every faulty client of the zoo; "none", the correct client, passes every
// case (TestCorrectClientsPass).
var killTable = []kill{
	{fault: "pad-1024", fail: []string{"request/layout"}, pass: []string{"run/script-order", "backup/exact-bytes", "restore/exact-file"}},
	{fault: "list-name-len", fail: []string{"request/layout"}, pass: []string{"run/script-order"}},
	{fault: "all-fields", fail: []string{"request/layout"}},
	{fault: "ops-1-4", fail: []string{"request/op-codes"}, blocked: []string{"request/layout", "run/script-order", "backup/exact-bytes", "restore/exact-file"}},
	{fault: "version-4", fail: []string{"request/version"}, pass: []string{"run/script-order"}},
	{fault: "seed003-statuses", fail: []string{"restore/exact-file", "response/no-wait-for-close"}, blocked: []string{"status/short-responses"}},
	{fault: "read-until-close", fail: []string{"response/no-wait-for-close"}, blocked: []string{"status/short-responses"},
		pass: []string{"run/script-order", "restore/exact-file"}},
	{fault: "one-recv", fail: []string{"response/split-reads"}, pass: []string{"run/script-order", "restore/exact-file"}},
	{fault: "server-name", fail: []string{"restore/server-name-dotdot", "restore/server-name-absolute", "restore/exact-file"}},
	{fault: "resend-header", fail: []string{"backup/exact-bytes"}, pass: []string{"restore/exact-file"}},
	{fault: "utf8-decode", fail: []string{"restore/exact-file"}, pass: []string{"backup/exact-bytes"}},
	{fault: "fixed-user", fail: []string{"user/random-per-run"}, pass: []string{"user/one-per-run"}},
	{fault: "user-per-request", fail: []string{"user/one-per-run"}, blocked: []string{"restore/exact-file"}},
	{fault: "wrong-order", fail: []string{"run/script-order"}, pass: []string{"backup/exact-bytes"}},
	{fault: "reuse-connection", fail: []string{"connection/server-closes"}, blocked: []string{"run/script-order"}},
	{fault: "no-stall-timeout", fail: []string{"robust/stalled-server"}, cfg: func(c *Config) { c.StallLimit = 2 * time.Second }},
	{fault: "whole-response-timeout", fail: []string{"response/slow-drip"}},
	{fault: "buffer-payload", fail: []string{"memory/huge-claim"}, pass: []string{"restore/exact-file"}},
	{fault: "partial-tmp", fail: []string{"restore/short-payload"}, pass: []string{"restore/exact-file"}},
	// It hangs until its time is up: a short one.
	{fault: "spin-on-eof", fail: []string{"robust/close-without-answer", "robust/cut-response"}, cfg: func(c *Config) { c.Timeout = 4 * time.Second }},
	{fault: "crash-on-error", fail: []string{"status/server-error", "robust/close-without-answer", "robust/cut-response"}},
	{fault: "misread-short-statuses", fail: []string{"status/short-responses"}, pass: []string{"response/no-wait-for-close"}},
	{fault: "prints-raw-names", fail: []string{"output/server-names-escaped"}, pass: []string{"robust/hostile-listing"}},
	{fault: "scanner-panics", fail: []string{"robust/hostile-listing"}, pass: []string{"output/server-names-escaped"}},
	// A client that never reaches the server gives the cases nothing to observe: none passes.
	{fault: "ignores-server-info", fail: []string{"run/connects"}, blocked: []string{"request/op-codes", "run/script-order", "status/server-error",
		"user/one-per-run", "connection/server-closes", "response/split-reads", "run/exit-status"}},
	{fault: "truncates-tmp", fail: []string{"restore/exact-file", "restore/short-payload", "status/server-error"}},
}

// zooConfig runs a faulty client quickly, with a short drip. Its Wait is no shorter than a pause
// of a client on a loaded machine, so that the cases the faults leave alone pass; a client that
// waits for the close is kept waiting twice a run at most (maxWaits). Only no-stall-timeout
// meets the stall scenario, and it sets its own limit.
func zooConfig(command []string) Config {
	return Config{Command: command, Timeout: 20 * time.Second, Wait: 3 * time.Second, Drip: 600 * time.Millisecond, HugeSend: testHugeSend}
}

// testHugeSend is what the 4 GiB claim sends in tests: half the default, still twice the
// memory bound over a client's canonical peak, and half the load on a busy machine.
const testHugeSend = 32 << 20

func exactly(ids ...string) *regexp.Regexp {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = regexp.QuoteMeta(id)
	}
	return regexp.MustCompile("^(" + strings.Join(q, "|") + ")$")
}

func TestZooKillTable(t *testing.T) {
	for _, k := range killTable {
		t.Run(k.fault, func(t *testing.T) {
			t.Parallel()
			// The client's own stall timeout is longer than the server's wait, so that a client
			// waiting for the close is caught waiting rather than giving up first.
			cfg := zooConfig(badclient(t, k.fault, "-timeout", "10s"))
			cfg.Run = exactly(slices.Concat(k.fail, k.pass, k.blocked)...)
			if k.cfg != nil {
				k.cfg(&cfg)
			}
			rep := mustRun(t, cfg)
			bad := false
			for _, id := range k.fail {
				if r := rep.Result(id); r.Status != report.VerdictFail {
					t.Errorf("%s: %s %q, want a failure", id, r.Status, r.Reason)
					bad = true
				}
			}
			for _, id := range k.pass {
				if r := rep.Result(id); r.Status != report.VerdictPass {
					t.Errorf("%s: %s %q, want a pass: the fault belongs to another case", id, r.Status, r.Reason)
					bad = true
				}
			}
			for _, id := range k.blocked {
				r := rep.Result(id)
				if r.Status != report.VerdictBlocked || !slices.ContainsFunc(k.fail, func(f string) bool { return rep.Result(f).Problem == r.BlockedBy }) {
					t.Errorf("%s: %s %q, want it blocked by the problem of one of %q", id, r.Status, r.Reason, k.fail)
					bad = true
				}
			}
			// Every case the fault fails names a problem that lists it, and every problem is made of
			// those cases alone. A fault of one rule is one problem; one that breaks several rules
			// (server-name, crash-on-error) shows as several.
			for _, id := range k.fail {
				r := rep.Result(id)
				if r == nil || r.Problem == "" || rep.Problem(r.Problem) == nil || !slices.Contains(rep.Problem(r.Problem).Cases, id) {
					t.Errorf("%s: names no problem that lists it: %+v", id, rep.Problems)
					bad = true
				}
			}
			for _, p := range rep.Problems {
				if len(p.Cases) == 0 || slices.ContainsFunc(p.Cases, func(id string) bool { return !slices.Contains(k.fail, id) }) {
					t.Errorf("problem %s fails %q, want some of %q", p.ID, p.Cases, k.fail)
					bad = true
				}
			}
			if bad {
				t.Log(details(rep))
			}
		})
	}
}

func TestZooTableCoversEveryFault(t *testing.T) {
	inTable := map[string]bool{}
	for _, k := range killTable {
		inTable[k.fault] = true
		for _, id := range slices.Concat(k.fail, k.pass, k.blocked) {
			if caseByID(id) == nil {
				t.Errorf("%s: no case %s", k.fault, id)
			}
		}
	}
	for _, f := range badclients.Faults() {
		if f.Name != "none" && !inTable[f.Name] {
			t.Errorf("faulty client %s is not in the kill table", f.Name)
		}
	}
}

// TestZooKillsEveryClientCase: every case fails against some faulty client of the tables
// (TestZooKillTable and TestPythonZooKillTable run them).
func TestZooKillsEveryClientCase(t *testing.T) {
	killed := killset.Of(killTable, func(k kill) []string { return k.fail })
	for _, k := range pyKillTable {
		killed.Add(k.aim)
	}
	var ids []string
	for _, c := range Catalog() {
		ids = append(ids, c.ID)
	}
	unkilled := killed.Missing(ids)
	if len(unkilled) > 0 {
		t.Errorf("%d cases no faulty client shows to work: %s", len(unkilled), strings.Join(unkilled, ", "))
	}
	t.Logf("killed: %d of %d cases", len(Catalog())-len(unkilled), len(Catalog()))
}

// passConfig runs a correct client with room for a loaded machine: a correct client never
// waits for the server's close nor hangs, so long limits cost nothing.
func passConfig(command []string) Config {
	return Config{Command: command, Strict: true, Timeout: time.Minute, Wait: 10 * time.Second, StallLimit: 30 * time.Second, Drip: 600 * time.Millisecond,
		HugeSend: testHugeSend}
}

// TestCorrectClientsPass: the zoo's correct client, the reference client, a small Python
// client and the faulty Python clients without their fault pass every case under strict,
// skipping none.
func TestCorrectClientsPass(t *testing.T) {
	clients := map[string]func(t *testing.T) (command []string, dir string){
		"badclient-none": func(t *testing.T) ([]string, string) { return badclient(t, "none", "-timeout", "10s"), "" },
		"refclient": func(t *testing.T) ([]string, string) {
			return []string{program(t, "github.com/fbpkit/fbp/cmd/refclient"), "-timeout", "10s", "run"}, ""
		},
		"python": func(t *testing.T) ([]string, string) {
			return []string{python(t), "client.py", "10"}, "testdata"
		},
		// The faulty Python clients with no fault on: their faults are all that differ.
		"python-faulty-none": func(t *testing.T) ([]string, string) {
			return []string{python(t), "faulty_client.py", "none", "10"}, "testdata"
		},
	}
	for name, client := range clients {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			command, dir := client(t)
			cfg := passConfig(command)
			cfg.Dir = dir
			rep := mustRun(t, cfg)
			for _, r := range rep.Results {
				if r.Status != report.VerdictPass {
					t.Errorf("%s: %s %s", r.ID, r.Status, r.Reason)
				}
			}
			if !rep.OK() || len(rep.Results) != len(Catalog()) || len(rep.Problems) > 0 {
				t.Errorf("the report does not pass every case:\n%s", details(rep))
			}
		})
	}
}
