package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/internal/grouped"
	"github.com/fbpkit/fbp/internal/words"
)

// TextOptions shape the text report.
type TextOptions struct {
	Color   bool // ANSI colours, for a terminal
	Verbose bool // bytes of every exchange, passing cases included
}

const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiDim    = "\x1b[2m"
	ansiReset  = "\x1b[0m"
)

// word is the status word of a result's line: a SHOULD failure outside strict mode is a WARN,
// since it does not fail the run.
func (r *Report) word(res *Result) (string, string) {
	switch res.Status {
	case VerdictPass:
		return "PASS", ansiGreen
	case VerdictFail:
		if res.Level == Should && !r.Strict && res.Crash == "" {
			return "WARN", ansiYellow
		}
		return "FAIL", ansiRed
	case VerdictInfo:
		return "INFO", ansiDim
	case VerdictSkip:
		return "SKIP", ansiDim
	case VerdictNotRun:
		return "NRUN", ansiYellow
	case VerdictKnownFailure:
		return "KNOWN", ansiYellow
	case VerdictUnexpectedPass:
		return "FIXED", ansiGreen
	case VerdictBlocked:
		return "BLKD", ansiYellow
	}
	return strings.ToUpper(string(res.Status)), ""
}

// Line is the one-line form of a result: status word, ID, level, short reason.
func (r *Report) Line(res *Result, color bool) string {
	w, c := r.word(res)
	if color {
		w = c + fmt.Sprintf("%-5s", w) + ansiReset
	} else {
		w = fmt.Sprintf("%-5s", w)
	}
	line := fmt.Sprintf("%s %-46s %-6s", w, res.ID, res.Level)
	if res.Reason != "" {
		reason := res.Reason
		if res.Problem != "" {
			reason = "[" + res.Problem + "] " + reason
		}
		if r := []rune(reason); len(r) > 110 {
			reason = string(r[:107]) + "..."
		}
		line += " " + reason
	}
	return strings.TrimRight(line, " ")
}

// WriteText writes the report for a terminal: the distinct problems first, each with its
// requirement, what the diagnosis found, its first evidence and the cases it fails or blocks;
// then a line per case; then the failures expanded with expected, actual and the bytes; then
// the summary and what to do next.
func (r *Report) WriteText(w io.Writer, o TextOptions) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "conformance of %s (dialect %s)\n", r.Target, r.Dialect)
	if r.DialectNote != "" {
		fmt.Fprintf(&sb, "dialect %s\n", r.DialectNote)
	}
	r.writeIndex(&sb)
	r.writeWorkarounds(&sb)
	if len(r.Problems) > 0 {
		sb.WriteString("\nthe problems in detail:\n")
	}
	r.writeProblemDetails(&sb)
	if len(r.Results) > 0 {
		sb.WriteString("\ncases:\n")
	}
	// A problem that blocks many cases shows a few of them and counts the rest: a server that
	// answers nothing is one line of cause, not a page of blocked cases.
	// So with the cases a run did not reach: one reason, a few lines.
	const blockedShown = 3
	blocked := map[string]int{}
	notRun, notRunOrder := map[string]int{}, []string{}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Status == VerdictBlocked && res.BlockedBy != "" {
			if blocked[res.BlockedBy]++; blocked[res.BlockedBy] > blockedShown {
				continue
			}
		}
		if res.Status == VerdictNotRun && !o.Verbose {
			if notRun[res.Reason]++; notRun[res.Reason] == 1 {
				notRunOrder = append(notRunOrder, res.Reason)
			}
			if notRun[res.Reason] > blockedShown {
				continue
			}
		}
		sb.WriteString(r.Line(res, o.Color) + "\n")
	}
	for _, p := range r.Problems {
		if n := blocked[p.ID] - blockedShown; n > 0 {
			fmt.Fprintf(&sb, "BLKD  … and %s, blocked by [%s]\n", words.Count(n, "more case"), p.ID)
		}
	}
	for _, why := range notRunOrder {
		if n := notRun[why] - blockedShown; n > 0 {
			fmt.Fprintf(&sb, "NRUN  … and %s, %s (-v lists them)\n", words.Count(n, "more case"), why)
		}
	}
	r.writeDetails(&sb, o)
	sb.WriteString(r.SummaryText())
	_, err := io.WriteString(w, sb.String())
	return err
}

