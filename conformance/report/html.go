package report

import (
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

// The HTML report is one file a grader can mail, archive or open from a CI artifact: its style
// and script are inline and it loads nothing, so it reads the same offline, years later, and
// prints. A case's element ID is CaseAnchor's, so that a matrix can link to it.

// CaseAnchor is the fragment that lands on case id in a report's HTML: report.html#case-ID.
func CaseAnchor(id string) string { return "case-" + id }

// ProblemAnchor is the fragment that lands on problem id in a report's HTML.
func ProblemAnchor(id string) string { return "problem-" + id }

// StateOf is the state word of a result as the text report shows it (PASS, FAIL, WARN, BLKD,
// ...), lower-cased: the HTML report filters and colours by it, and so does a matrix.
func (r *Report) StateOf(res *Result) string {
	w, _ := r.word(res)
	return strings.ToLower(w)
}

type htmlExchange struct {
	Label, Outcome string
	Conn           int
	SentN, RecvN   int64
	Sent, Received string
}

func htmlExchangeOf(ex *Exchange) *htmlExchange {
	if ex == nil {
		return nil
	}
	return &htmlExchange{Label: ex.Label, Outcome: ex.Outcome, Conn: ex.Conn, SentN: ex.Sent.Total, RecvN: ex.Received.Total,
		Sent: ex.Sent.Dump(""), Received: ex.Received.Dump("")}
}

type htmlFailure struct {
	Failure
	Exchange *htmlExchange
}

type htmlCase struct {
	*Result
	State     string
	Anchor    string
	Failures  []htmlFailure
	Exchanges []*htmlExchange // those no failure shows
	Fails     bool
}

type htmlProblem struct {
	*Problem
	Anchor   string
	Evidence *htmlExchange
	Fails    bool
}

type htmlCount struct {
	Level string
	C     Counts
}

type htmlReport struct {
	R        *Report
	Title    string
	Started  string
	Duration string
	Counts   []htmlCount
	Problems []htmlProblem
	Cases    []htmlCase
	States   []string
	Levels   []string
	Sections []string
	Failing  int
	CSS      template.CSS
}

// WriteHTML writes the report as one self-contained HTML page: the verdict and counts first,
// then the problems with their evidence, then the cases, which a reader filters by state,
// level and section, each failure opening to its exchanges and their bytes. ?state=fail,warn
// &level=MUST&section=backup in the page's address sets the filters, #case-ID opens a case.
func (r *Report) WriteHTML(w io.Writer) error {
	v := htmlReport{R: r, CSS: StyleSheet, Duration: r.Duration.Round(time.Millisecond).String()}
	name := r.Name
	if name == "" {
		name = r.Target
	}
	v.Title = "FBP conformance of " + name + ": " + strings.ToUpper(r.Verdict)
	if !r.Started.IsZero() {
		v.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	v.Counts = []htmlCount{{"MUST", r.Summary.Must}, {"SHOULD", r.Summary.Should}, {"INFO", r.Summary.Info}}
	for i := range r.Problems {
		p := &r.Problems[i]
		hp := htmlProblem{Problem: p, Anchor: ProblemAnchor(p.ID), Fails: r.ProblemFailsRun(p)}
		if p.Evidence != nil {
			hp.Evidence = htmlExchangeOf(p.Evidence.Exchange)
		}
		v.Problems = append(v.Problems, hp)
	}
	for i := range r.Results {
		res := &r.Results[i]
		c := htmlCase{Result: res, State: r.StateOf(res), Anchor: CaseAnchor(res.ID), Fails: r.FailsRun(res)}
		// An exchange shows once, under the failure it proves if there is one: a page of every
		// case failing stays a few bytes of page per byte of evidence.
		shown := make([]bool, len(res.Exchanges))
		for _, f := range res.Failures {
			hf := htmlFailure{Failure: f}
			if f.Exchange >= 0 && f.Exchange < len(res.Exchanges) {
				hf.Exchange = htmlExchangeOf(&res.Exchanges[f.Exchange])
				shown[f.Exchange] = true
			}
			c.Failures = append(c.Failures, hf)
		}
		for j := range res.Exchanges {
			if !shown[j] {
				c.Exchanges = append(c.Exchanges, htmlExchangeOf(&res.Exchanges[j]))
			}
		}
		if c.Fails {
			v.Failing++
		}
		v.States = appendNew(v.States, c.State)
		v.Levels = appendNew(v.Levels, res.Level.String())
		v.Sections = appendNew(v.Sections, res.Section)
		v.Cases = append(v.Cases, c)
	}
	slices.Sort(v.Sections)
	return reportPage.Execute(w, &v)
}

// WriteHTML writes the head of a tester's report (model, fuzz, replay, bench) as the
// catalog's page: the verdict, the target and the problems, each with its evidence.
func (h *Head) WriteHTML(w io.Writer) error {
	r := Report{Schema: h.Schema, Verdict: h.Verdict, Target: h.Target, Dialect: "canonical", Duration: h.Duration,
		Interrupted: h.Interrupted, Problems: h.Problems}
	return r.WriteHTML(w)
}

func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// StyleSheet is the style of the HTML report and of the matrix: one look for both, light on
// screen and on paper.
const StyleSheet template.CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--dim:#6e7781;--bg:#fff;--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:1rem 1.5rem;color:#1f2328;background:var(--bg)}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:1.6rem}h3{font-size:1rem;margin:.2rem 0}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--soft);border:1px solid var(--line);padding:.4rem .6rem;overflow-x:auto;margin:.3rem 0}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;font-weight:700;color:#fff;background:var(--dim)}
.v-pass,.st-pass,.st-fixed{background:var(--pass)}.v-fail,.st-fail{background:var(--fail)}.v-incomplete,.st-warn,.st-known,.st-nrun,.st-blkd{background:var(--warn)}.st-skip,.st-info,.st-none{background:#afb8c1}
.meta{color:var(--dim)}.meta b{color:#1f2328}
table{border-collapse:collapse}td,th{border:1px solid var(--line);padding:.2rem .5rem;text-align:left;vertical-align:top}th{background:var(--soft)}
.counts td{text-align:right}
.problem{border:1px solid var(--line);border-left:5px solid var(--fail);border-radius:4px;padding:.5rem .8rem;margin:.6rem 0}
.problem.soft{border-left-color:var(--warn)}
.rule{font-style:italic}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:.4rem 0}dt{font-weight:600;color:var(--dim)}dd{margin:0}
#filters{position:sticky;top:0;background:var(--bg);padding:.4rem 0;border-bottom:1px solid var(--line);z-index:1}
#filters fieldset{display:inline-block;border:1px solid var(--line);margin:0 .4rem .2rem 0;padding:.1rem .5rem}
#filters legend{font-size:12px;color:var(--dim)}
.case{border-bottom:1px solid var(--soft)}
.case>summary{cursor:pointer;padding:.15rem 0;list-style-position:outside}
.case .st{display:inline-block;min-width:4.2em;text-align:center;color:#fff;border-radius:3px;font-size:12px;font-weight:700;padding:0 .3rem}
.case .lvl{color:var(--dim);font-size:12px}
.case .body{padding:.2rem 0 .6rem 1.2rem}
.case:target,.case.target{outline:3px solid #0969da;outline-offset:2px}
.failure{border-left:3px solid var(--fail);padding-left:.6rem;margin:.4rem 0}
.ex h4{margin:.5rem 0 .1rem;font-size:13px}
.diff td:first-child{font-weight:600;color:var(--dim)}
a{color:#0969da}
.note{color:var(--dim)}
@media print{#filters,.noprint{display:none}.case[hidden]{display:block}body{max-width:none;padding:0}.problem,.case{break-inside:avoid}}
`

var reportPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title><style>{{.CSS}}</style></head>
<body data-verdict="{{.R.Verdict}}">
<header>
<h1>{{if .R.Name}}{{.R.Name}}: {{end}}conformance of <code>{{.R.Target}}</code></h1>
<p><span id="verdict" class="badge v-{{.R.Verdict}}">{{.R.Verdict}}</span>
 <span class="meta">dialect <b>{{.R.Dialect}}</b>{{if .R.DialectNote}} ({{.R.DialectNote}}){{end}}{{if .R.Strict}} · <b>strict</b>{{end}}{{if .Started}} · started <b>{{.Started}}</b>{{end}} · took <b>{{.Duration}}</b> · <b>{{len .Problems}}</b> problem(s) · <b>{{.Failing}}</b> failing case(s) of {{len .Cases}}</span></p>
{{if .R.Interrupted}}<p><b>The run was interrupted</b>: the report covers the cases that ran.</p>{{end}}
{{if .R.DeadlinePassed}}<p><b>The run's deadline passed</b> before every case ran{{if .R.DeadlineNeeded}}: -deadline {{.R.DeadlineNeeded}} would reach them{{end}}.</p>{{end}}
{{if .Cases}}<table class="counts"><tr><th></th><th>passed</th><th>failed</th><th>blocked</th><th>not run</th><th>skipped</th><th>info</th><th>known failure</th><th>unexpected pass</th></tr>
{{range .Counts}}<tr><th>{{.Level}}</th><td>{{.C.Pass}}</td><td>{{.C.Fail}}</td><td>{{.C.Blocked}}</td><td>{{.C.NotRun}}</td><td>{{.C.Skip}}</td><td>{{.C.Info}}</td><td>{{.C.KnownFailure}}</td><td>{{.C.UnexpectedPass}}</td></tr>
{{end}}</table>{{end}}
{{range .R.Crashes}}<p><b>The server stopped answering</b> after <a href="#case-{{.After}}">{{.After}}</a>: {{.Detail}}</p>{{end}}
{{range .R.Warnings}}<p class="note">warning: {{.}}</p>{{end}}
</header>
<section id="problems"><h2>Problems ({{len .Problems}})</h2>
{{if not .Problems}}<p class="note">No problem found.</p>{{end}}
{{range .Problems}}<article class="problem{{if not .Fails}} soft{{end}}" id="{{.Anchor}}">
<h3><code>[{{.ID}}]</code> {{.Level}} {{.Requirement}}: {{.Summary}}{{if .KnownFailure}} <span class="note">(known failure)</span>{{end}}</h3>
{{if .Rule}}<p class="rule">{{.Requirement}}: {{.Rule}}</p>{{end}}
<dl>
{{if .Diagnosis}}<dt>diagnosis</dt><dd>{{.Diagnosis}}</dd>{{end}}
{{if .Fix}}<dt>where to look</dt><dd>{{.Fix}}</dd>{{end}}
{{if .Workaround}}<dt>workaround</dt><dd>{{.Workaround}}</dd>{{end}}
{{if .Consequences}}<dt>consequences</dt><dd><ul>{{range .Consequences}}<li>{{.}}</li>{{end}}</ul></dd>{{end}}
{{if .Cases}}<dt>fails</dt><dd>{{range .Cases}}<a href="#case-{{.}}"><code>{{.}}</code></a> {{end}}</dd>{{end}}
{{if .Blocked}}<dt>blocks</dt><dd>{{range .Blocked}}<a href="#case-{{.}}"><code>{{.}}</code></a> {{end}}</dd>{{end}}
{{if .SeenIn}}<dt>seen in</dt><dd>{{range .SeenIn}}<a href="#case-{{.}}"><code>{{.}}</code></a> {{end}}</dd>{{end}}
{{with .Problem.Evidence}}<dt>evidence</dt><dd>{{if .Case}}in <a href="#case-{{.Case}}"><code>{{.Case}}</code></a>{{else}}found by the diagnosis{{end}}
<table class="diff"><tr><td>expected</td><td class="mono">{{.Expected}}</td></tr><tr><td>actual</td><td class="mono">{{.Actual}}</td></tr></table></dd>{{end}}
</dl>
{{with .Evidence}}{{template "exchange" .}}{{end}}
</article>
{{end}}
{{if .R.Unjudged}}<h3>Not judged, for want of a flag (a pass says nothing of these)</h3><ul>{{range .R.Unjudged}}<li>{{.Level}} {{range .Requirements}}{{.}} {{end}}: {{.What}}: {{.Hint}}</li>{{end}}</ul>{{end}}
{{if .R.NextSteps}}<h3>Next steps</h3><ul>{{range .R.NextSteps}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
</section>
{{if .Cases}}<section id="cases"><h2>Cases (<span id="shown">{{len .Cases}}</span> shown of {{len .Cases}})</h2>
<form id="filters" class="noprint">
<fieldset><legend>state</legend>{{range .States}}<label><input type="checkbox" name="state" value="{{.}}" checked> {{.}}</label> {{end}}</fieldset>
<fieldset><legend>level</legend>{{range .Levels}}<label><input type="checkbox" name="level" value="{{.}}" checked> {{.}}</label> {{end}}</fieldset>
<fieldset><legend>section</legend><select name="section"><option value="">all</option>{{range .Sections}}<option>{{.}}</option>{{end}}</select></fieldset>
<fieldset><legend>show</legend><button type="button" id="only-failing">failing only</button> <button type="button" id="show-all">all</button></fieldset>
</form>
<div id="case-list">
{{range .Cases}}<details class="case" id="{{.Anchor}}" data-state="{{.State}}" data-level="{{.Level}}" data-section="{{.Section}}"{{if .Fails}} data-fails="1"{{end}}>
<summary><span class="st st-{{.State}}">{{.State}}</span> <code>{{.ID}}</code> <span class="lvl">{{.Level}} {{range .Reqs}}{{.}} {{end}}</span>{{if .Problem}} <a href="#problem-{{.Problem}}"><code>[{{.Problem}}]</code></a>{{end}}{{if .BlockedBy}} blocked by <a href="#problem-{{.BlockedBy}}"><code>[{{.BlockedBy}}]</code></a>{{end}} {{.Reason}}</summary>
<div class="body"><p>{{.Desc}}</p>
{{if .Crash}}<p><b>The server stopped answering after this case:</b> {{.Crash}}</p>{{end}}
{{range .Failures}}<div class="failure"><p><b>{{.Requirement}}</b>{{if .Sentence}}: <span class="rule">{{.Sentence}}</span>{{end}}</p>
<table class="diff"><tr><td>expected</td><td class="mono">{{.Expected}}</td></tr><tr><td>actual</td><td class="mono">{{.Actual}}</td></tr></table>
{{with .Exchange}}{{template "exchange" .}}{{end}}</div>
{{end}}{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{if .Exchanges}}<details><summary>{{len .Exchanges}} more exchange(s)</summary>{{range .Exchanges}}{{template "exchange" .}}{{end}}</details>{{end}}
</div></details>
{{end}}</div>
</section>{{end}}
<script>{{template "script"}}</script>
</body></html>
{{define "exchange"}}<div class="ex"><h4>{{.Label}} (connection {{.Conn}}): {{.Outcome}}</h4>
<div>sent {{.SentN}} bytes</div><pre>{{.Sent}}</pre><div>received {{.RecvN}} bytes</div><pre>{{.Received}}</pre></div>{{end}}
{{define "script"}}
(function(){
"use strict";
var form=document.getElementById("filters"),cases=Array.prototype.slice.call(document.querySelectorAll(".case"));
window.addEventListener("hashchange",land);
window.addEventListener("beforeprint",function(){document.querySelectorAll("details").forEach(function(d){d.open=true})});
if(!form){land();return}
function picked(name){var s={};form.querySelectorAll("input[name="+name+"]").forEach(function(b){if(b.checked)s[b.value]=true});return s}
function apply(){
  var st=picked("state"),lv=picked("level"),sec=form.elements.section.value,n=0;
  cases.forEach(function(c){var show=!!st[c.dataset.state]&&!!lv[c.dataset.level]&&(sec===""||c.dataset.section===sec);c.hidden=!show;if(show)n++});
  document.getElementById("shown").textContent=n;
}
function set(name,values){form.querySelectorAll("input[name="+name+"]").forEach(function(b){b.checked=values.indexOf(b.value)>=0})}
function fromAddress(){
  var q=new URLSearchParams(location.search);
  if(q.has("state"))set("state",q.get("state").toLowerCase().split(","));
  if(q.has("level"))set("level",q.get("level").toUpperCase().split(","));
  if(q.has("section"))form.elements.section.value=q.get("section");
}
function land(){
  var id=decodeURIComponent(location.hash.slice(1)),el=id&&document.getElementById(id);
  if(!el)return;
  document.querySelectorAll(".target").forEach(function(t){t.classList.remove("target")});
  el.hidden=false;el.classList.add("target");
  if(el.tagName==="DETAILS")el.open=true;
  el.scrollIntoView();
}
form.addEventListener("change",apply);
document.getElementById("only-failing").addEventListener("click",function(){
  var failing={};cases.forEach(function(c){if(c.dataset.fails)failing[c.dataset.state]=true});
  set("state",Object.keys(failing));apply();
});
document.getElementById("show-all").addEventListener("click",function(){form.querySelectorAll("input").forEach(function(b){b.checked=true});form.elements.section.value="";apply()});
fromAddress();apply();land();
})();
{{end}}`))
