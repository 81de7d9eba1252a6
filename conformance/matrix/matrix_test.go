package matrix

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
)

func result(id string, level report.Level, status report.Verdict, reqs ...string) report.Result {
	section, _, _ := strings.Cut(id, "/")
	return report.Result{ID: id, Section: section, Level: level, Reqs: reqs, Status: status, Desc: "the case " + id}
}

func sample() []Entry {
	a := &report.Report{Schema: report.Schema, Name: "alpha", Target: "127.0.0.1:1", Dialect: "canonical",
		Results: []report.Result{
			result("backup/new", report.Must, report.VerdictPass, "R-4.1"),
			result("backup/overwrite", report.Must, report.VerdictFail, "R-4.1"),
			result("list/after", report.Should, report.VerdictFail, "R-4.4"),
			result("restore/missing", report.Must, report.VerdictSkip, "R-4.2"),
		},
		Problems: []report.Problem{{ID: "overwrite-appends", Requirement: "R-4.1", Level: report.Must, Summary: "appends"}}}
	b := &report.Report{Schema: report.Schema, Name: "beta", Target: "127.0.0.1:2", Dialect: "seed-003",
		Results: []report.Result{
			result("backup/new", report.Must, report.VerdictPass, "R-4.1"),
			result("backup/overwrite", report.Must, report.VerdictPass, "R-4.1"),
			result("list/after", report.Should, report.VerdictPass, "R-4.4"),
			result("restore/missing", report.Must, report.VerdictBlocked, "R-4.2"),
			result("delete/new-in-v2", report.Must, report.VerdictFail, "R-4.3"),
		},
		Problems: []report.Problem{{ID: "overwrite-appends", Requirement: "R-4.1", Level: report.Must}, {ID: "delete-ignored", Requirement: "R-4.3", Level: report.Must}}}
	c := &report.Report{Schema: report.Schema, Target: "the client python3 client.py", Dialect: "canonical",
		Results: []report.Result{result("run/connects", report.Must, report.VerdictPass, "R-7.4", "R-7.10")}}
	for _, r := range []*report.Report{a, b, c} {
		r.Summarize()
	}
	return []Entry{
		{Name: "alpha", Report: a, HTML: "alpha.html"},
		{Name: "beta", Report: b},
		{Name: "client-carl", Report: c, HTML: "sub dir/carl.html"},
		{Name: "dan", Reason: "build failed: main.cpp:3: error"},
	}
}

func cell(t *testing.T, m *Matrix, row, col string) Cell {
	t.Helper()
	for _, r := range m.Rows {
		if r.Name != row {
			continue
		}
		for j, c := range m.Columns {
			if c.ID == col {
				return r.Cells[j]
			}
		}
	}
	t.Fatalf("no cell %s × %s", row, col)
	return Cell{}
}