// indexShown is how many problems the report's first screen lists, one line each: with the
// title, the dialect and the line that counts the rest, the screen stays within 40 lines
// however many problems a server has.
const indexShown = 34

// writeIndex opens the report with a line per problem, its ID, level, requirement, the fault
// in plain words and the cases it fails and blocks: the first screen is the whole story, and
// the details follow for whoever reads on.
func (r *Report) writeIndex(sb *strings.Builder) {
	if len(r.Problems) == 0 {
		return
	}
	fmt.Fprintf(sb, "\n%s:\n", words.Count(len(r.Problems), "problem"))
	for i := range r.Problems {
		if i == indexShown && len(r.Problems) > indexShown+1 {
			fmt.Fprintf(sb, "  … and %s, below\n", words.Count(len(r.Problems)-indexShown, "more problem"))
			break
		}
		sb.WriteString(r.IndexLine(&r.Problems[i]) + "\n")
	}
}

// IndexLine is a problem in one line: "[list-needs-name-len] MUST R-2.1 LIST is answered
// only when … (fails 2 cases, blocks 1)".
func (r *Report) IndexLine(p *Problem) string {
	var counts []string
	if n := len(p.Cases); n > 0 {
		counts = append(counts, "fails "+words.Count(n, "case"))
	}
	if n := len(p.Blocked); n > 0 {
		if len(counts) == 0 {
			counts = append(counts, "blocks "+words.Count(n, "case"))
		} else {
			counts = append(counts, fmt.Sprintf("blocks %d", n))
		}
	}
	if len(counts) == 0 {
		// A problem that fails no case was either found by the diagnosis or met by cases on
		// their way to their own rules: say which, so that it is not taken for the other.
		switch {
		case p.Diagnosis != "" || (p.Evidence != nil && p.Evidence.Case == ""):
			counts = append(counts, "found by the diagnosis")
		case len(p.SeenIn) > 0:
			counts = append(counts, "met in "+words.Count(len(p.SeenIn), "case")+" on the way to their own rules")
		default:
			counts = append(counts, "fails no case")
		}
	}
	known := ""
	if p.KnownFailure {
		known = " (known, baseline)"
	}
	return fmt.Sprintf("  [%s] %s %s%s: %s (%s)", p.ID, p.Level, p.Requirement, known, p.Summary, strings.Join(counts, ", "))
}

// WriteProblems writes the problems part of the text report alone: the workarounds, then each
// problem with its requirement, diagnosis, evidence and cases.
func (r *Report) WriteProblems(w io.Writer) error {
	var sb strings.Builder
	r.writeProblems(&sb)
	_, err := io.WriteString(w, sb.String())
	return err
}

// workarounds lists what the run did to test past the problems, in problem order.
func (r *Report) workarounds() []string {
	var out []string
	for _, p := range r.Problems {
		if p.Workaround != "" {
			out = append(out, p.Workaround)
		}
	}
	return out
}

func (r *Report) writeProblems(sb *strings.Builder) {
	r.writeWorkarounds(sb)
	if len(r.Problems) == 0 {
		return
	}
	fmt.Fprintf(sb, "\n%s:\n", words.Count(len(r.Problems), "problem"))
	r.writeProblemDetails(sb)
}

func (r *Report) writeWorkarounds(sb *strings.Builder) {
	if ws := r.workarounds(); len(ws) > 0 {
		sb.WriteString("\nworked around, to test the rest:\n")
		for _, w := range ws {
			fmt.Fprintf(sb, "  - %s\n", w)
		}
	}
}

