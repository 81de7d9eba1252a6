package matrix

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/headless"
)

var cellLink = regexp.MustCompile(`<td class="c st-([a-z]+)"[^>]*><a href="([^"]+)" data-case="([^"]+)">`)

// TestMatrixInBrowser opens a matrix of reports whose pages lie in a folder beside it, and
// follows a link of every row to the case it names.
func TestMatrixInBrowser(t *testing.T) {
	dir := t.TempDir()
	entries := sample()
	for i := range entries {
		e := &entries[i]
		if e.Report == nil {
			continue
		}
		e.HTML = "reports/" + e.Name + ".html"
		headless.WritePage(t, filepath.Join(dir, e.HTML), e.Report.WriteHTML)
	}
	m, err := Build(entries, ByCase)
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "matrix.html")
	headless.WritePage(t, page, m.WriteHTML)

	p := headless.Open(t, headless.FileURL(t, page, "", ""))
	if len(p.Console) > 0 || len(p.Requests) > 0 {
		t.Errorf("console %q, requests %q", p.Console, p.Requests)
	}
	for _, r := range m.Rows {
		if !strings.Contains(p.DOM, `data-name="`+r.Name+`"`) {
			t.Errorf("no row %s on the page", r.Name)
		}
	}
	if !strings.Contains(p.DOM, "build failed: main.cpp:3: error") {
		t.Error("the row of a submission that did not build does not say why")
	}
	links := cellLink.FindAllStringSubmatch(p.DOM, -1)
	if len(links) == 0 {
		t.Fatal("no cell links on the page")
	}
	followed := map[string]bool{}
	for _, l := range links {
		state, href, id := l[1], l[2], l[3]
		file, _, _ := strings.Cut(href, "#")
		if followed[file] || state == "none" {
			continue
		}
		followed[file] = true
		t.Run(file, func(t *testing.T) {
			var row *Row
			for i := range m.Rows {
				if m.Rows[i].Report == file {
					row = &m.Rows[i]
				}
			}
			target := headless.Open(t, "file://"+filepath.ToSlash(filepath.Join(dir, href)))
			if len(target.Console) > 0 || len(target.Requests) > 0 {
				t.Errorf("console %q, requests %q", target.Console, target.Requests)
			}
			if row == nil || !strings.Contains(target.DOM, "conformance of <code>"+row.Target+"</code></h1>") {
				t.Errorf("the link %s landed on another implementation's report", href)
			}
			landed := regexp.MustCompile(`<details class="case target" id="([^"]+)" data-state="([a-z]+)"[^>]*open=""`).FindAllStringSubmatch(target.DOM, -1)
			if len(landed) != 1 || landed[0][1] != report.CaseAnchor(id) || landed[0][2] != state {
				t.Errorf("the link %s (a %s cell) landed on %q", href, state, landed)
			}
		})
	}
	for _, tc := range []struct{ query, want string }{
		{"sort=problems&dir=desc", "beta alpha client-carl dan"},
		{"sort=must&dir=asc", "dan alpha beta client-carl"},
		{"sort=name&dir=desc", "dan client-carl beta alpha"},
	} {
		sorted := headless.Open(t, headless.FileURL(t, page, tc.query, ""))
		var order []string
		for _, m := range regexp.MustCompile(`<tr data-name="([^"]+)"`).FindAllStringSubmatch(sorted.DOM, -1) {
			order = append(order, m[1])
		}
		if got := strings.Join(order, " "); got != tc.want {
			t.Errorf("?%s: rows %s, want %s", tc.query, got, tc.want)
		}
	}
	if len(followed) < 2 {
		t.Errorf("links to %d reports followed, want every report's", len(followed))
	}
}
