package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/matrix"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/headless"
)

// batchCases are the cases the batch tests run: the point is the batching, so a few cases that
// the zoo's faults below fail.
const batchCases = `^(backup/new|backup/overwrite|restore/missing-1001|delete/then-restore-1001|delete/missing-1001|list/after-backups|list/after-delete|list/empty-after-delete-all|list/other-users-hidden|security/traversal-cross-user-write|security/traversal-cross-user-read|security/unsafe-name-restore|security/backup-name-dotdot|security/backup-name-slash)$`

// zooSubmission is a folder of the batch: a build script and a server started as a course's
// submission is, by a script of its own.
type zooSubmission struct {
	name   string
	server string // the server script's body; "" for none
	build  string // the build script's body
	// verdict is the row's; problems the least number of problems it must show; reason a part
	// of the reason of a row without a report.
	verdict  string
	problems int
	reason   string
}

// zooSubmissions are a dozen servers: correct ones (in Go and in Python, and with the
// variations the spec allows), ones with one fault and with several, one that does not build
// and one that does not start.
func zooSubmissions(t *testing.T) []zooSubmission {
	mutant := mutantServer(t)
	py, err := filepath.Abs("../../conformance/internal/realzoo/server.py")
	if err != nil {
		t.Fatal(err)
	}
	goServer := func(faults string) string {
		return fmt.Sprintf("exec %s -fault %s -addr 127.0.0.1:$1\n", shellQuote(mutant), faults)
	}
	pyServer := func(fault string) string {
		return fmt.Sprintf("exec python3 %s --port $1 --root \"$(dirname \"$0\")/store\" --fault %s\n", shellQuote(py), fault)
	}
	ok := "exit 0\n"
	return []zooSubmission{
		{name: "alice", server: goServer("none"), build: ok, verdict: report.RunPass},
		{name: "bob", server: goServer("list-crlf"), build: ok, verdict: report.RunPass},
		{name: "carol", server: goServer("list-no-final-newline"), build: ok, verdict: report.RunPass},
		{name: "dave", server: pyServer("none"), build: ok, verdict: report.RunPass},
		{name: "erin", server: goServer("missing-file-1003"), build: ok, verdict: report.RunFail, problems: 1},
		{name: "frank", server: goServer("traversal-write,delete-ignored"), build: ok, verdict: report.RunFail, problems: 2},
		{name: "grace", server: goServer("list-other-users,overwrite-appends,delete-missing-ok"), build: ok, verdict: report.RunFail, problems: 3},
		{name: "heidi", server: goServer("unsafe-name-accepted,missing-file-1003"), build: ok, verdict: report.RunFail, problems: 2},
		{name: "ivan", server: pyServer("backup-only-check"), build: ok, verdict: report.RunFail, problems: 1},
		{name: "judy", server: goServer("list-stale-after-delete"), build: ok, verdict: report.RunFail, problems: 1},
		{name: "mallory", build: "echo 'server.cpp:12:5: error: expected ; before } token' >&2\nexit 1\n",
			verdict: "error", reason: "server.cpp:12:5: error: expected ;"},
		{name: "oscar", server: "echo 'bind: Address already in use' >&2\nexit 1\n", build: ok, verdict: "error", reason: "bind: Address already in use"},
	}
}

func writeSubmissions(t *testing.T, subs []zooSubmission) (root string, dirs []string) {
	root = t.TempDir()
	for _, s := range subs {
		dir := filepath.Join(root, "subs", s.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "build.sh"), []byte(s.build), 0o644); err != nil {
			t.Fatal(err)
		}
		if s.server != "" {
			if err := os.WriteFile(filepath.Join(dir, "server"), []byte("#!/bin/sh\n"+s.server), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		dirs = append(dirs, dir)
	}
	return root, dirs
}

// runBatchOf runs conform batch over the zoo and returns the reports folder and stderr.
func runBatchOf(t *testing.T, subs []zooSubmission) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Fatalf("python3: %v", err)
	}
	root, dirs := writeSubmissions(t, subs)
	reports := filepath.Join(root, "reports")
	args := append([]string{"batch", "-build", "sh build.sh", "-exec", "{dir}/server {port}", "-parallel", "4", "-reports", reports}, dirs...)
	args = append(args, "--", "-run", batchCases)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	if code != exitFail {
		t.Fatalf("conform batch exited %d, want %d (some submissions fail)\nstdout:\n%s\nstderr:\n%s", code, exitFail, &stdout, &stderr)
	}
	return reports, stderr.String()
}

