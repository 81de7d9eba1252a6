package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
)

// A server wrong in several ways at once, which dies of every client that leaves mid-request
// and is restarted each time: its text report names every problem, ID and summary, in its first
// 40 lines, and tells its many crashes, which all ended the same way, in one line with a count.
func TestFirstScreenOfAMultiFaultServer(t *testing.T) {
	exec := mutantServer(t) + " -fault real-list-name-len -addr 127.0.0.1:{port} -read-timeout 2s"
	jsonFile := filepath.Join(t.TempDir(), "report.json")
	out, _ := conformExit(t, exitFail, append([]string{"-exec", exec, "-o", jsonFile, "-format", "json"}, fast...)...)
	var rep report.Report
	readJSON(t, jsonFile, &rep)
	if len(rep.Problems) < 4 || len(rep.Crashes) < 3 {
		t.Fatalf("%d problems and %d crashes: the test shows nothing (%s)", len(rep.Problems), len(rep.Crashes), out)
	}
	var text strings.Builder
	if err := rep.WriteText(&text, report.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	screen := strings.Join(lines[:min(40, len(lines))], "\n")
	for _, p := range rep.Problems {
		if !strings.Contains(screen, "["+p.ID+"] ") || !strings.Contains(screen, p.Summary) {
			t.Errorf("problem %s (%q) is not in the first 40 lines:\n%s", p.ID, p.Summary, screen)
		}
	}
	var crashLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "server stopped answering") {
			crashLines = append(crashLines, l)
		}
	}
	want := "server stopped answering " + strconv.Itoa(len(rep.Crashes)) + " times, after cases " + rep.Crashes[0].After + ", "
	if len(crashLines) != 1 || !strings.HasPrefix(crashLines[0], want) {
		t.Errorf("crash lines %q, want one that begins %q", crashLines, want)
	}
}

// A server that dies and then ends at startup when started again, with an error of its own, is
// reported once with what it said, and not started again: two starts in all.
func TestRestartThatEndsAtStartupIsNotRetried(t *testing.T) {
	state := filepath.Join(t.TempDir(), "starts")
	exec := mutantServer(t) + " -fault dies-on-unknown-op -fail-restarts -state " + state + " -addr 127.0.0.1:{port} -read-timeout 2s"
	code, out, errs := conform(t, append([]string{"-exec", exec, "-parallel", "1",
		"-run", `^(backup/new|security/unknown-op|security/backup-name-slash|security/backup-name-dot)$`}, fast...)...)
	if code != exitFail {
		t.Fatalf("exit %d: %s\n%s", code, out, errs)
	}
	var crashLines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "server stopped answering") {
			crashLines = append(crashLines, l)
		}
	}
	if len(crashLines) != 1 || !strings.Contains(crashLines[0], "fatal: cannot open the store: locked by a previous run") ||
		!strings.Contains(crashLines[0], "could not be started again") {
		t.Errorf("crash lines %q in\n%s", crashLines, out)
	}
	if !strings.Contains(out, "1 problem:") {
		t.Errorf("want one problem, the crash:\n%s", out)
	}
	if b, err := os.ReadFile(state); err != nil || string(b) != "2\n" {
		t.Errorf("starts %q, %v; want 2: the first and the one restart", b, err)
	}
}
