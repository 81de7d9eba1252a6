// Package matrix merges the JSON reports of many implementations, servers and clients, into one
// table: a row per implementation, a column per case (or per requirement), each cell the case's
// state and a link to the case in that implementation's HTML report; and a view by problem, which
// says which implementations share a fault. It is what a grader with a course's worth of
// submissions reads first.
package matrix

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/grouped"
)

// Schema names the layout of the matrix's JSON.
const Schema = "fbp-matrix/1"

// Columns of a matrix.
const (
	ByCase        = "case"
	ByRequirement = "requirement"
)

// Kinds of report.
const (
	KindServer = "server"
	KindClient = "client"
)

// Entry is one implementation: its report, or the reason there is none (it did not build, it
// did not start).
type Entry struct {
	Name   string
	Report *report.Report
	// HTML is the address of its HTML report, relative to where the matrix is written; "" when
	// there is none.
	HTML string
	// Reason says why there is no report; Kind then says whether it is a server or a client
	// (default: a server).
	Reason string
	Kind   string
}

// Load reads the JSON report at path. The entry is named by the report's -name, else by the
// file's name without .json; its HTML is the .html beside it, when there is one, addressed
// from the folder outDir.
func Load(path, outDir string) (Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Entry{}, err
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		return Entry{}, fmt.Errorf("%s: not a JSON report of conform: %w", path, err)
	}
	if r.Schema != report.Schema {
		return Entry{}, fmt.Errorf("%s: schema %q, not %q: a report of conform or conform client -format json", path, r.Schema, report.Schema)
	}
	e := Entry{Name: r.Name, Report: &r}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	if e.Name == "" {
		e.Name = filepath.Base(base)
	}
	if html := base + ".html"; fileExists(html) {
		e.HTML = Link(html, outDir)
	}
	return e, nil
}

// FailedExt names a file that stands for a report that could not be made: NAME.failed holds
// the reason (the build's or the start's last lines), and the matrix gives NAME a row saying it.
const FailedExt = ".failed"

// maxReason bounds what a row quotes of a .failed file.
const maxReason = 2000

// LoadFailed reads a NAME.failed file.
func LoadFailed(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReason))
	if err != nil {
		return Entry{}, err
	}
	reason := strings.Join(strings.Fields(string(b)), " ")
	if reason == "" {
		reason = "no report, and no reason given"
	}
	return Entry{Name: strings.TrimSuffix(filepath.Base(path), FailedExt), Reason: reason}, nil
}

