package report

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/internal/headless"
)

// The HTML report in a real browser: headless Chromium opens it, runs its script, and the DOM
// it leaves says what a reader sees.

// writePage writes a page to a file of its own and returns its path.
func writePage(t testing.TB, write func(io.Writer) error) string {
	path := filepath.Join(t.TempDir(), "report.html")
	headless.WritePage(t, path, write)
	return path
}

// domCase is a case's element as the browser left it.
type domCase struct {
	id, state, level, section string
	hidden, open, target      bool
}

var (
	domCaseTag = regexp.MustCompile(`<details class="case[^"]*"[^>]*>`)
	domAttr    = regexp.MustCompile(`([a-z-]+)="([^"]*)"`)
)

func domCases(dom string) []domCase {
	var out []domCase
	for _, tag := range domCaseTag.FindAllString(dom, -1) {
		c := domCase{}
		for _, m := range domAttr.FindAllStringSubmatch(tag, -1) {
			switch m[1] {
			case "id":
				c.id = m[2]
			case "data-state":
				c.state = m[2]
			case "data-level":
				c.level = m[2]
			case "data-section":
				c.section = m[2]
			case "hidden":
				c.hidden = true
			case "open":
				c.open = true
			case "class":
				c.target = strings.Contains(m[2], "target")
			}
		}
		out = append(out, c)
	}
	return out
}

// checkClean fails the test when the page wrote to its console or asked the network.
func checkClean(t *testing.T, p headless.Page) {
	t.Helper()
	if len(p.Console) > 0 {
		t.Errorf("the page wrote to the console:\n%s", strings.Join(p.Console, "\n"))
	}
	if len(p.Requests) > 0 {
		t.Errorf("the page made network requests: %q", p.Requests)
	}
}

// TestHeadlessSeesFaults shows the browser checks can fail: a page with a script error and an
// image from the network is caught by both.
func TestHeadlessSeesFaults(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.html")
	os.WriteFile(path, []byte(`<!DOCTYPE html><html><body><img src="http://example.invalid/x.png"><script>no_such_function()</script></body></html>`), 0o644)
	p := headless.Open(t, headless.FileURL(t, path, "", ""))
	if len(p.Console) == 0 || !strings.Contains(strings.Join(p.Console, "\n"), "no_such_function") {
		t.Errorf("the script error did not reach the console: %q", p.Console)
	}
	if len(p.Requests) == 0 {
		t.Error("the image's request was not counted")
	}
}

func TestHTMLInBrowser(t *testing.T) {
	t.Parallel()
	r := fixedReport()
	path := writePage(t, r.WriteHTML)

	t.Run("opened", func(t *testing.T) {
		t.Parallel()
		p := headless.Open(t, headless.FileURL(t, path, "", ""))
		checkClean(t, p)
		for i := range r.Problems {
			if !strings.Contains(p.DOM, `id="`+ProblemAnchor(r.Problems[i].ID)+`"`) {
				t.Errorf("problem %s is not on the page", r.Problems[i].ID)
			}
		}
		cases := domCases(p.DOM)
		if len(cases) != len(r.Results) {
			t.Fatalf("%d cases on the page, want %d", len(cases), len(r.Results))
		}
		for _, c := range cases {
			if c.hidden {
				t.Errorf("%s is hidden with no filter set", c.id)
			}
		}
		if !strings.Contains(p.DOM, `<span id="shown">`+strconv.Itoa(len(r.Results))+`</span>`) {
			t.Error("the count of cases shown is not every case")
		}
	})

	for _, tc := range []struct {
		query string
		shown func(c domCase) bool
	}{
		{"state=fail&level=MUST", func(c domCase) bool { return c.state == "fail" && c.level == "MUST" }},
		{"state=fail,warn,blkd", func(c domCase) bool { return c.state == "fail" || c.state == "warn" || c.state == "blkd" }},
		{"section=delete", func(c domCase) bool { return c.section == "delete" }},
		{"level=SHOULD&section=backup", func(c domCase) bool { return c.level == "SHOULD" && c.section == "backup" }},
	} {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			p := headless.Open(t, headless.FileURL(t, path, tc.query, ""))
			checkClean(t, p)
			shown := 0
			for _, c := range domCases(p.DOM) {
				if want := tc.shown(c); c.hidden == want {
					t.Errorf("%s (%s %s %s): hidden %v, want %v", c.id, c.state, c.level, c.section, c.hidden, !want)
				}
				if !c.hidden {
					shown++
				}
			}
			if shown == 0 || shown == len(r.Results) {
				t.Errorf("the filter shows %d of %d cases: it tells nothing", shown, len(r.Results))
			}
			if !strings.Contains(p.DOM, `<span id="shown">`+strconv.Itoa(shown)+`</span>`) {
				t.Errorf("the page does not say %d cases are shown", shown)
			}
		})
	}

	t.Run("lands on a case", func(t *testing.T) {
		t.Parallel()
		// Even one the filters hide: a link to a case shows it.
		target := "restore/missing-1001"
		p := headless.Open(t, headless.FileURL(t, path, "state=pass", CaseAnchor(target)))
		checkClean(t, p)
		for _, c := range domCases(p.DOM) {
			if landed := c.id == CaseAnchor(target); c.target != landed || landed && (!c.open || c.hidden) {
				t.Errorf("%s: target %v open %v hidden %v", c.id, c.target, c.open, c.hidden)
			}
		}
	})
}