// build is the matrix of sample() by case or requirement; it must build.
func build(t *testing.T, by string) *Matrix {
	t.Helper()
	m, err := Build(sample(), by)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// columns are m's columns, one word each as name spells it, in order.
func columns(m *Matrix, name func(Column) string) string {
	var ids []string
	for _, c := range m.Columns {
		ids = append(ids, name(c))
	}
	return strings.Join(ids, " ")
}

func TestBuildByCase(t *testing.T) {
	m := build(t, ByCase)
	// Servers' columns first, grouped by section in the order met; then the clients'.
	want := "server:backup/new server:backup/overwrite server:list/after server:restore/missing server:delete/new-in-v2 client:run/connects"
	if got := columns(m, func(c Column) string { return c.Kind + ":" + c.ID }); got != want {
		t.Errorf("columns %s\nwant    %s", got, want)
	}
	for _, tc := range []struct{ row, col, state, link string }{
		{"alpha", "backup/new", "pass", "alpha.html#case-backup/new"},
		{"alpha", "backup/overwrite", "fail", "alpha.html#case-backup/overwrite"},
		{"alpha", "list/after", "warn", "alpha.html#case-list/after"},
		{"alpha", "delete/new-in-v2", "none", ""},
		{"beta", "restore/missing", "blkd", ""},
		{"client-carl", "run/connects", "pass", "sub dir/carl.html#case-run/connects"},
		{"client-carl", "backup/new", "none", ""},
		{"dan", "backup/new", "none", ""},
	} {
		if c := cell(t, m, tc.row, tc.col); c.State != tc.state || c.Link != tc.link {
			t.Errorf("%s × %s: %+v, want state %s link %q", tc.row, tc.col, c, tc.state, tc.link)
		}
	}
	rows := map[string]Row{}
	for _, r := range m.Rows {
		rows[r.Name] = r
	}
	// A skipped MUST case is not judged; a blocked one is judged and not passed.
	if r := rows["alpha"]; r.MustPassed != 1 || r.MustJudged != 2 || r.Verdict != report.RunFail || len(r.Problems) != 1 {
		t.Errorf("alpha: %+v", r)
	}
	if r := rows["beta"]; r.MustPassed != 2 || r.MustJudged != 4 {
		t.Errorf("beta: passed %d of %d MUST", r.MustPassed, r.MustJudged)
	}
	if r := rows["dan"]; r.Verdict != "error" || r.Reason == "" || r.MustRate != -1 || r.Rate() != "-" {
		t.Errorf("dan: %+v", r)
	}
	if got := m.Problems[0]; got.ID != "overwrite-appends" || got.Count != 2 {
		t.Errorf("the most shared problem is %+v", got)
	}
	if got := strings.Join(m.Having("delete-ignored"), ","); got != "beta" {
		t.Errorf("delete-ignored is had by %s", got)
	}
	diffs := strings.Join(m.Differences, "\n")
	for _, want := range []string{"canonical (alpha)", "seed-003 (beta)", "delete/new-in-v2 (1 of 2)"} {
		if !strings.Contains(diffs, want) {
			t.Errorf("the differences do not say %q:\n%s", want, diffs)
		}
	}
}

func TestBuildByRequirement(t *testing.T) {
	m := build(t, ByRequirement)
	if got := columns(m, func(c Column) string { return c.ID }); got != "R-4.1 R-4.2 R-4.3 R-4.4 R-7.4 R-7.10" {
		t.Errorf("columns %s", got)
	}
	// A requirement's cell is its worst case, and links to it.
	if c := cell(t, m, "alpha", "R-4.1"); c.State != "fail" || c.Case != "backup/overwrite" {
		t.Errorf("alpha × R-4.1: %+v", c)
	}
	if _, err := Build(sample(), "section"); err == nil {
		t.Error("Build by section: no error")
	}
}

func TestWrite(t *testing.T) {
	m := build(t, ByCase)
	var text, csv, page bytes.Buffer
	if err := m.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if err := m.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"alpha", "1/2 (50%)", "build failed: main.cpp:3: error", "[overwrite-appends]", "2 of 4: alpha, beta"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, &text)
		}
	}
	if !strings.Contains(csv.String(), "alpha,server,fail,1,2,0.5000,1,overwrite-appends,,pass,fail,warn,skip,none,none\n") {
		t.Errorf("the CSV:\n%s", &csv)
	}
	for _, want := range []string{`href="alpha.html#case-backup/overwrite"`, `href="sub%20dir/carl.html#case-run/connects"`,
		`href="alpha.html#problem-overwrite-appends"`, `data-name="dan"`} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, ref := range []string{"http:", "https:", "src=", "<link", "@import", "url("} {
		if strings.Contains(page.String(), ref) {
			t.Errorf("the page refers to something outside it: %q", ref)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	r := sample()[0].Report
	r.Name = ""
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "reports", "team-7.json")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, b.Bytes(), 0o644)
	e, err := Load(path, dir)
	if err != nil || e.Name != "team-7" || e.HTML != "" {
		t.Fatalf("Load: %+v, %v", e, err)
	}
	os.WriteFile(filepath.Join(dir, "reports", "team-7.html"), nil, 0o644)
	if e, _ := Load(path, dir); e.HTML != "reports/team-7.html" {
		t.Errorf("HTML %q, want the page beside the report, from the matrix's folder", e.HTML)
	}
	failed := filepath.Join(dir, "reports", "team-8"+FailedExt)
	os.WriteFile(failed, []byte("build failed:\nmain.cpp:3: error: expected ';'\n"), 0o644)
	if e, err := LoadFailed(failed); err != nil || e.Name != "team-8" || e.Reason != "build failed: main.cpp:3: error: expected ';'" || e.Report != nil {
		t.Errorf("LoadFailed: %+v, %v", e, err)
	}
	os.WriteFile(path, []byte(`{"schema":"fbp-conform-fuzz/1"}`), 0o644)
	if _, err := Load(path, dir); err == nil || !strings.Contains(err.Error(), "schema") {
		t.Errorf("Load of another schema: %v", err)
	}
}

// benchReports writes n reports of the catalog's size: 88 cases, a fifth failing, each
// failure with an exchange, and a few problems.
func benchReports(b *testing.B, n int) []string {
	dir := b.TempDir()
	var paths []string
	for i := range n {
		r := &report.Report{Schema: report.Schema, Name: fmt.Sprintf("team-%03d", i), Target: "127.0.0.1:1", Dialect: "canonical"}
		for k := range 88 {
			res := result(fmt.Sprintf("section%d/case-%d", k%6, k), report.Must, report.VerdictPass, fmt.Sprintf("R-%d.%d", k%6+1, k%4+1))
			if (k+i)%5 == 0 {
				res.Status = report.VerdictFail
				res.Failures = []report.Failure{{Requirement: res.Reqs[0], Expected: "212", Actual: "1003", Exchange: 0}}
				res.Exchanges = []report.Exchange{{Label: "BACKUP", Sent: report.Clip{Head: bytes.Repeat([]byte{7}, 64), Total: 4096}, Received: report.Clip{Head: []byte{1, 0xeb, 3}, Total: 3}}}
				res.Problem = fmt.Sprintf("problem-%d", k%7)
			}
			r.Results = append(r.Results, res)
		}
		for p := range 1 + i%5 {
			r.Problems = append(r.Problems, report.Problem{ID: fmt.Sprintf("problem-%d", p), Requirement: "R-4.1", Level: report.Must, Summary: "a fault", Cases: []string{"section0/case-0"}})
		}
		r.Summarize()
		path := filepath.Join(dir, r.Name+".json")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteJSON(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
		os.WriteFile(filepath.Join(dir, r.Name+".html"), nil, 0o644)
		paths = append(paths, path)
	}
	return paths
}

// BenchmarkMatrix200 is `conform matrix -o matrix.html` of 200 reports: reading them, merging
// them and writing the page.
func BenchmarkMatrix200(b *testing.B) {
	paths := benchReports(b, 200)
	dir := filepath.Dir(paths[0])
	var page bytes.Buffer
	for b.Loop() {
		entries := make([]Entry, 0, len(paths))
		for _, p := range paths {
			e, err := Load(p, dir)
			if err != nil {
				b.Fatal(err)
			}
			entries = append(entries, e)
		}
		m, err := Build(entries, ByCase)
		if err != nil {
			b.Fatal(err)
		}
		page.Reset()
		if err := m.WriteHTML(&page); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(page.Len())/(1<<20), "MiB/page")
}