// writeProblemDetails writes each problem with its requirement, diagnosis, evidence and cases.
func (r *Report) writeProblemDetails(sb *strings.Builder) {
	for i := range r.Problems {
		p := &r.Problems[i]
		fmt.Fprintf(sb, "\n[%s] %s %s\n    %s\n", p.ID, p.Level, p.Requirement, p.Summary)
		if p.Rule != "" {
			fmt.Fprintf(sb, "    %s: %s\n", p.Requirement, p.Rule)
		}
		if p.Diagnosis != "" {
			fmt.Fprintf(sb, "    diagnosis: %s\n", p.Diagnosis)
		}
		if p.Workaround != "" {
			fmt.Fprintf(sb, "    worked around: %s\n", p.Workaround)
		}
		if p.Fix != "" {
			fmt.Fprintf(sb, "    fix: %s\n", p.Fix)
		}
		for _, c := range p.Consequences {
			fmt.Fprintf(sb, "    also caused: %s\n", c)
		}
		for _, l := range []struct {
			what string
			ids  []string
		}{{"fails", p.Cases}, {"blocks", p.Blocked}, {"also seen in", p.SeenIn}} {
			if len(l.ids) > 0 {
				fmt.Fprintf(sb, "    %s: %s\n", l.what, idList(l.ids))
			}
		}
		if e := p.Evidence; e != nil {
			where := "found by the diagnosis"
			if e.Case != "" {
				where = "first seen in " + e.Case
			}
			fmt.Fprintf(sb, "    evidence (%s): expected %s, got %s\n", where, e.Expected, e.Actual)
			if e.Exchange != nil {
				writeExchange(sb, e.Exchange)
			}
		}
	}
}

// idList shows case IDs, the first few of a long list.
func idList(ids []string) string {
	const shown = 6
	if len(ids) <= shown {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:shown], ", ") + fmt.Sprintf(" and %d more", len(ids)-shown)
}

// writeDetails expands the failures. A case that fails by a problem is shown short, its
// expected and actual alone: the problem above quotes the requirement and shows the bytes of
// its first evidence, and a page of hex per case would bury the other problems. -v shows all.
func (r *Report) writeDetails(sb *strings.Builder, o TextOptions) {
	underProblem := map[string]bool{}
	for _, p := range r.Problems {
		for _, id := range p.Cases {
			underProblem[id] = true
		}
	}
	short := 0
	for i := range r.Results {
		res := &r.Results[i]
		if res.Status != VerdictFail && res.Status != VerdictKnownFailure && !(o.Verbose && len(res.Exchanges) > 0) {
			continue
		}
		brief := !o.Verbose && underProblem[res.ID]
		if brief {
			short++
		}
		w, _ := r.word(res)
		fmt.Fprintf(sb, "\n--- %s %s [%s %s]\n    %s\n", w, res.ID, res.Level, strings.Join(res.Reqs, " "), res.Desc)
		if res.Problem != "" {
			fmt.Fprintf(sb, "    problem: %s\n", res.Problem)
		}
		shown := map[int]bool{}
		for _, f := range res.Failures {
			if brief {
				req := ""
				if f.Requirement != "" {
					req = " (" + f.Requirement + ")"
				}
				fmt.Fprintf(sb, "    expected: %s%s\n    actual:   %s\n", f.Expected, req, f.Actual)
				continue
			}
			if f.Requirement != "" {
				fmt.Fprintf(sb, "    %s: %s\n", f.Requirement, f.Sentence)
			}
			fmt.Fprintf(sb, "    expected: %s\n    actual:   %s\n", f.Expected, f.Actual)
			if !brief && f.Exchange >= 0 && f.Exchange < len(res.Exchanges) && !shown[f.Exchange] {
				shown[f.Exchange] = true
				writeExchange(sb, &res.Exchanges[f.Exchange])
			}
		}
		for _, n := range res.Notes {
			fmt.Fprintf(sb, "    note: %s\n", n)
		}
		if o.Verbose {
			for j := range res.Exchanges {
				if !shown[j] {
					writeExchange(sb, &res.Exchanges[j])
				}
			}
		}
	}
	if short > 0 {
		fmt.Fprintf(sb, "\n(%s shown short: each problem above shows the bytes of its first evidence; -v shows every exchange)\n",
			words.Count(short, "failed case"))
	}
	if len(r.Crashes) > 0 {
		sb.WriteString("\n")
		for _, g := range groupCrashes(r.Crashes) {
			if len(g.after) == 1 {
				fmt.Fprintf(sb, "server stopped answering after case %s: %s\n", g.after[0], g.detail)
				continue
			}
			fmt.Fprintf(sb, "server stopped answering %d times, after cases %s: %s\n", len(g.after), idList(g.after), g.detail)
		}
	}
	for _, wrn := range r.Warnings {
		fmt.Fprintf(sb, "warning: %s\n", wrn)
	}
}

