package main

import (
	"encoding/json"
	"encoding/xml"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/servertest"
	"github.com/fbpkit/fbp/internal/fakepeer"
)

func TestDoctorBuiltInServerExit0(t *testing.T) {
	code, out, errs := conform(t, "doctor", "-timeout", "1s")
	if code != exitPass || !strings.Contains(out, "OK: nothing wrong found") || !strings.Contains(out, "status map: backup→212 restore→210 missing→1001 list→211") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
}

func TestDoctorNamesTheFaultAndExits1(t *testing.T) {
	// A server that answers HTTP to everything.
	addr := fakepeer.Start(t, fakepeer.ReadPrefix(), fakepeer.Send([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))).Addr
	code, out, errs := conform(t, "doctor", "-addr", addr, "-timeout", "1s", "-no-crash-probes")
	if code != exitFail || !strings.Contains(out, "[not-fbp] MUST R-1.1") || !strings.Contains(out, "HTTP/1.1 400 Bad Request") ||
		!strings.Contains(out, "FAIL: 1 problem") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	path := filepath.Join(t.TempDir(), "doctor.json")
	if code, _, errs = conform(t, "doctor", "-addr", addr, "-timeout", "1s", "-format", "json", "-o", path); code != exitFail {
		t.Fatalf("json: exit %d\n%s", code, errs)
	}
	var doc doctorDoc
	if err := json.Unmarshal(readFile(t, path), &doc); err != nil || doc.Schema != DoctorSchema || len(doc.Problems) != 1 ||
		doc.Problems[0].ID != "not-fbp" || doc.Verdict != "fail" || len(doc.Findings) != 1 || doc.Findings[0].Requirement != "R-1.1" {
		t.Fatalf("%v: %+v", err, doc)
	}
	// The report in a file, the verdict on stderr, in a line of its own.
	if !strings.HasSuffix(errs, "\nconform doctor: FAIL: 1 problem\n") && errs != "conform doctor: FAIL: 1 problem\n" {
		t.Errorf("json: stderr %q", errs)
	}
	code, out, errs = conform(t, "doctor", "-addr", addr, "-timeout", "1s", "-no-crash-probes", "-format", "junit")
	suites := parseJUnit(t, out)
	if code != exitFail || suites.Tests != 1 || suites.Failures != 1 || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 1 {
		t.Fatalf("junit: exit %d, %+v\n%s\n%s", code, suites, out, errs)
	}
	if c := suites.Suites[0].Cases[0]; c.Name != "problem/not-fbp" || c.Failure == nil || !strings.Contains(c.Failure.Message, "R-1.1") ||
		!strings.Contains(c.Failure.Body, "HTTP/1.1 400 Bad Request") {
		t.Errorf("junit: testcase %+v", c)
	}
	if errs != "conform doctor: FAIL: 1 problem\n" {
		t.Errorf("junit: stderr %q", errs)
	}
}

// A diagnosis that finds nothing is one passing testcase in JUnit, so that CI counts a test.
func TestDoctorJUnitOfAPass(t *testing.T) {
	code, out, errs := conform(t, "doctor", "-timeout", "1s", "-format", "junit")
	suites := parseJUnit(t, out)
	if code != exitPass || suites.Tests != 1 || suites.Failures != 0 || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 1 {
		t.Fatalf("exit %d, %+v\n%s\n%s", code, suites, out, errs)
	}
	if c := suites.Suites[0].Cases[0]; c.Name != "diagnosis/nothing-wrong" || c.Failure != nil || !strings.Contains(c.SystemOut, "status map: backup→212") {
		t.Errorf("testcase %+v", c)
	}
	if !strings.HasSuffix(errs, "conform doctor: OK: nothing wrong found\n") {
		t.Errorf("stderr %q", errs)
	}
	if code, _, errs := conform(t, "fuzz", "-format", "xml"); code != exitUsage || !strings.Contains(errs, `-format "xml": want text, json, junit or html`) {
		t.Errorf("fuzz -format xml: exit %d, %q", code, errs)
	}
}

