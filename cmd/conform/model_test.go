package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/model"
)

// modelFast keeps model runs short: few short sequences, small payloads, bounded shrinking.
var modelFast = []string{"-runs", "40", "-steps", "10", "-max-file", "4KiB", "-timeout", "2s", "-shrink-time", "5s"}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func TestModelBuiltInServerExit0AndSeedFirst(t *testing.T) {
	out, errs := conformExit(t, exitPass, append([]string{"model", "-seed", "11"}, modelFast...)...)
	if firstLine(out) != "seed 11" || firstLine(errs) != "conform model: seed 11" {
		t.Fatalf("the seed is not the first line:\nstdout %q\nstderr %q", out, errs)
	}
	if !strings.Contains(out, "40 sequences of up to 10 steps") || !strings.Contains(out, "PASS: no failure") ||
		!strings.Contains(errs, "testing the built-in reference server on 127.0.0.1:") {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", out, errs)
	}

	// Without -seed one is drawn, and printed first all the same.
	code, out, errs := conform(t, "model", "-runs", "3", "-steps", "4")
	m := regexp.MustCompile(`^conform model: seed ([1-9][0-9]*)$`).FindStringSubmatch(firstLine(errs))
	if code != exitPass || m == nil || firstLine(out) != "seed "+m[1] {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, firstLine(out), firstLine(errs))
	}
}