// crashGroup is the crashes that ended the same way.
type crashGroup struct {
	after  []string
	detail string
}

// groupCrashes puts together the crashes whose ends read the same (their last output aside,
// which holds times and addresses): a server that aborts on every case of a kind is one line
// with a count, not a page of the same line. Each group keeps the first crash's detail.
func groupCrashes(crashes []Crash) []crashGroup {
	var groups grouped.List[string, crashGroup]
	for _, c := range crashes {
		how, _, _ := strings.Cut(c.Detail, LastOutputSep)
		g := groups.Of(how, func() crashGroup { return crashGroup{detail: c.Detail} })
		g.after = append(g.after, c.After)
	}
	return groups.Groups
}

// LastOutputSep separates how a server process ended from its last output in a crash's
// detail.
const LastOutputSep = "; its last output: "

func writeExchange(sb *strings.Builder, ex *Exchange) {
	fmt.Fprintf(sb, "    %s (connection %d): %s\n", ex.Label, ex.Conn, ex.Outcome)
	fmt.Fprintf(sb, "      sent %d bytes:\n%s", ex.Sent.Total, ex.Sent.Dump("        "))
	fmt.Fprintf(sb, "      received %d bytes:\n%s", ex.Received.Total, ex.Received.Dump("        "))
}

// SummaryText is the summary by level, and the verdict.
func (r *Report) SummaryText() string {
	var sb strings.Builder
	sb.WriteString("\n")
	row := func(name string, c Counts) {
		fmt.Fprintf(&sb, "%-7s %3d passed, %3d failed", name, c.Pass, c.Fail)
		for _, x := range []struct {
			n    int
			what string
		}{{c.Blocked, "blocked"}, {c.Info, "info"}, {c.Skip, "skipped"}, {c.NotRun, "not run"}} {
			if x.n > 0 {
				fmt.Fprintf(&sb, ", %d %s", x.n, x.what)
			}
		}
		for _, x := range []struct {
			n     int
			thing string
		}{{c.KnownFailure, "known failure"}, {c.UnexpectedPass, "unexpected pass"}} {
			if x.n > 0 {
				fmt.Fprintf(&sb, ", %s", words.Count(x.n, x.thing))
			}
		}
		sb.WriteString("\n")
	}
	row("MUST", r.Summary.Must)
	row("SHOULD", r.Summary.Should)
	row("INFO", r.Summary.Info)
	if n := r.Summary.Must.Skip + r.Summary.Should.Skip + r.Summary.Info.Skip; n > 0 {
		// Newcomers ask whether a skipped MUST case is held against them.
		fmt.Fprintf(&sb, "skipped: %s not judged (each line above says why: most need a flag, such as -max-size); a skipped case counts neither for nor against the server\n",
			words.Count(n, "case"))
	}
	if len(r.Unjudged) > 0 {
		sb.WriteString("not judged, for want of a flag (a PASS says nothing of these):\n")
		for _, u := range r.Unjudged {
			cases := ""
			if len(u.Cases) > 0 {
				cases = " (" + idList(u.Cases) + ")"
			}
			fmt.Fprintf(&sb, "  - %s %s: %s%s: %s\n", u.Level, strings.Join(u.Requirements, " "), u.What, cases, u.Hint)
		}
	}
	verdict := "PASS: every selected MUST case passed"
	if r.Strict {
		verdict = "PASS: every selected MUST and SHOULD case passed"
	}
	if line := r.UnjudgedLine(); line != "" {
		verdict += "; " + line
	}
	switch {
	case r.Interrupted:
		verdict = "INTERRUPTED: the run did not finish"
	case r.DeadlinePassed:
		verdict = "INCOMPLETE: the run's deadline passed before every case ran"
	case !r.OK():
		verdict = "FAIL"
	}
	if n := r.Summary.Must.UnexpectedPass + r.Summary.Should.UnexpectedPass + r.Summary.Info.UnexpectedPass; n > 0 {
		verdict += " (" + words.Count(n, "baseline entry") + " now passing: remove them)"
	}
	if len(r.Problems) > 0 {
		verdict += " (" + words.Count(len(r.Problems), "problem") + ")"
	}
	fmt.Fprintf(&sb, "%s (%s in %v)\n", verdict, words.Count(len(r.Results), "case"), r.Duration.Round(time.Millisecond))
	if len(r.NextSteps) > 0 {
		sb.WriteString("\nnext steps:\n")
		for _, n := range r.NextSteps {
			fmt.Fprintf(&sb, "  - %s\n", n)
		}
	}
	return sb.String()
}

