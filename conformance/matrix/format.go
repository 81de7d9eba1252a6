package matrix

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fbpkit/fbp/conformance/report"
)

// Rate is a row's MUST pass rate as a person reads it: "61/80 (76%)", or "-" when no MUST case
// was judged.
func (r *Row) Rate() string {
	if r.MustRate < 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", r.MustPassed, r.MustJudged, 100*r.MustRate)
}

// WriteJSON writes the matrix as JSON (schema fbp-matrix/1).
func (m *Matrix) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// WriteCSV writes a line per implementation: its name, kind, verdict, MUST pass rate, problems
// and reason, then the state of every column.
func (m *Matrix) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"name", "kind", "verdict", "must_passed", "must_judged", "must_rate", "problem_count", "problems", "reason"}
	for _, c := range m.Columns {
		head = append(head, c.ID)
	}
	cw.Write(head)
	for i := range m.Rows {
		r := &m.Rows[i]
		rate := ""
		if r.MustRate >= 0 {
			rate = strconv.FormatFloat(r.MustRate, 'f', 4, 64)
		}
		line := []string{r.Name, r.Kind, r.Verdict, strconv.Itoa(r.MustPassed), strconv.Itoa(r.MustJudged), rate,
			strconv.Itoa(len(r.Problems)), strings.Join(r.Problems, " "), r.Reason}
		for _, c := range r.Cells {
			line = append(line, c.State)
		}
		cw.Write(line)
	}
	cw.Flush()
	return cw.Error()
}

// WriteText writes a line per implementation, then each problem with the implementations that
// have it, then what differs between the reports.
func (m *Matrix) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tVERDICT\tMUST PASSED\tPROBLEMS\t")
	for i := range m.Rows {
		r := &m.Rows[i]
		extra := strings.Join(r.Problems, " ")
		if r.Reason != "" {
			extra = r.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", r.Name, r.Kind, r.Verdict, r.Rate(), len(r.Problems), extra)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(m.Problems) > 0 {
		fmt.Fprintln(w, "\nproblems, by how many implementations have them:")
	}
	for _, p := range m.Problems {
		fmt.Fprintf(w, "  [%s] %s %s: %s\n    %d of %d: %s\n", p.ID, p.Level, p.Requirement, p.Summary, p.Count, len(m.Rows), strings.Join(m.Having(p.ID), ", "))
	}
	for _, d := range m.Differences {
		fmt.Fprintf(w, "\nnote: %s\n", d)
	}
	return nil
}

// Having lists the implementations that have problem id.
func (m *Matrix) Having(id string) []string {
	var out []string
	for i := range m.Rows {
		if m.Rows[i].Has(id) {
			out = append(out, m.Rows[i].Name)
		}
	}
	return out
}

type htmlGroup struct {
	Name string
	Span int
}

type htmlProblemRow struct {
	ProblemColumn
	Rows []*Row
}

type htmlMatrix struct {
	M        *Matrix
	Groups   []htmlGroup
	Problems []htmlProblemRow
	CSS      template.CSS
	Columns  string
}

// WriteHTML writes the matrix as one self-contained page: the table of implementations by
// column, sortable by any header, each cell linking to the case in that implementation's HTML
// report; then the problems, each with the implementations that have it. ?sort=name, verdict,
// must or problems, and &dir=desc, in the page's address sort it as it opens.
func (m *Matrix) WriteHTML(w io.Writer) error {
	v := htmlMatrix{M: m, CSS: report.StyleSheet + matrixCSS, Columns: "cases"}
	if m.By == ByRequirement {
		v.Columns = "requirements"
	}
	for _, c := range m.Columns {
		name := c.Kind + ": " + c.Section
		if n := len(v.Groups); n > 0 && v.Groups[n-1].Name == name {
			v.Groups[n-1].Span++
			continue
		}
		v.Groups = append(v.Groups, htmlGroup{Name: name, Span: 1})
	}
	for _, p := range m.Problems {
		hp := htmlProblemRow{ProblemColumn: p}
		for i := range m.Rows {
			if m.Rows[i].Has(p.ID) {
				hp.Rows = append(hp.Rows, &m.Rows[i])
			}
		}
		v.Problems = append(v.Problems, hp)
	}
	return matrixPage.Execute(w, &v)
}

