package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/servertest"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	refservertest "github.com/fbpkit/fbp/ref/server/servertest"
)

// conform runs the command with args and returns its exit code and output.
func conform(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// fast are flags that keep runs short on loopback.
var fast = []string{"-timeout", "1s", "-grace", "20ms", "-stall", "50ms"}

// errorServer answers every connection with a bare 1003 and closes it: a server that fails
// nearly every case.
// conformExit runs conform with args, as conform does, and fails the test at once unless it
// exits want; it returns what conform wrote to stdout and stderr.
func conformExit(t *testing.T, want int, args ...string) (stdout, stderr string) {
	t.Helper()
	code, stdout, stderr := conform(t, args...)
	if code != want {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, want, stdout, stderr)
	}
	return stdout, stderr
}

func errorServer(t *testing.T) string {
	return fakepeer.Start(t, fakepeer.ReadPrefix(), fakepeer.Send([]byte{1, 0xeb, 0x03})).Addr
}

// countedReference is the reference server behind a peer that counts connections, so that a
// test can act once a run is under way, however slow the machine.
func countedReference(t *testing.T) *fakepeer.Peer {
	ref := refservertest.Start(t, server.Config{})
	return fakepeer.Start(t, fakepeer.ReadHeader(), fakepeer.Forward(ref.Addr))
}