// junitDoc is what the tests read of a JUnit report.
type junitDoc struct {
	Name     string `xml:"name,attr"`
	Tests    int    `xml:"tests,attr"`
	Failures int    `xml:"failures,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, s string) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, s)
	}
	return doc
}

// A server that reads a name_len after LIST and dies when a client leaves mid-request: the
// command's own check that the server listens must not be the client that kills it, under
// -exec as under -addr. The full run the report suggests is one to paste: under -exec, the
// same command, as the server doctor started is stopped by then.
func TestDoctorDoesNotKillTheServerItChecks(t *testing.T) {
	exec := mutantServer(t) + " -fault real-list-name-len -addr 127.0.0.1:{port} -read-timeout 2s"
	addr := startMutant(t, "real-list-name-len")
	for _, tc := range []struct {
		args    []string
		fullRun string
	}{
		{[]string{"doctor", "-exec", exec, "-no-crash-probes"}, "a full run (conform -exec " + shellQuote(exec) + ") speaks around these"},
		{[]string{"doctor", "-addr", addr, "-no-crash-probes"}, "a full run (conform -addr " + addr + ") speaks around these"},
	} {
		code, out, errs := conform(t, tc.args...)
		if code != exitFail || !strings.Contains(out, "[list-needs-name-len]") || strings.Contains(out, "died-during-diagnosis") ||
			strings.Contains(out, "[no-answer]") || strings.Contains(out, "[nothing-listens]") {
			t.Errorf("%q: exit %d\n%s\n%s", tc.args[1], code, out, errs)
		}
		if !strings.Contains(out, tc.fullRun) {
			t.Errorf("%q: no %q in\n%s", tc.args[1], tc.fullRun, out)
		}
	}
}

func TestDoctorUnreachableExit3(t *testing.T) {
	if code, _, errs := conform(t, "doctor", "-addr", fakepeer.ClosedAddr(t), "-timeout", "1s"); code != exitUnreachable {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestRerunCommandNamesTheFailedCases(t *testing.T) {
	rep := reportWith(map[string]string{"backup/new": "fail", "list/after-backups": "pass", "restore/missing-1001": "fail"})
	got := rerunCommand([]string{"-addr", "127.0.0.1:9", "-run", "^backup/", "-format=json", "-o", "r.json", "-exec", "./srv --port 9"}, rep)
	want := `conform -addr 127.0.0.1:9 -exec './srv --port 9' -run '^(backup/new|restore/missing-1001)$'`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if rerunCommand(nil, reportWith(map[string]string{"backup/new": "pass"})) != "" {
		t.Error("a command for a run that failed nothing")
	}
}

// reportWith is a report whose results have the given verdicts, in ID order.
func reportWith(verdicts map[string]string) *report.Report {
	rep := &report.Report{}
	for _, id := range slices.Sorted(maps.Keys(verdicts)) {
		rep.Results = append(rep.Results, report.Result{ID: id, Status: report.Verdict(verdicts[id])})
	}
	return rep
}

func TestProgressLineRewritesItself(t *testing.T) {
	var b strings.Builder
	line := newProgressLine(&b)
	line.update(servertest.Progress{Total: 80, Done: 23, Failed: 2})
	line.update(servertest.Progress{Total: 80, Done: 24, Failed: 2})
	line.clear()
	out := b.String()
	if !strings.Contains(out, "\r\x1b[Kconform: case 23/80, 2 failed, ") || !strings.Contains(out, "case 24/80") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Fatalf("%q", out)
	}
}

// The live line goes to a terminal only: a run whose stderr is a pipe or a file gets none.
func TestNoProgressLineOutsideATerminal(t *testing.T) {
	_, _, errs := conform(t, append(fast, "-run", "^backup/new$")...)
	if strings.Contains(errs, "\x1b[K") {
		t.Fatalf("stderr %q", errs)
	}
}