const matrixCSS template.CSS = `
body{max-width:none}
#matrix{font-size:12px}
#matrix th.col{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:400;padding:.3rem .1rem;max-height:16rem}
#matrix th[data-sort]{cursor:pointer;user-select:none}
#matrix th[data-sort]:after{content:" ↕";color:var(--dim)}
#matrix td.c{padding:0;width:14px;height:18px}
#matrix td.c a,#matrix td.c span{display:block;width:100%;height:18px}
#matrix td.name{white-space:nowrap;font-weight:600}
#matrix td.num{text-align:right;white-space:nowrap}
#matrix tr:hover td{filter:brightness(.92)}
.st-none{background:#fff}
.legend span{display:inline-block;padding:0 .4rem;color:#fff;border-radius:3px;margin-right:.3rem}
.wrap{overflow-x:auto}
`

var matrixPage = template.Must(template.New("matrix").Funcs(template.FuncMap{"problemAnchor": report.ProblemAnchor}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>FBP conformance matrix: {{len .M.Rows}} implementations</title><style>{{.CSS}}</style></head>
<body>
<h1>FBP conformance matrix</h1>
<p class="meta"><b>{{len .M.Rows}}</b> implementations · <b>{{len .M.Columns}}</b> {{.Columns}} · <b>{{len .M.Problems}}</b> distinct problems · <a href="#problems">by problem</a></p>
{{range .M.Differences}}<p class="note" data-difference>note: {{.}}</p>{{end}}
<p class="legend"><span class="st-pass">pass</span><span class="st-fail">fail</span><span class="st-warn">warn (SHOULD)</span><span class="st-blkd">blocked, not run, known</span><span class="st-skip">skip, info</span> a blank cell: not in that report. A cell links to the case in the implementation's report; a header sorts.</p>
<div class="wrap"><table id="matrix">
<thead><tr><th colspan="4"></th>{{range .Groups}}<th colspan="{{.Span}}">{{.Name}}</th>{{end}}</tr>
<tr><th data-sort="text" data-key="name">implementation</th><th data-sort="text" data-key="verdict">verdict</th><th data-sort="num" data-key="must">MUST passed</th><th data-sort="num" data-key="problems">problems</th>{{range .M.Columns}}<th class="col" title="{{.ID}} {{.Level}} {{.Desc}}">{{.ID}}</th>{{end}}</tr></thead>
<tbody>
{{range .M.Rows}}<tr data-name="{{.Name}}">
<td class="name" data-v="{{.Name}}">{{if .Report}}<a href="{{.Report}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</td>
<td data-v="{{.Verdict}}"><span class="badge v-{{.Verdict}}">{{.Verdict}}</span></td>
<td class="num" data-v="{{.MustRate}}">{{.Rate}}</td>
<td class="num" data-v="{{len .Problems}}">{{len .Problems}}</td>
{{if .Reason}}<td class="reason" colspan="{{len .Cells}}">{{.Reason}}</td>{{else}}{{range .Cells}}<td class="c st-{{.State}}" title="{{.Case}}: {{.State}}">{{if .Link}}<a href="{{.Link}}" data-case="{{.Case}}"></a>{{else}}<span></span>{{end}}</td>{{end}}{{end}}
</tr>
{{end}}</tbody></table></div>
<section id="problems"><h2>By problem</h2>
{{if not .Problems}}<p class="note">No implementation has a problem.</p>{{end}}
{{range $p := .Problems}}<article class="problem" id="matrix-problem-{{.ID}}">
<h3><code>[{{.ID}}]</code> {{.Level}} {{.Requirement}}: {{.Summary}}</h3>
<p><b>{{.Count}}</b> of {{len $.M.Rows}}: {{range .Rows}}{{if .Report}}<a href="{{.Report}}#{{problemAnchor $p.ID}}">{{.Name}}</a>{{else}}{{.Name}}{{end}} {{end}}</p>
</article>{{end}}
</section>
<script>
(function(){
"use strict";
var table=document.getElementById("matrix"),body=table.tBodies[0];
function sortBy(th,dir){
  var col=th.cellIndex,num=th.dataset.sort==="num";
  th.dataset.dir=dir===1?"asc":"desc";
  var rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){
    var x=a.cells[col].dataset.v,y=b.cells[col].dataset.v;
    return dir*(num?parseFloat(x)-parseFloat(y):x.localeCompare(y));
  });
  rows.forEach(function(r){body.appendChild(r)});
}
table.querySelectorAll("th[data-sort]").forEach(function(th){
  th.addEventListener("click",function(){sortBy(th,th.dataset.dir==="asc"?-1:1)});
});
var q=new URLSearchParams(location.search),key=q.get("sort"),th=key&&table.querySelector('th[data-key="'+key.replace(/[^a-z]/g,"")+'"]');
if(th)sortBy(th,q.get("dir")==="desc"?-1:1);
})();
</script>
</body></html>`))