// TestBatchZoo is the batch a grader runs: a dozen submissions, each with its reports, and a
// matrix whose every row says what became of its submission.
func TestBatchZoo(t *testing.T) {
	subs := zooSubmissions(t)
	reports, log := runBatchOf(t, subs)

	// Progress: one line per submission, counting down.
	if n := strings.Count(log, "conform batch: ["); n != len(subs) {
		t.Errorf("%d progress lines, want %d:\n%s", n, len(subs), log)
	}
	if !strings.Contains(log, fmt.Sprintf("[%d/%d]", len(subs), len(subs))) || !strings.Contains(log, "; 0 left") {
		t.Errorf("the progress never says the last one is done:\n%s", log)
	}

	var m matrix.Matrix
	var out bytes.Buffer
	// A page lost is written anew from its JSON report by -pages.
	if err := os.Remove(filepath.Join(reports, "alice.html")); err != nil {
		t.Fatal(err)
	}
	if code := run(context.Background(), []string{"matrix", "-pages", "-format", "json", "-o", filepath.Join(reports, "all.json"), reports}, &out, &out); code != exitPass {
		t.Fatalf("conform matrix exited %d: %s", code, &out)
	}
	readJSON(t, filepath.Join(reports, "all.json"), &m)
	page, err := os.ReadFile(filepath.Join(reports, "matrix.html"))
	if err != nil {
		t.Fatal(err)
	}
	csvRows, err := os.ReadFile(filepath.Join(reports, "matrix.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("in a browser", func(t *testing.T) {
		// The batch's own page, and a red cell of it followed to its case.
		p := headless.Open(t, headless.FileURL(t, filepath.Join(reports, "matrix.html"), "", ""))
		if len(p.Console) > 0 || len(p.Requests) > 0 {
			t.Errorf("console %q, requests %q", p.Console, p.Requests)
		}
		cell := regexp.MustCompile(`<td class="c st-fail"[^>]*><a href="(frank\.html#case-([^"]+))"`).FindStringSubmatch(p.DOM)
		if cell == nil {
			t.Fatal("no failing cell of frank on the matrix page")
		}
		q := headless.Open(t, "file://"+filepath.ToSlash(filepath.Join(reports, cell[1])))
		landed := regexp.MustCompile(`<details class="case target" id="case-([^"]+)" data-state="fail"[^>]*open=""`).FindAllStringSubmatch(q.DOM, -1)
		if len(landed) != 1 || landed[0][1] != cell[2] || !strings.Contains(q.DOM, "<h1>frank: conformance of") {
			t.Errorf("the link %s landed on %q", cell[1], landed)
		}
	})
	for _, s := range subs {
		t.Run(s.name, func(t *testing.T) {
			line := csvLine(t, csvRows, s.name)
			if got := line[2]; got != s.verdict {
				t.Errorf("verdict %q in the CSV, want %q: %q", got, s.verdict, line)
			}
			if !bytes.Contains(page, []byte(`data-name="`+s.name+`"`)) {
				t.Errorf("the matrix page has no row for %s", s.name)
			}
			jsonPath := filepath.Join(reports, s.name+".json")
			htmlPath := filepath.Join(reports, s.name+".html")
			if s.verdict == "error" {
				if reason := line[8]; !strings.Contains(reason, s.reason) {
					t.Errorf("reason %q, want it to say %q", reason, s.reason)
				}
				// The folder's matrix has the row too, from NAME.failed.
				if row := matrixRow(t, &m, s.name); row.Verdict != "error" || !strings.Contains(row.Reason, s.reason) {
					t.Errorf("the folder's matrix: %+v", row)
				}
				for _, p := range []string{jsonPath, htmlPath} {
					if _, err := os.Stat(p); err == nil {
						t.Errorf("%s exists for a submission that never ran", p)
					}
				}
				return
			}
			row := matrixRow(t, &m, s.name)
			if row.Verdict != s.verdict || len(row.Problems) < s.problems {
				t.Errorf("verdict %s with problems %v, want %s with at least %d", row.Verdict, row.Problems, s.verdict, s.problems)
			}
			if s.verdict == report.RunPass && (row.MustPassed != row.MustJudged || row.MustJudged == 0) {
				t.Errorf("a passing server passed %d of %d MUST cases", row.MustPassed, row.MustJudged)
			}
			html, err := os.ReadFile(htmlPath)
			if err != nil {
				t.Fatal(err)
			}
			// Every link of the row lands on a case of the submission's own report.
			for _, c := range row.Cells {
				file, anchor, _ := strings.Cut(c.Link, "#")
				if file != s.name+".html" || !bytes.Contains(html, []byte(`id="`+anchor+`"`)) {
					t.Errorf("cell of %s links to %q, which is not a case of %s", c.Case, c.Link, htmlPath)
				}
			}
		})
	}
}