// UnjudgedLine says in a line which rules that weigh on the verdict went unjudged, and the
// flag that would judge each: "MUST rules not judged: R-5.4 (-max-size), R-5.1 R-5.3
// (-root)"; "" when none did.
func (r *Report) UnjudgedLine() string {
	var parts []string
	for i := range r.Unjudged {
		if u := &r.Unjudged[i]; r.counts(u) {
			parts = append(parts, fmt.Sprintf("%s (%s)", strings.Join(u.Requirements, " "), u.Flag))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	level := "MUST"
	if r.Strict {
		level = "MUST and SHOULD"
	}
	return fmt.Sprintf("%s rules not judged: %s", level, strings.Join(parts, ", "))
}

// WriteJSON writes the report as indented JSON; its "schema" field names the layout.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML, as CI systems read it: a testsuite per group of cases, a testcase per case.

// junitSeconds is a JUnit time, in seconds, written to the millisecond: 3.765, not the
// 3.7654815870000005 that summing float seconds leaves.
type junitSeconds float64

func (s junitSeconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(math.Round(float64(s)*1000)/1000, 'f', -1, 64)}, nil
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     junitSeconds `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     junitSeconds `xml:"time,attr"`
	Cases    []junitCase  `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      junitSeconds  `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML. A failure that counts is a <failure>; a known
// (baseline) failure, a skip and a case not run are <skipped>; a SHOULD failure outside strict
// mode and INFO observations go to <system-out>.
func (r *Report) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "fbp-conformance " + r.Target}
	var sections grouped.List[string, junitSuite]
	for i := range r.Results {
		res := &r.Results[i]
		s := sections.Of(res.Section, func() junitSuite { return junitSuite{Name: res.Section} })
		jc := junitCase{Name: res.ID, Classname: "fbp." + res.Section, Time: junitSeconds(res.Duration.Seconds())}
		body := r.Details(res)
		reason := res.Reason
		if res.Problem != "" {
			reason = "[" + res.Problem + "] " + reason
		}
		switch {
		case res.Status == VerdictNotRun:
			// As the text report counts it: not run, not failed. That the run did not
			// finish is a failure of its own, below.
			jc.Skipped = &junitMessage{Message: res.Reason}
			s.Skipped++
		case r.FailsRun(res):
			jc.Failure = &junitMessage{Message: reason, Type: res.Level.String(), Body: body}
			s.Failures++
		case res.Status == VerdictKnownFailure:
			jc.Skipped = &junitMessage{Message: "known failure (baseline): " + reason, Body: body}
			s.Skipped++
		case res.Status == VerdictSkip || res.Status == VerdictBlocked:
			jc.Skipped = &junitMessage{Message: res.Reason}
			s.Skipped++
		default:
			jc.SystemOut = body
		}
		s.Tests++
		s.Time += jc.Time
		s.Cases = append(s.Cases, jc)
	}
	doc.Suites = sections.Groups
	// A problem no failing case carries (the diagnosis found it, or it only blocked cases)
	// still fails the run: it gets a testcase of its own, so that CI shows why.
	var ps junitSuite
	for i := range r.Problems {
		p := &r.Problems[i]
		if len(p.Cases) > 0 || !r.ProblemFailsRun(p) {
			continue
		}
		var body strings.Builder
		one := Report{Problems: []Problem{*p}}
		one.writeProblems(&body)
		ps.Cases = append(ps.Cases, junitCase{Name: "problem/" + p.ID, Classname: "fbp.problems",
			Failure: &junitMessage{Message: "[" + p.ID + "] " + p.Requirement + ": " + p.Summary, Type: p.Level.String(), Body: body.String()}})
		ps.Tests++
		ps.Failures++
	}
	// What the run could not judge is skipped in CI's eyes, so that a green job is not read as
	// more than it is.
	var us junitSuite
	for i := range r.Unjudged {
		u := &r.Unjudged[i]
		msg := fmt.Sprintf("%s %s not judged: %s; %s", u.Level, strings.Join(u.Requirements, " "), u.What, u.Hint)
		us.Cases = append(us.Cases, junitCase{Name: "unjudged/" + strings.Join(u.Requirements, "+"), Classname: "fbp.unjudged",
			Skipped: &junitMessage{Message: msg, Body: strings.Join(u.Cases, "\n")}})
		us.Tests++
		us.Skipped++
	}
	if us.Tests > 0 {
		us.Name = "unjudged"
		doc.Suites = append(doc.Suites, us)
	}
	if r.Incomplete() {
		notRun := r.Summary.Must.NotRun + r.Summary.Should.NotRun + r.Summary.Info.NotRun
		why := "the run was interrupted"
		if r.DeadlinePassed {
			why = "the run's deadline passed"
		}
		ps.Cases = append(ps.Cases, junitCase{Name: "run/incomplete", Classname: "fbp.problems",
			Failure: &junitMessage{Message: fmt.Sprintf("%s: %s not run", why, words.Count(notRun, "case")), Body: strings.Join(r.Warnings, "\n")}})
		ps.Tests++
		ps.Failures++
	}
	if ps.Tests > 0 {
		ps.Name = "problems"
		doc.Suites = append([]junitSuite{ps}, doc.Suites...)
	}
	// The totals are the suites' sums, time included: the cases' times, not the run's wall
	// clock, which is shorter when cases run at once.
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Skipped += s.Skipped
		doc.Time += s.Time
	}
	return encodeJUnit(w, doc)
}

// encodeJUnit writes doc as an indented JUnit XML document.
func encodeJUnit(w io.Writer, doc junitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Details is one result's details as the text report expands them: a failure with its
// requirement, expected, actual and bytes; otherwise the reason and notes.
func (r *Report) Details(res *Result) string {
	var sb strings.Builder
	one := Report{Target: r.Target, Strict: r.Strict, Results: []Result{*res}}
	if res.Status == VerdictFail || res.Status == VerdictKnownFailure {
		one.writeDetails(&sb, TextOptions{})
		return sb.String()
	}
	if res.Reason != "" {
		sb.WriteString(res.Reason + "\n")
	}
	for _, n := range res.Notes[min(len(res.Notes), 1):] {
		sb.WriteString(n + "\n")
	}
	return sb.String()
}
