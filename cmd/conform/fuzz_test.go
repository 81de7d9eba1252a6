package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/netfuzz"
)

// fuzzFast bounds fuzz runs by count and by time, whichever comes first, and keeps the
// minimization short.
var fuzzFast = []string{"-max-inputs", "300", "-duration", "20s", "-timeout", "1s", "-max-findings", "1", "-shrink-tries", "30", "-shrink-time", "5s"}

func readFuzzReport(t *testing.T, b []byte) *fuzzReport {
	t.Helper()
	rep := &fuzzReport{}
	if err := json.Unmarshal(b, rep); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return rep
}

func TestFuzzBuiltInServerExit0(t *testing.T) {
	out, errs := conformExit(t, exitPass, "fuzz", "-seed", "1", "-max-inputs", "60", "-duration", "20s", "-timeout", "1s", "-format", "json")
	if firstLine(errs) != "conform fuzz: seed 1" || !strings.Contains(errs, "conform fuzz: PASS: 60 inputs, no finding") {
		t.Fatalf("stderr %q", errs)
	}
	rep := readFuzzReport(t, []byte(out))
	if rep.Schema != FuzzSchema || rep.Verdict != "pass" || rep.Problems == nil || rep.Seed != 1 || rep.Inputs != 60 || rep.Stopped != "max-inputs" ||
		len(rep.Findings) != 0 || !rep.BuiltIn {
		t.Fatalf("report %+v", rep)
	}
	// -duration bounds the run too: with a budget of inputs it cannot spend, time ends it.
	code, out, _ := conform(t, "fuzz", "-seed", "1", "-max-inputs", "100000000", "-duration", "300ms", "-timeout", "1s", "-format", "json")
	rep = readFuzzReport(t, []byte(out))
	if code != exitPass || rep.Stopped != "duration" || rep.Inputs == 0 {
		t.Fatalf("exit %d, stopped %q after %d inputs", code, rep.Stopped, rep.Inputs)
	}
}

// -max-size tells the fuzzer the server's limit: the built-in server, which accepts more,
// is then owed 1003 for a larger size. The saved finding.json carries the seed and, since the
// built-in server's address dies with the run, a placeholder address in its replay command;
// the printed command starts a fresh built-in server instead.
func TestFuzzMaxPayloadOnBuiltInServer(t *testing.T) {
	dir := t.TempDir()
	out, _ := conformExit(t, exitFail, append([]string{"fuzz", "-seed", "1", "-max-size", "16", "-out", dir, "-format", "json"}, fuzzFast...)...)
	rep := readFuzzReport(t, []byte(out))
	if len(rep.Findings) != 1 || !rep.BuiltIn {
		t.Fatalf("report %+v", rep)
	}
	fd := rep.Findings[0]
	if fd.Requirement != "R-5.4" || fd.Files == nil || fd.Replay != "conform replay "+fd.Files.Finding {
		t.Fatalf("finding %+v", fd)
	}
	b, err := os.ReadFile(fd.Files.Finding)
	if err != nil {
		t.Fatal(err)
	}
	var saved netfuzz.Finding
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Seed != 1 || saved.Replay != "conform replay "+fd.Files.Finding+" -addr HOST:PORT" || saved.Detail != fd.Detail {
		t.Fatalf("finding.json:\n%s", b)
	}
}