// Link addresses the file at path from the folder dir, as a relative link when it can.
func Link(path, dir string) string {
	if rel, err := filepath.Rel(dir, path); err == nil {
		path = rel
	} else if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return filepath.ToSlash(path)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// KindOf says whether a report is a server's or a client's.
func KindOf(r *report.Report) string {
	if strings.HasPrefix(r.Target, "the client") {
		return KindClient
	}
	return KindServer
}

// Column is a case, or a requirement, of the matrix.
type Column struct {
	ID      string       `json:"id"`
	Section string       `json:"section"`
	Level   report.Level `json:"level"`
	Kind    string       `json:"kind"`
	Desc    string       `json:"description,omitempty"`
	// In is how many reports hold it.
	In int `json:"in"`
}

// Cell is one implementation's state of a column: a state word of the HTML report (pass,
// fail, warn, blkd, nrun, skip, info, known, fixed), or none when its report does not hold it.
type Cell struct {
	State string `json:"state"`
	// Case is the case the cell shows: the column's, or, by requirement, the worst of its cases.
	Case string `json:"case,omitempty"`
	Link string `json:"link,omitempty"`
}

// Row is an implementation.
type Row struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Verdict string `json:"verdict"` // pass, fail, incomplete, or error when there is no report
	Target  string `json:"target,omitempty"`
	Dialect string `json:"dialect,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Report  string `json:"report,omitempty"` // its HTML report
	// MustPassed of MustJudged MUST cases passed; MustRate is the share, -1 when none was judged.
	MustPassed int      `json:"must_passed"`
	MustJudged int      `json:"must_judged"`
	MustRate   float64  `json:"must_rate"`
	Problems   []string `json:"problems"`
	Cells      []Cell   `json:"cells"`
}

// ProblemColumn is a problem, with how many implementations have it.
type ProblemColumn struct {
	ID          string       `json:"id"`
	Requirement string       `json:"requirement"`
	Level       report.Level `json:"level"`
	Summary     string       `json:"summary"`
	Count       int          `json:"count"`
}

// Matrix is the merged table.
type Matrix struct {
	Schema   string          `json:"schema"`
	By       string          `json:"by"`
	Columns  []Column        `json:"columns"`
	Problems []ProblemColumn `json:"problems"`
	Rows     []Row           `json:"rows"`
	// Differences say how the reports differ beyond their results: dialects, cases some lack.
	Differences []string `json:"differences,omitempty"`
}

// Has reports whether row has problem id.
func (r *Row) Has(id string) bool { return slices.Contains(r.Problems, id) }

// severity orders states worst first, for a requirement's cell: its worst case.
var severity = map[string]int{"fail": 0, "warn": 1, "blkd": 2, "nrun": 3, "known": 4, "fixed": 5, "pass": 6, "info": 7, "skip": 8, "none": 9}

// Build merges the entries, columns by case or by requirement. Rows keep the entries' order.
func Build(entries []Entry, by string) (*Matrix, error) {
	if by != ByCase && by != ByRequirement {
		return nil, fmt.Errorf("by %q: want %s or %s", by, ByCase, ByRequirement)
	}
	m := &Matrix{Schema: Schema, By: by}
	var cols grouped.List[string, Column]
	var probs grouped.List[string, ProblemColumn]
	for _, e := range entries {
		if e.Report == nil {
			continue
		}
		r := e.Report
		kind := KindOf(r)
		for i := range r.Results {
			res := &r.Results[i]
			ids := []string{res.ID}
			if by == ByRequirement {
				ids = res.Reqs
			}
			for _, id := range ids {
				c := cols.Of(kind+" "+id, func() Column {
					if by == ByRequirement {
						return Column{ID: id, Section: sectionOfReq(id), Level: res.Level, Kind: kind}
					}
					return Column{ID: id, Section: res.Section, Level: res.Level, Kind: kind, Desc: res.Desc}
				})
				if by == ByRequirement && res.Level < c.Level {
					c.Level = res.Level
				}
			}
		}
		for i := range r.Problems {
			p := &r.Problems[i]
			probs.Of(p.ID, func() ProblemColumn {
				return ProblemColumn{ID: p.ID, Requirement: p.Requirement, Level: p.Level, Summary: p.Summary}
			}).Count++
		}
	}
	m.Columns, m.Problems = cols.Groups, probs.Groups
	// Columns: servers' then clients', by section, in the catalog's order within a section
	// (requirements by number).
	order := map[string]int{}
	for i, c := range m.Columns {
		if _, ok := order[c.Kind+" "+c.Section]; !ok {
			order[c.Kind+" "+c.Section] = i
		}
	}
	slices.SortStableFunc(m.Columns, func(a, b Column) int {
		if a.Kind != b.Kind {
			return cmp.Compare(kindRank(a.Kind), kindRank(b.Kind))
		}
		if by == ByRequirement {
			return compareReqs(a.ID, b.ID)
		}
		return cmp.Compare(order[a.Kind+" "+a.Section], order[b.Kind+" "+b.Section])
	})
	colIdx := make(map[string]int, len(m.Columns))
	for j, c := range m.Columns {
		colIdx[c.Kind+" "+c.ID] = j
	}
	slices.SortStableFunc(m.Problems, func(a, b ProblemColumn) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Level, b.Level), cmp.Compare(a.ID, b.ID))
	})

	for _, e := range entries {
		m.Rows = append(m.Rows, m.row(&e, colIdx))
	}
	m.Differences = differences(entries, m)
	return m, nil
}

func kindRank(k string) int {
	if k == KindServer {
		return 0
	}
	return 1
}

func (m *Matrix) row(e *Entry, colIdx map[string]int) Row {
	row := Row{Name: e.Name, Verdict: "error", Reason: e.Reason, Report: e.HTML, MustRate: -1, Problems: []string{}, Cells: make([]Cell, len(m.Columns))}
	for j := range row.Cells {
		row.Cells[j].State = "none"
	}
	r := e.Report
	if r == nil {
		row.Kind = cmp.Or(e.Kind, KindServer)
		return row
	}
	row.Kind, row.Verdict, row.Target, row.Dialect = KindOf(r), r.Verdict, r.Target, r.Dialect
	for i := range r.Problems {
		row.Problems = append(row.Problems, r.Problems[i].ID)
	}
	for i := range r.Results {
		res := &r.Results[i]
		state := r.StateOf(res)
		if res.Level == report.Must && state != "skip" && state != "info" {
			row.MustJudged++
			if state == "pass" || state == "fixed" {
				row.MustPassed++
			}
		}
		ids := []string{res.ID}
		if m.By == ByRequirement {
			ids = res.Reqs
		}
		for _, id := range ids {
			c := &row.Cells[colIdx[row.Kind+" "+id]]
			if c.Case == "" || severity[state] < severity[c.State] {
				c.State, c.Case = state, res.ID
			}
		}
	}
	if row.MustJudged > 0 {
		row.MustRate = float64(row.MustPassed) / float64(row.MustJudged)
	}
	if e.HTML != "" {
		for j := range row.Cells {
			if c := &row.Cells[j]; c.Case != "" {
				c.Link = e.HTML + "#" + report.CaseAnchor(c.Case)
			}
		}
	}
	return row
}

// differences say what the reports do not share: their dialects, and the cases (or
// requirements) only some of them hold, as reports of other catalog versions or of a
// selection do.
func differences(entries []Entry, m *Matrix) []string {
	var out []string
	for _, kind := range []string{KindServer, KindClient} {
		dialects := map[string][]string{}
		n := 0
		for j := range m.Rows {
			row := &m.Rows[j]
			if entries[j].Report == nil || row.Kind != kind {
				continue
			}
			n++
			dialects[row.Dialect] = append(dialects[row.Dialect], row.Name)
			for k := range row.Cells {
				if row.Cells[k].State != "none" {
					m.Columns[k].In++
				}
			}
		}
		if len(dialects) > 1 {
			var parts []string
			for _, d := range slices.Sorted(maps.Keys(dialects)) {
				parts = append(parts, fmt.Sprintf("%s (%s)", d, nameList(dialects[d])))
			}
			out = append(out, fmt.Sprintf("%s reports of different dialects: %s; a case's state is judged in each one's own dialect", kind, strings.Join(parts, ", ")))
		}
		var partial []string
		for _, c := range m.Columns {
			if c.Kind == kind && c.In < n {
				partial = append(partial, fmt.Sprintf("%s (%d of %d)", c.ID, c.In, n))
			}
		}
		if len(partial) > 0 {
			what := "cases"
			if m.By == ByRequirement {
				what = "requirements"
			}
			out = append(out, fmt.Sprintf("%s reports of different catalogs or selections: %d %s are not in every report: %s", kind, len(partial), what, nameList(partial)))
		}
	}
	return out
}

// nameList lists a few names and counts the rest.
func nameList(names []string) string {
	const shown = 8
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
}

// sectionOfReq is a requirement's section: R-4 of.
func sectionOfReq(id string) string {
	s, _, _ := strings.Cut(id, ".")
	return s
}

// compareReqs orders before.
func compareReqs(a, b string) int {
	na, nb := reqNumbers(a), reqNumbers(b)
	if c := slices.Compare(na, nb); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func reqNumbers(id string) []int {
	var out []int
	for part := range strings.SplitSeq(strings.TrimPrefix(id, "R-"), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = 1 << 30
		}
		out = append(out, n)
	}
	return out
}