// TestLargeHTMLInBrowser opens a report of a thousand failing cases with 1 MiB of evidence:
// every case is there and the script runs through.
func TestLargeHTMLInBrowser(t *testing.T) {
	t.Parallel()
	r := largeReport(1000, 1<<20)
	path := writePage(t, r.WriteHTML)
	p := headless.Open(t, headless.FileURL(t, path, "state=fail", ""))
	checkClean(t, p)
	if got := len(domCases(p.DOM)); got != len(r.Results) {
		t.Errorf("%d cases on the page, want %d", got, len(r.Results))
	}
	if !strings.Contains(p.DOM, `<span id="shown">1000</span>`) {
		t.Error("the script did not count the cases shown")
	}
}

// BenchmarkOpenLargeHTML is the time Chromium takes to load, script and paint the report of
// TestLargeHTMLInBrowser (a screenshot of its first screen), its start included;
// BenchmarkOpenSmallHTML is that with a page of a few cases: the difference is the page's.
func BenchmarkOpenLargeHTML(b *testing.B) { benchOpen(b, largeReport(1000, 1<<20)) }

func BenchmarkOpenSmallHTML(b *testing.B) { benchOpen(b, fixedReport()) }

func benchOpen(b *testing.B, r *Report) {
	url := headless.FileURL(b, writePage(b, r.WriteHTML), "", "")
	png := filepath.Join(b.TempDir(), "shot.png")
	for b.Loop() {
		headless.Screenshot(b, url, png, 1200, 900)
	}
}

// TestHeadHTMLInBrowser opens the page of a tester's report, which has problems and no cases.
func TestHeadHTMLInBrowser(t *testing.T) {
	t.Parallel()
	h := Head{Schema: "fbp-conform-model/1", Target: "127.0.0.1:1"}
	ex := Exchange{Label: "DELETE", Sent: clipOf([]byte{1, 2, 3}), Received: clipOf([]byte{1, 0xd4, 0}), Outcome: "status 212"}
	h.Judge([]Finding{{Requirement: "R-4.3", Check: "status", Expected: "1001", Actual: "212", Exchange: &ex, Where: "step 3"}}, false)
	path := writePage(t, h.WriteHTML)
	p := headless.Open(t, headless.FileURL(t, path, "", ProblemAnchor(h.Problems[0].ID)))
	checkClean(t, p)
	if !strings.Contains(p.DOM, `id="`+ProblemAnchor(h.Problems[0].ID)+`"`) || !strings.Contains(p.DOM, "00000000  01 d4 00") || strings.Contains(p.DOM, `id="cases"`) {
		t.Errorf("the page lacks its problem or its bytes, or shows cases it has not:\n%s", p.DOM)
	}
}