// A mutant's fault is found, minimized and saved as a reproducer in all three forms, each of
// which replays: it fails on the mutant and passes the reference server.
func TestFuzzFindsMutantAndReplays(t *testing.T) {
	addr := startMutant(t, "unknown-op-closes")
	dir := filepath.Join(t.TempDir(), "findings")
	out, errs := conformExit(t, exitFail, append([]string{"fuzz", "-addr", addr, "-seed", "7", "-out", dir}, fuzzFast...)...)
	t.Logf("conform fuzz against unknown-op-closes:\n%s", out)
	if firstLine(out) != "seed 7" || firstLine(errs) != "conform fuzz: seed 7" {
		t.Errorf("the seed is not the first line: %q, %q", firstLine(out), firstLine(errs))
	}
	m := regexp.MustCompile(`(?m)^FINDING (no-response-R-5_2-[0-9a-f]+): no-response, R-5.2 `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no R-5.2 finding in:\n%s", out)
	}
	found := filepath.Join(dir, m[1])
	finding := filepath.Join(found, "finding.json")
	for _, want := range []string{"seed 7, ", " inputs in ", "minimized in ", "saved in " + found,
		"replay: conform replay " + finding + " -addr " + addr + "\n", "reproducers saved under " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	raw, err := os.ReadFile(filepath.Join(found, "input.bin"))
	if err != nil || len(raw) == 0 {
		t.Fatalf("input.bin: %x, %v", raw, err)
	}
	corpora, _ := filepath.Glob(filepath.Join(found, "testdata", "fuzz", netfuzz.CorpusTarget, "*"))
	if len(corpora) != 1 {
		t.Fatalf("corpus files %q", corpora)
	}
	if corpus, _ := os.ReadFile(corpora[0]); !bytes.Equal(corpus, netfuzz.CorpusFile(raw)) {
		t.Fatalf("corpus file %q does not hold input.bin %x", corpus, raw)
	}

	for _, file := range []string{finding, found, filepath.Join(found, "input.bin"), corpora[0]} {
		code, out, errs := conform(t, "replay", file, "-addr", addr, "-timeout", "1s")
		if code != exitFail || !strings.Contains(out, "FINDING no-response, R-5.2") || !strings.Contains(out, "FAIL (1 problem): it still fails") {
			t.Errorf("replay %s against the mutant: exit %d\n%s\n%s", file, code, out, errs)
		}
		if file == finding && !strings.Contains(out, "the same finding as saved") {
			t.Errorf("replay of finding.json does not compare with the saved finding:\n%s", out)
		}
		code, out, errs = conform(t, "replay", file, "-timeout", "1s")
		if code != exitPass || !strings.Contains(out, "health probe: ok") {
			t.Errorf("replay %s against the reference server: exit %d\n%s\n%s", file, code, out, errs)
		}
	}
}

func TestFuzzJSON(t *testing.T) {
	addr := startMutant(t, "unknown-op-1001")
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	code, out, errs := conform(t, append([]string{"fuzz", "-addr", addr, "-seed", "3", "-out", filepath.Join(dir, "f"), "-format", "json", "-o", report}, fuzzFast...)...)
	if code != exitFail || out != "" || !strings.Contains(errs, "conform fuzz: FINDING violation-R-5_2-") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	rep := readFuzzReport(t, b)
	if rep.Schema != FuzzSchema || rep.Verdict != "fail" || rep.Seed != 3 || rep.Target != addr || rep.Inputs < 1 || len(rep.Findings) != 1 {
		t.Fatalf("report %+v", rep)
	}
	fd := rep.Findings[0]
	if len(rep.Problems) != 1 || rep.Problems[0].Requirement != "R-5.2" || rep.Problems[0].Cases[0] != fd.Where {
		t.Fatalf("problems %+v", rep.Problems)
	}
	if fd.Kind != netfuzz.KindViolation || fd.Requirement != "R-5.2" || fd.Check != "status-forbidden" || fd.Exchange == nil || fd.InputHex == "" || fd.Files == nil ||
		fd.Replay != "conform replay "+fd.Files.Finding+" -addr "+addr {
		t.Fatalf("finding %+v", fd)
	}
	if _, err := os.Stat(fd.Files.Finding); err != nil {
		t.Fatal(err)
	}

	// Its replay as JSON: the same verdict, and the finding it shows now, the same as saved.
	code, out, errs = conform(t, "replay", fd.Files.Finding, "-addr", addr, "-timeout", "1s", "-format", "json")
	var again replayReport
	if err := json.Unmarshal([]byte(out), &again); err != nil || code != exitFail {
		t.Fatalf("replay: exit %d, %v\n%s\n%s", code, err, out, errs)
	}
	if again.Verdict != "fail" || len(again.Findings) != 1 || again.Findings[0].Requirement != "R-5.2" || again.Findings[0].Exchange == nil ||
		len(again.Problems) != 1 || !again.SameAsRun {
		t.Fatalf("replay report %+v", again)
	}
}

// Under -exec a crash restarts the server, so the finding is minimized, and the report says
// how the process ended; the replay command starts the server again and sees the crash.
func TestFuzzExecRestartsAndAttributesCrash(t *testing.T) {
	addr, command := execMutant(t, "dies-on-unknown-op")
	dir := t.TempDir()
	out, errs := conformExit(t, exitFail, append([]string{"fuzz", "-addr", addr, "-exec", command, "-seed", "7", "-out", dir, "-shrink-tries", "5"}, fuzzFast...)...)
	m := regexp.MustCompile(`(?m)^FINDING (crash-[^:]+): crash, `).FindStringSubmatch(out)
	if m == nil || !regexp.MustCompile(`(?m)^restarts: [1-9]`).MatchString(out) || !strings.Contains(out, "minimized in ") {
		t.Fatalf("no minimized crash after restarts:\n%s", out)
	}
	attributed := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(m[1]) + `: the server process ended: exit status 2; its last output: .*server died`)
	if !attributed.MatchString(out) {
		t.Fatalf("the crash is not attributed to the process's exit:\n%s", out)
	}
	portFree(t, addr)

	finding := filepath.Join(dir, m[1], "finding.json")
	if !strings.Contains(out, "replay: conform replay "+finding+" -addr "+addr+" -exec '"+command+"'") {
		t.Fatalf("replay command missing:\n%s", out)
	}
	code, out, errs := conform(t, "replay", finding, "-addr", addr, "-exec", command, "-timeout", "1s")
	if code != exitFail || !strings.Contains(out, "FINDING crash, ") || !strings.Contains(out, "the server crashed: the server process ended: exit status 2") {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errs)
	}
	portFree(t, addr)
}

// Without -exec a crash ends the run: reported as found, not minimized, exit 1.
func TestFuzzCrashWithoutExec(t *testing.T) {
	addr := startMutant(t, "dies-on-unknown-op")
	code, out, errs := conform(t, append([]string{"fuzz", "-addr", addr, "-seed", "7", "-out", t.TempDir()}, fuzzFast...)...)
	if code != exitFail || !strings.Contains(out, "(stopped: target-down)") || !strings.Contains(out, ": crash, ") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}