// A stateful fault is found, shrunk, printed as a script and saved; the replay file fails on
// the mutant again and passes the reference server.
func TestModelFindsMutantAndReplays(t *testing.T) {
	addr := startMutant(t, "delete-ignored")
	replay := filepath.Join(t.TempDir(), "delete-ignored.json")
	out, errs := conformExit(t, exitFail, append([]string{"model", "-addr", addr, "-seed", "3", "-replay-out", replay}, modelFast...)...)
	t.Logf("conform model against delete-ignored:\n%s", out)
	if firstLine(out) != "seed 3" {
		t.Errorf("first line %q", firstLine(out))
	}
	for _, want := range []string{
		"FAIL [R-4.", "shrunk from ", "1. user A BACKUP ", "1 problem:", "    evidence (first seen in step ", "      sent ", "      received ",
		"replay file: " + replay + "\n", "replay: conform replay " + replay + " -addr " + addr + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	// The failing step is the script's last line, with expected, actual and requirement.
	script := regexp.MustCompile(`(?m)^\d+\. user .*$`).FindAllString(out, -1)
	if len(script) == 0 || len(script) > 4 || !regexp.MustCompile(` -> .*   want .*   \[R-4\.[34]\]$`).MatchString(script[len(script)-1]) {
		t.Fatalf("script %q", script)
	}
	f, err := os.Open(replay)
	if err != nil {
		t.Fatal(err)
	}
	rf, err := model.ReadReplay(f)
	f.Close()
	if err != nil || rf.Seed != 3 || len(rf.Steps) != len(script) {
		t.Fatalf("replay file: %+v, %v", rf, err)
	}

	code, out, errs := conform(t, "replay", replay, "-addr", addr)
	if code != exitFail || !strings.Contains(out, "it still fails") || !strings.Contains(out, script[len(script)-1][:10]) {
		t.Fatalf("replay against the mutant: exit %d\n%s\n%s", code, out, errs)
	}
	// Flags before FILE work too; without -addr the built-in reference server is used.
	code, out, errs = conform(t, "replay", "-timeout", "2s", replay)
	if code != exitPass || !strings.Contains(out, "PASS: the failure does not reproduce") {
		t.Fatalf("replay against the reference server: exit %d\n%s\n%s", code, out, errs)
	}
}

// The same seed finds the same failure and shrinks it to the same script.
func TestModelSeedReproducesTheRun(t *testing.T) {
	addr := startMutant(t, "list-stale-after-delete")
	var scripts [2][]string
	for i := range scripts {
		path := filepath.Join(t.TempDir(), "report.json")
		code, _, errs := conform(t, append([]string{"model", "-addr", addr, "-seed", "4", "-format", "json", "-o", path,
			"-replay-out", filepath.Join(t.TempDir(), "r.json")}, modelFast...)...)
		if code != exitFail {
			t.Fatalf("exit %d: %s", code, errs)
		}
		rep := readModelReport(t, path)
		scripts[i] = rep.failure().Script
	}
	if strings.Join(scripts[0], "\n") != strings.Join(scripts[1], "\n") {
		t.Fatalf("seed 4 gave two scripts:\n%s\n--\n%s", strings.Join(scripts[0], "\n"), strings.Join(scripts[1], "\n"))
	}
}

func readModelReport(t *testing.T, path string) *modelReport {
	t.Helper()
	var rep modelReport
	readJSON(t, path, &rep)
	return &rep
}

func TestModelJSON(t *testing.T) {
	addr := startMutant(t, "overwrite-appends")
	dir := t.TempDir()
	report, replay := filepath.Join(dir, "report.json"), filepath.Join(dir, "replay.json")
	code, out, errs := conform(t, append([]string{"model", "-addr", addr, "-seed", "9", "-format", "json", "-o", report, "-replay-out", replay}, modelFast...)...)
	if code != exitFail || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if !strings.Contains(errs, "conform model: FAIL [R-4.1]") || !strings.Contains(errs, "replay: conform replay "+replay) {
		t.Errorf("stderr lacks the verdict: %q", errs)
	}
	rep := readModelReport(t, report)
	f := rep.failure()
	if rep.Schema != ModelSchema || rep.Seed != 9 || rep.Verdict != "fail" || rep.Target != addr || rep.Sequences < 1 || rep.Requests < 1 ||
		f == nil || f.Requirement != "R-4.1" || len(f.Script) == 0 || f.Step != len(f.Script) || f.Expected == "" || f.Actual == "" ||
		f.Check == "" || f.Where != fmt.Sprintf("step %d", f.Step) || f.Exchange == nil || f.Exchange.Received.Total == 0 ||
		f.ReplayFile != replay || f.ReplayCommand != "conform replay "+replay+" -addr "+addr {
		t.Fatalf("report: %+v\nfailure: %+v", rep, f)
	}
	// The failure is the one problem, under the requirement it breaks.
	if len(rep.Problems) != 1 || rep.Problems[0].Requirement != "R-4.1" || rep.Problems[0].Evidence == nil || rep.Problems[0].Evidence.Exchange == nil {
		t.Fatalf("problems %+v", rep.Problems)
	}

	// A passing run on stdout is one JSON document too.
	code, out, _ = conform(t, "model", "-runs", "5", "-steps", "6", "-seed", "2", "-format", "json")
	var pass modelReport
	if err := json.Unmarshal([]byte(out), &pass); err != nil || code != exitPass {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if pass.Schema != ModelSchema || pass.Seed != 2 || pass.Verdict != "pass" || len(pass.Findings) != 0 || pass.Problems == nil ||
		pass.Sequences != 5 || pass.Requests < 5 || !pass.BuiltIn {
		t.Fatalf("passing report: %+v", pass)
	}
}

// -max-shrinks -1 turns shrinking off: the failure is reported as found.
func TestModelMaxShrinks(t *testing.T) {
	addr := startMutant(t, "delete-ignored")
	dir := t.TempDir()
	var reps []*modelReport
	for _, n := range []string{"-1", "200"} {
		report := filepath.Join(dir, "report"+n+".json")
		code, out, errs := conform(t, append([]string{"model", "-addr", addr, "-seed", "3", "-max-shrinks", n, "-format", "json", "-o", report,
			"-replay-out", filepath.Join(dir, "replay"+n+".json")}, modelFast...)...)
		if code != exitFail {
			t.Fatalf("-max-shrinks %s: exit %d\n%s\n%s", n, code, out, errs)
		}
		reps = append(reps, readModelReport(t, report))
	}
	off, on := reps[0], reps[1]
	if off.ShrinkRuns != 0 || len(off.failure().Script) != off.failure().Step || off.failure().Step > off.failure().OriginalSteps {
		t.Fatalf("-max-shrinks -1: %d shrink runs, failure %+v", off.ShrinkRuns, off.failure())
	}
	if on.ShrinkRuns == 0 || len(on.failure().Script) >= len(off.failure().Script) {
		t.Fatalf("-max-shrinks 200: %d shrink runs, %d steps against %d unshrunk", on.ShrinkRuns, len(on.failure().Script), len(off.failure().Script))
	}
}

// Without -replay-out the replay goes to conform-findings/model-SEED.json, and only on a failure.
func TestModelDefaultReplayFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if code, _, errs := conform(t, "model", "-runs", "3", "-steps", "4", "-seed", "21"); code != exitPass {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(findingsDir); !os.IsNotExist(err) {
		t.Fatalf("a passing run wrote a replay file: %v", err)
	}
	addr := startMutant(t, "delete-ignored")
	code, out, _ := conform(t, append([]string{"model", "-addr", addr, "-seed", "21"}, modelFast...)...)
	if code != exitFail || !strings.Contains(out, "replay file: conform-findings/model-21.json\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if _, err := os.Stat("conform-findings/model-21.json"); err != nil {
		t.Fatal(err)
	}
}

// A concurrent failure is shrunk, saved, and drawn as HTML with -html.
func TestModelConcurrentWritesVisualization(t *testing.T) {
	addr := startMutant(t, "torn-overwrite")
	dir := t.TempDir()
	html, replay := filepath.Join(dir, "history.html"), filepath.Join(dir, "replay.json")
	code, out, errs := conform(t, "model", "-addr", addr, "-concurrent", "-seed", "7", "-runs", "30", "-steps", "6",
		"-users", "1", "-names", "2", "-clients", "3", "-max-file", "32KiB", "-shrink-time", "2s",
		"-html", html, "-replay-out", replay)
	if code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "model concurrent: ") || !strings.Contains(out, "FAIL [R-4.1]") || !strings.Contains(out, "visualization: "+html) {
		t.Fatalf("stdout:\n%s", out)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), "<html") {
		t.Fatalf("visualization: %d bytes, %v", len(b), err)
	}
	// The reference server has no torn overwrite: the saved rounds pass there.
	code, out, errs = conform(t, "replay", replay)
	if code != exitPass || !regexp.MustCompile(`\(model concurrent, seed 7\) on 127\.0\.0\.1:\d+: [1-9]\d* rounds, `).MatchString(out) {
		t.Fatalf("replay on the reference server: exit %d\n%s\n%s", code, out, errs)
	}
	// No failure, no visualization file.
	clean := filepath.Join(dir, "clean.html")
	if code, _, errs := conform(t, "model", "-concurrent", "-runs", "3", "-steps", "4", "-html", clean); code != exitPass {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if _, err := os.Stat(clean); !os.IsNotExist(err) {
		t.Fatalf("a passing run wrote %s: %v", clean, err)
	}
}

// Under -exec the server is started on -addr, tested, and stopped; the replay command
// starts it again.
func TestModelExec(t *testing.T) {
	addr, command := execMutant(t, "delete-ignored")
	replay := filepath.Join(t.TempDir(), "replay.json")
	code, out, errs := conform(t, append([]string{"model", "-addr", addr, "-exec", command, "-seed", "3", "-replay-out", replay}, modelFast...)...)
	if code != exitFail || !strings.Contains(out, "replay: conform replay "+replay+" -addr "+addr+" -exec '"+command+"'") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	portFree(t, addr)
	code, out, errs = conform(t, "replay", replay, "-addr", addr, "-exec", command)
	if code != exitFail || !strings.Contains(out, "it still fails") {
		t.Fatalf("replay under -exec: exit %d\n%s\n%s", code, out, errs)
	}
	portFree(t, addr)
}