// csvLine is the matrix.csv line of the implementation name.
func csvLine(t *testing.T, csvText []byte, name string) []string {
	t.Helper()
	lines, err := csv.NewReader(bytes.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		if line[0] == name {
			return line
		}
	}
	t.Fatalf("matrix.csv has no line for %s:\n%s", name, csvText)
	return nil
}

func matrixRow(t *testing.T, m *matrix.Matrix, name string) *matrix.Row {
	t.Helper()
	i := slices.IndexFunc(m.Rows, func(r matrix.Row) bool { return r.Name == name })
	if i < 0 {
		t.Fatalf("the matrix has no row %s", name)
	}
	return &m.Rows[i]
}

// TestBatchClients runs a batch of clients: a correct one, two wrong ones and one that does not
// build.
func TestBatchClients(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "badclient")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/fbpkit/fbp/conformance/clienttest/internal/badclients/badclient").CombinedOutput(); err != nil {
		t.Fatalf("building badclient: %v\n%s", err, b)
	}
	root := t.TempDir()
	want := map[string]string{"ann": "none", "ben": "ops-1-4", "cat": "version-4", "dan": ""}
	var dirs []string
	for name, fault := range want {
		dir := filepath.Join(root, name)
		os.MkdirAll(dir, 0o755)
		build := "exit 0"
		if fault == "" {
			build = "echo 'client.py: SyntaxError: invalid syntax' >&2; exit 1"
		}
		os.WriteFile(filepath.Join(dir, "build.sh"), []byte(build), 0o644)
		os.WriteFile(filepath.Join(dir, "fault"), []byte(fault), 0o644)
		dirs = append(dirs, dir)
	}
	reports := filepath.Join(root, "reports")
	args := append([]string{"batch", "-build", "sh build.sh", "-client", shellQuote(bin) + ` -fault "$(cat {dir}/fault)" run`, "-reports", reports, "-format", "csv"}, dirs...)
	args = append(args, "--", "-run", `^(run|request|user)/`)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, &stdout, &stderr)
	}
	csvText, err := os.ReadFile(filepath.Join(reports, "matrix.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for name, fault := range want {
		line := csvLine(t, csvText, name)
		verdict := map[string]string{"none": report.RunPass, "": "error"}[fault]
		if verdict == "" {
			verdict = report.RunFail
		}
		if line[1] != matrix.KindClient || line[2] != verdict {
			t.Errorf("%s (%q): %q, want a client's row with verdict %s", name, fault, line[:9], verdict)
		}
		if fault != "" {
			if _, err := os.Stat(filepath.Join(reports, name+".html")); err != nil {
				t.Errorf("no HTML report of %s: %v", name, err)
			}
		}
	}
}

func TestBatchUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"batch", dir}, "give -exec (servers) or -client (clients)"},
		{[]string{"batch", "-exec", "{dir}/server 9000", dir}, "the same port"},
		{[]string{"batch", "-exec", "{dir}/server {port}", "-client", "x", dir}, "one of them"},
		{[]string{"batch", "-exec", "{dir}/server {port}"}, "no submission"},
		{[]string{"batch", "-exec", "{dir}/server {port}", filepath.Join(dir, "nope")}, "not a folder"},
		{[]string{"batch", "-exec", "{dir}/server {port}", dir, "--", "-run", "("}, "-run"},
		{[]string{"batch", "-exec", "{dir}/server {port}", "-format", "pdf", dir}, `-format "pdf"`},
		{[]string{"matrix"}, "no report"},
		{[]string{"matrix", "-by", "section", dir}, `-by "section"`},
		{[]string{"matrix", dir}, "no JSON report"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, &stderr, exitUsage, c.want)
		}
	}
}