func TestBuiltInServerPassesExit0(t *testing.T) {
	out, errs := conformExit(t, exitPass, append(fast, "-run", `^(backup/new|list/empty-user-1002|security/unknown-op)$`)...)
	if !strings.Contains(errs, "testing the built-in reference server on 127.0.0.1:") {
		t.Errorf("stderr does not say which server it tests: %q", errs)
	}
	for _, want := range []string{"PASS  backup/new", "PASS  list/empty-user-1002", "MUST      3 passed,   0 failed", "PASS: every selected MUST case passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestFailingServerExit1(t *testing.T) {
	out, _ := conformExit(t, exitFail, append(fast, "-addr", errorServer(t), "-run", `^(backup/new|restore/missing-1001)$`)...)
	if !strings.Contains(out, "FAIL  backup/new") || !strings.Contains(out, "expected: 212 (backup-ok)") {
		t.Errorf("stdout:\n%s", out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"},
		{"-run", "nomatch-at-all"},
		{"-run", "("},
		{"-format", "xml"},
		{"-dialect", "klingon"},
		{"-large-size", "5GiB"},
		{"-exec", "true"},
		{"-addr", "127.0.0.1:1", "-exec", `./server "unterminated`},
		{"-max-size", "5GiB"},
		{"-parallel", "0"},
		{"extra-argument"},
	} {
		code, _, errs := conform(t, args...)
		if code != exitUsage || errs == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
	_, _, errs := conform(t, "-run", "nomatch-at-all")
	if !strings.Contains(errs, "matched no case") {
		t.Errorf("no-match message: %q", errs)
	}
}

func TestUnreachableExit3(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	code, _, errs := conform(t, "-addr", addr, "-timeout", "1s")
	if code != exitUnreachable || !strings.Contains(errs, "cannot reach "+addr) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestListPrintsCatalogAndRunsNothing(t *testing.T) {
	// A closed address proves nothing is contacted.
	out, _ := conformExit(t, exitPass, "-list", "-addr", fakepeer.ClosedAddr(t))
	for _, c := range servertest.Catalog() {
		line := c.ID + strings.Repeat(" ", max(1, 47-len(c.ID))) + c.Level.String()
		if !strings.Contains(out, line) {
			t.Errorf("-list lacks %q", line)
		}
	}
	if !strings.Contains(out, "R-4.4") || !strings.Contains(out, " cases: ") {
		t.Errorf("-list lacks requirements or the count:\n%s", out)
	}
	_, out, _ = conform(t, "-list", "-run", "^list/", "-skip", "name-format")
	if strings.Contains(out, "backup/new") || strings.Contains(out, "list/name-format") || !strings.Contains(out, "list/empty-user-1002") {
		t.Errorf("-list ignores -run/-skip:\n%s", out)
	}
}

func TestJSONReportToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	code, out, errs := conform(t, append(fast, "-addr", errorServer(t), "-run", `^(backup/new|list/empty-user-1002)$`, "-format", "json", "-o", path)...)
	if code != exitFail || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if !strings.Contains(errs, "FAIL  backup/new") || !strings.Contains(errs, "MUST ") {
		t.Errorf("stderr lacks the summary: %q", errs)
	}
	var rep report.Report
	readJSON(t, path, &rep)
	if rep.Schema != report.Schema || len(rep.Results) != 2 || rep.Result("backup/new").Status != report.VerdictFail {
		t.Fatalf("report: %+v", rep)
	}
}

func TestJUnitReportOnStdout(t *testing.T) {
	out, _ := conformExit(t, exitPass, append(fast, "-run", `^(backup/new|list/empty-user-1002)$`, "-format", "junit")...)
	doc := parseJUnit(t, out)
	// The two cases, and the MUST rules the selection leaves unjudged, skipped.
	if doc.Tests != 3 || len(doc.Suites) != 3 || doc.Suites[0].Name != "backup" || doc.Suites[0].Cases[0].Name != "backup/new" ||
		doc.Suites[2].Name != "unjudged" {
		t.Fatalf("junit: %+v", doc)
	}
}

func TestBaselineFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline")
	// A baseline names cases, and problems of the diagnosis too.
	os.WriteFile(path, []byte("# known failures\nbackup/new\nrestore/missing-1001 # 1003 instead\nsame-status-for-everything\n"), 0o644)
	addr := errorServer(t)
	code, out, _ := conform(t, append(fast, "-addr", addr, "-run", `^(backup/new|restore/missing-1001)$`, "-baseline", path)...)
	if code != exitPass || !strings.Contains(out, "KNOWN backup/new") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	_, _, errs := conform(t, "-baseline", filepath.Join(t.TempDir(), "missing"))
	if !strings.Contains(errs, "-baseline") {
		t.Errorf("missing baseline file: %q", errs)
	}
}

func TestInterruptedRunWritesReport(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	path := filepath.Join(t.TempDir(), "report.json")
	peer := countedReference(t)
	go func() {
		// Cancel once the run is under way, as Ctrl-C does.
		<-peer.AfterAccepts(10)
		cancel()
	}()
	var out, errb bytes.Buffer
	code := run(ctx, append(fast, "-addr", peer.Addr, "-format", "json", "-o", path, "-parallel", "1"), &out, &errb)
	if code != exitFail {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var rep report.Report
	readJSON(t, path, &rep)
	if !rep.Interrupted || rep.Summary.Must.NotRun == 0 || !strings.Contains(errb.String(), "interrupted") {
		t.Fatalf("interrupted %v, not run %d, stderr %q", rep.Interrupted, rep.Summary.Must.NotRun, errb.String())
	}
}

// A run whose deadline passes before it starts: every case not run, the verdict incomplete in
// every format, no finding of the diagnosis it cut short, and the text report a few lines.
func TestDeadlinePassedRunIsIncomplete(t *testing.T) {
	dir := t.TempDir()
	conformExit(t, exitFail, "-deadline", "1ns", "-format", "json", "-o", filepath.Join(dir, "r.json"))
	var doc struct {
		Verdict        string   `json:"verdict"`
		DeadlinePassed bool     `json:"deadline_passed"`
		Warnings       []string `json:"warnings"`
		Problems       []any    `json:"problems"`
		Results        []struct {
			Status string `json:"status"`
		} `json:"results"`
	}
	readJSON(t, filepath.Join(dir, "r.json"), &doc)
	if doc.Verdict != report.RunIncomplete || !doc.DeadlinePassed || len(doc.Problems) != 0 || len(doc.Results) == 0 {
		t.Fatalf("verdict %q, deadline passed %v, %d problems, %d results", doc.Verdict, doc.DeadlinePassed, len(doc.Problems), len(doc.Results))
	}
	if !slices.ContainsFunc(doc.Warnings, func(w string) bool { return strings.Contains(w, "the diagnosis stopped during") }) {
		t.Errorf("no warning that the diagnosis was cut: %q", doc.Warnings)
	}
	for _, res := range doc.Results {
		if res.Status != "not-run" {
			t.Fatalf("a case %s", res.Status)
		}
	}
	code, out, _ := conform(t, "-deadline", "1ns")
	if code != exitFail || !strings.Contains(out, "INCOMPLETE") || strings.Count(out, "\nNRUN ") > 4 || !strings.Contains(out, "more cases, not reached") ||
		!strings.Contains(out, "not reached within the deadline of 1ns: give a longer -deadline") {
		t.Errorf("exit %d, text report:\n%s", code, out)
	}
	code, out, _ = conform(t, "-deadline", "1ns", "-format", "junit")
	if code != exitFail || !strings.Contains(out, `name="run/incomplete"`) {
		t.Errorf("exit %d, JUnit report:\n%.400s", code, out)
	}
}

func TestVerboseShowsBytesOfPassingCases(t *testing.T) {
	_, quiet, _ := conform(t, append(fast, "-run", `^list/empty-user-1002$`)...)
	code, loud, _ := conform(t, append(fast, "-run", `^list/empty-user-1002$`, "-v")...)
	if code != exitPass || strings.Contains(quiet, "received 3 bytes") || !strings.Contains(loud, "received 3 bytes:") ||
		!strings.Contains(loud, "00000000  01 ea 03") {
		t.Fatalf("exit %d\nquiet:\n%s\nverbose:\n%s", code, quiet, loud)
	}
}

// A baseline that names a fault, written once, keeps matching it: the ID is the fault's, not a
// slug of a message that names a file, a size or a user, which every run draws anew.
func TestBaselineNamesFaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline")
	os.WriteFile(path, []byte("missing-file-status # answers 1003 for a missing file\n"), 0o644)
	addr := startMutant(t, "missing-file-1003")
	for range 2 {
		code, out, _ := conform(t, append(fast, "-addr", addr, "-run", `^(restore/missing-1001|delete/missing-1001)$`, "-baseline", path)...)
		if code != exitPass || !strings.Contains(out, "KNOWN restore/missing-1001") || !strings.Contains(out, "KNOWN delete/missing-1001") ||
			strings.Contains(out, "neither a case nor a problem") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	}
}

// readFile is the content of path; a file that cannot be read fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readJSON decodes the JSON file at path into v; a file that cannot be read or decoded fails
// the test.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(readFile(t, path), v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, readFile(t, path))
	}
}
