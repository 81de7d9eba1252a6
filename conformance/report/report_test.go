package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/golden"
)

func clipOf(b []byte) Clip {
	var w ClipWriter
	w.Write(b)
	return w.Clip()
}

// fixedReport holds one result of every verdict, a failure with its bytes, a crash, a
// warning and a dialect note: each part of every format shows in the golden files.
func fixedReport() *Report {
	started := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	req := []byte{0xa4, 0x89, 0xc0, 0xe3, 0x01, 0xc8, 0x0a, 0x00, 'a', 'b', 's', 'e', 'n', 't', '.', 't', 'x', 't'}
	r := &Report{
		Schema: Schema, Target: "127.0.0.1:9999", Dialect: "canonical", DialectNote: "auto: the server follows the canonical mapping",
		Started: started, Duration: 2500 * time.Millisecond,
		Crashes:  []Crash{{After: "security/unknown-op", Detail: "the server process ended: signal: aborted"}},
		Warnings: []string{`baseline names "no/such-case", which is not a case`},
		Results: []Result{
			{ID: "backup/new", Section: "backup", Level: Must, Reqs: []string{"R-4.1"}, Desc: "BACKUP of a new file: 212 with its name",
				Status: VerdictPass, Duration: 3 * time.Millisecond},
			{ID: "restore/missing-1001", Section: "restore", Level: Must, Reqs: []string{"R-4.2"},
				Desc: "RESTORE of a name the user does not have: 1001 with the name", Status: VerdictFail,
				Reason: `R-4.2: expected 1001 (not-found) with name "absent.txt", got status 1003 (server-error)`,
				Failures: []Failure{{Requirement: "R-4.2", Sentence: "RESTORE of a stored file: 210 with the filename, size and exact content. Of a missing file: 1001 with the filename.",
					Expected: `1001 (not-found) with name "absent.txt"`, Actual: "status 1003 (server-error)", Exchange: 0}},
				Exchanges: []Exchange{{Label: `RESTORE user 3821046180 "absent.txt"`, Conn: 1, Sent: clipOf(req), Received: clipOf([]byte{1, 0xeb, 3}),
					Outcome: "status 1003 (server-error)"}},
				Duration: 4 * time.Millisecond},
			{ID: "backup/zero-length", Section: "backup", Level: Should, Reqs: []string{"R-4.1"}, Desc: "a zero-length file is stored",
				Status: VerdictFail, Reason: "R-4.1: expected 212 (backup-ok), got status 1003 (server-error)",
				Failures: []Failure{{Requirement: "R-4.1", Sentence: "BACKUP stores the payload.", Expected: "212 (backup-ok)", Actual: "status 1003 (server-error)", Exchange: -1}},
				Duration: time.Millisecond},
			{ID: "transport/version-byte", Section: "transport", Level: Info, Reqs: []string{"R-3.1"}, Desc: "the version byte of responses",
				Status: VerdictInfo, Reason: "responses carry version 1", Notes: []string{"responses carry version 1", "a second note"}},
			{ID: "transport/stall-cut-off", Section: "transport", Level: Should, Reqs: []string{"R-5.3"}, Desc: "a stalled client is cut off",
				Status: VerdictSkip, Reason: "give -stall-cutoff, the longest read deadline to accept, to run it"},
			{ID: "security/unknown-op", Section: "security", Level: Must, Reqs: []string{"R-5.2"}, Desc: "ops the spec does not define answer 1003",
				Status: VerdictFail, Reason: "server stopped answering after case security/unknown-op (the server process ended: signal: aborted)",
				Crash:    "server stopped answering after case security/unknown-op (the server process ended: signal: aborted)",
				Failures: []Failure{{Requirement: "R-5.3", Sentence: "A truncated request: no response is owed.", Expected: "the server to keep serving other connections", Actual: "it stopped", Exchange: -1}}},
			{ID: "list/after-backups", Section: "list", Level: Must, Reqs: []string{"R-4.4"}, Desc: "LIST after backups",
				Status: VerdictNotRun, Reason: "not run: the server stopped answering after case security/unknown-op"},
			{ID: "delete/missing-1001", Section: "delete", Level: Must, Reqs: []string{"R-4.3"}, Desc: "DELETE of a missing file",
				Status: VerdictKnownFailure, Reason: "R-4.3: expected 1001, got 1003",
				Failures: []Failure{{Requirement: "R-4.3", Sentence: "DELETE of a stored file removes it.", Expected: "1001", Actual: "1003", Exchange: -1}}},
			{ID: "delete/keeps-others", Section: "delete", Level: Must, Reqs: []string{"R-4.3"}, Desc: "DELETE keeps the other files",
				Status: VerdictUnexpectedPass, Reason: "passes, though the baseline lists it as a known failure"},
			{ID: "list/other-users-hidden", Section: "list", Level: Must, Reqs: []string{"R-4.4", "R-4.5"}, Desc: "LIST shows nothing of another user",
				Status: VerdictBlocked, BlockedBy: "backup-never-answered", Reason: "blocked by [backup-never-answered]: BACKUP is not answered within 5s"},
		},
		Problems: []Problem{
			{ID: "list-needs-name-len", Requirement: "R-2.1", Level: Must,
				Summary:    "LIST is answered only when two more bytes follow it: the server reads a name_len for every op",
				Diagnosis:  "LIST alone: no answer within 5s; LIST then 00 00: 1002 (no-files)",
				Workaround: "LIST is sent with two zero bytes after it",
				Evidence:   &Evidence{Expected: "an answer to the 6-byte LIST", Actual: "no answer within 5s"},
				Cases:      []string{}, SeenIn: []string{"list/after-backups"}},
			{ID: "missing-file-status", Requirement: "R-4.2", Rule: "RESTORE of a stored file: 210 with the filename, size and exact content. Of a missing file: 1001 with the filename.", Level: Must,
				Summary: "the server answers a RESTORE or DELETE of a file the user does not have with another status than 1001",
				Fix:     "check that the file exists in the user's folder and answer 1001 with its name when it does not",
				Evidence: &Evidence{Case: "restore/missing-1001", Expected: `1001 (not-found) with name "absent.txt"`, Actual: "status 1003 (server-error)",
					Exchange: &Exchange{Label: `RESTORE user 3821046180 "absent.txt"`, Conn: 1, Sent: clipOf(req), Received: clipOf([]byte{1, 0xeb, 3}), Outcome: "status 1003 (server-error)"}},
				Cases: []string{"restore/missing-1001"}},
			{ID: "backup-never-answered", Requirement: "R-1.3", Level: Must, Summary: "BACKUP is not answered within 5s",
				Cases: []string{}, Blocked: []string{"list/other-users-hidden"}},
			{ID: "dies-on-unknown-op", Requirement: "R-5.3", Level: Must, Summary: "the server dies on a request of an op the spec does not define",
				Fix:          "answer 1003 to an op other than 1, 2, 3 and 4, and keep serving",
				Consequences: []string{"requests left without an answer (LIST: refused)"},
				Cases:        []string{"security/unknown-op"}},
		},
		Unjudged: []Unjudged{
			{Requirements: []string{"R-5.4"}, Level: Must, What: "a BACKUP stating a size over the server's limit is answered 1003 before any payload byte",
				Flag: "-max-size", Hint: "give -max-size SIZE, the server's size limit", Cases: []string{"security/size-over-limit"}},
			{Requirements: []string{"R-5.3"}, Level: Should, What: "a client stalled mid-request is dropped at the server's read deadline",
				Flag: "-stall-cutoff", Hint: "give -stall-cutoff DURATION, the longest read deadline to accept", Cases: []string{"transport/stall-cut-off"}},
		},
		NextSteps: []string{"re-run the failed cases: conform -addr 127.0.0.1:9999 -run '^(restore/missing-1001)$'"},
	}
	r.Results[1].Problem = "missing-file-status"
	r.Results[5].Problem = "dies-on-unknown-op"
	r.Summarize()
	return r
}

func TestTextReportGolden(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().WriteText(&b, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.txt", b.Bytes())
}

func TestTextReportVerboseGolden(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().WriteText(&b, TextOptions{Verbose: true, Color: true}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report-verbose-color.txt", b.Bytes())
}

func TestJSONReportGolden(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.json", b.Bytes())
}

func TestJUnitReportGolden(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "report.junit.xml", b.Bytes())
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
}

// Times are written to the millisecond, whatever the sum of float seconds leaves: three cases
// of 1.2551605290000002 s make suites of 3.765, not 3.7654815870000005.
func TestJUnitTimesToTheMillisecond(t *testing.T) {
	r := Report{Target: "127.0.0.1:9999"}
	for _, id := range []string{"backup/a", "backup/b", "backup/c"} {
		r.Results = append(r.Results, Result{ID: id, Section: "backup", Level: Must, Status: VerdictPass, Duration: 1255160529 * time.Nanosecond})
	}
	var b bytes.Buffer
	if err := r.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	times := regexp.MustCompile(`time="([^"]*)"`).FindAllStringSubmatch(b.String(), -1)
	var got []string
	for _, m := range times {
		got = append(got, m[1])
	}
	if want := []string{"3.765", "3.765", "1.255", "1.255", "1.255"}; !slices.Equal(got, want) {
		t.Errorf("times %q, want %q:\n%s", got, want, b.String())
	}
}

func TestJUnitCasesFollowTheirVerdicts(t *testing.T) {
	var b bytes.Buffer
	if err := fixedReport().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	cases := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	if c := cases["restore/missing-1001"]; c.Failure == nil || !strings.Contains(c.Failure.Body, "RESTORE of a stored file") ||
		!strings.Contains(c.Failure.Body, "01 eb 03") {
		t.Errorf("a MUST failure: %+v", c)
	}
	if c := cases["delete/missing-1001"]; c.Skipped == nil || c.Failure != nil || !strings.Contains(c.Skipped.Message, "baseline") {
		t.Errorf("a known failure is skipped: %+v", c)
	}
	if c := cases["backup/zero-length"]; c.Failure != nil || !strings.Contains(c.SystemOut, "WARN") {
		t.Errorf("a SHOULD failure outside strict is output, not a failure: %+v", c)
	}
	if c := cases["backup/new"]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("a pass: %+v", c)
	}
	if c := cases["problem/list-needs-name-len"]; c.Failure == nil || !strings.Contains(c.Failure.Message, "list-needs-name-len") {
		t.Errorf("a problem no failing case carries gets a failing testcase of its own: %+v", c)
	}
	if c := cases["list/other-users-hidden"]; c.Skipped == nil || !strings.Contains(c.Skipped.Message, "blocked by") {
		t.Errorf("a blocked case is skipped, naming its problem: %+v", c)
	}
	if c := cases["restore/missing-1001"]; c.Failure == nil || !strings.HasPrefix(c.Failure.Message, "[missing-file-status] ") {
		t.Errorf("a failure names its problem: %+v", c)
	}
	if c := cases["list/after-backups"]; c.Skipped == nil || c.Failure != nil || !strings.Contains(c.Skipped.Message, "not run") {
		t.Errorf("a case not run is skipped, as the text report counts it apart from the failures: %+v", c)
	}
	if c := cases["unjudged/R-5.4"]; c.Skipped == nil || !strings.Contains(c.Skipped.Message, "-max-size") {
		t.Errorf("a rule not judged is skipped, naming the flag that judges it: %+v", c)
	}
	if doc.Tests != 14 || doc.Failures != 4 || doc.Skipped != 6 {
		t.Errorf("totals: tests %d failures %d skipped %d", doc.Tests, doc.Failures, doc.Skipped)
	}
}

func TestVerdictAndCounting(t *testing.T) {
	r := fixedReport()
	if r.OK() {
		t.Fatal("a report with MUST failures is OK")
	}
	s := r.Summary
	if s.Must.Pass != 1 || s.Must.Fail != 2 || s.Must.NotRun != 1 || s.Must.KnownFailure != 1 || s.Must.UnexpectedPass != 1 || s.Must.Blocked != 1 ||
		s.Should.Fail != 1 || s.Should.Skip != 1 || s.Info.Info != 1 {
		t.Fatalf("summary %+v", s)
	}
	for id, fails := range map[string]bool{"restore/missing-1001": true, "backup/zero-length": false, "security/unknown-op": true,
		"list/after-backups": true, "delete/missing-1001": false, "delete/keeps-others": false, "transport/version-byte": false} {
		if got := r.FailsRun(r.Result(id)); got != fails {
			t.Errorf("%s fails the run: %v, want %v", id, got, fails)
		}
	}
	r.Strict = true
	if !r.FailsRun(r.Result("backup/zero-length")) {
		t.Error("a SHOULD failure under strict does not fail the run")
	}
	// Only passes, infos, skips and baseline entries: OK.
	ok := &Report{Results: []Result{fixedReport().Results[0], fixedReport().Results[3], fixedReport().Results[4], fixedReport().Results[7]}}
	if !ok.OK() {
		t.Error("passes, infos, skips and known failures do not make an OK run")
	}
	// A MUST problem fails the run even when no case fails with it.
	ok.Problems = []Problem{fixedReport().Problems[0]}
	if ok.OK() {
		t.Error("a MUST problem that no case carries does not fail the run")
	}
	ok.Problems[0].Level = Should
	if !ok.OK() {
		t.Error("a SHOULD problem fails the run without strict")
	}
	ok.Problems = nil
	ok.Interrupted = true
	if ok.OK() {
		t.Error("an interrupted run is OK")
	}
	if (&Report{}).OK() {
		t.Error("a run with no results is OK")
	}
}

func TestStrictTurnsWarnIntoFail(t *testing.T) {
	r := fixedReport()
	res := r.Result("backup/zero-length")
	if line := r.Line(res, false); !strings.HasPrefix(line, "WARN  backup/zero-length") {
		t.Errorf("not strict: %q", line)
	}
	r.Strict = true
	if line := r.Line(res, false); !strings.HasPrefix(line, "FAIL  backup/zero-length") {
		t.Errorf("strict: %q", line)
	}
}

func TestClipKeepsHeadAndTail(t *testing.T) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	var w ClipWriter
	for i := 0; i < len(data); i += 1000 {
		w.Write(data[i:min(i+1000, len(data))])
	}
	c := w.Clip()
	if c.Total != 1<<20 || !bytes.Equal(c.Head, data[:ClipHead]) || !bytes.Equal(c.Tail, data[len(data)-clipTail:]) {
		t.Fatalf("clip %d head %x tail %x", c.Total, c.Head, c.Tail)
	}
	d := c.Dump("")
	if !strings.Contains(d, "... 1048496 bytes cut ...") || !strings.Contains(d, "000ffff0  ") {
		t.Fatalf("dump:\n%s", d)
	}
}

// TestFormatsAgree reads one report in its three formats, as three different users would,
// and checks that they tell the same story: the same verdict, each case the same way, the
// same counts, and a JUnit time that is the sum of its suites'.
func TestFormatsAgree(t *testing.T) {
	interrupted := fixedReport()
	interrupted.Crashes, interrupted.Interrupted = nil, true
	for i := range interrupted.Results {
		if interrupted.Results[i].ID == "security/unknown-op" {
			interrupted.Results[i] = Result{ID: "security/unknown-op", Section: "security", Level: Must, Status: VerdictNotRun, Reason: "not run: the run was interrupted"}
		}
	}
	interrupted.Summarize()
	deadline := fixedReport()
	deadline.DeadlinePassed = true
	deadline.Summarize()
	passing := fixedReport()
	passing.Results, passing.Problems, passing.Crashes = passing.Results[:1], nil, nil
	passing.Summarize()

	// The JUnit totals are written out: the failed cases, plus a testcase for each problem no
	// failed case carries (list-needs-name-len, backup-never-answered) and one for a run that
	// did not finish.
	for name, c := range map[string]struct {
		r                        *Report
		verdict, textTop         string
		tests, failures, skipped int
	}{
		// ... and a skipped testcase for each check the run could not make for want of a flag.
		"failing":     {fixedReport(), RunFail, "FAIL", 14, 4, 6},
		"interrupted": {interrupted, RunIncomplete, "INTERRUPTED", 15, 4, 7},
		"deadline":    {deadline, RunIncomplete, "INCOMPLETE", 15, 5, 6},
		"passing":     {passing, RunPass, "PASS", 3, 0, 2},
	} {
		t.Run(name, func(t *testing.T) {
			r := c.r
			var text, js, junit bytes.Buffer
			if err := r.WriteText(&text, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			if err := r.WriteJUnit(&junit); err != nil {
				t.Fatal(err)
			}
			// JSON, read as a generic document: the promised field, not the struct's.
			var doc map[string]any
			if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["verdict"] != c.verdict {
				t.Errorf("JSON verdict %v, want %q", doc["verdict"], c.verdict)
			}
			lines := strings.Split(strings.TrimSpace(r.SummaryText()), "\n")
			var verdictLine string
			for _, l := range lines {
				if strings.HasPrefix(l, "PASS") || strings.HasPrefix(l, "FAIL") || strings.HasPrefix(l, "INTERRUPTED") || strings.HasPrefix(l, "INCOMPLETE") {
					verdictLine = l
				}
			}
			if !strings.HasPrefix(verdictLine, c.textTop) {
				t.Errorf("text verdict %q, want it to start %q", verdictLine, c.textTop)
			}
			if (c.verdict == RunPass) != r.OK() {
				t.Errorf("verdict %s but OK() %v", c.verdict, r.OK())
			}

			// Each case: the text's tag against the JUnit testcase's state.
			var ju junitSuites
			if err := xml.Unmarshal(junit.Bytes(), &ju); err != nil {
				t.Fatal(err)
			}
			state := map[string]string{}
			var sum junitSeconds
			for _, s := range ju.Suites {
				sum += s.Time
				for _, jc := range s.Cases {
					switch {
					case jc.Failure != nil:
						state[jc.Name] = "failure"
					case jc.Skipped != nil:
						state[jc.Name] = "skipped"
					default:
						state[jc.Name] = "passed"
					}
				}
			}
			want := map[string]string{"PASS": "passed", "INFO": "passed", "FIXED": "passed", "WARN": "passed",
				"FAIL": "failure", "NRUN": "skipped", "SKIP": "skipped", "BLKD": "skipped", "KNOWN": "skipped"}
			for _, l := range strings.Split(text.String(), "\n") {
				f := strings.Fields(l)
				if len(f) < 2 || want[f[0]] == "" || !strings.Contains(f[1], "/") {
					continue
				}
				if got := state[f[1]]; got != want[f[0]] {
					t.Errorf("%s: text %s, JUnit %s", f[1], f[0], got)
				}
			}
			// JUnit's failures: the failed cases, then a testcase per problem no failed case
			// carries and one for a run that did not finish.
			if ju.Tests != c.tests || ju.Failures != c.failures || ju.Skipped != c.skipped || ju.Tests != len(state) {
				t.Errorf("JUnit tests %d (testcases %d), failures %d, skipped %d; want %d, %d, %d",
					ju.Tests, len(state), ju.Failures, ju.Skipped, c.tests, c.failures, c.skipped)
			}
			if r.Incomplete() != (state["run/incomplete"] == "failure") {
				t.Errorf("incomplete %v, but the run/incomplete testcase is %q", r.Incomplete(), state["run/incomplete"])
			}
			if d := ju.Time - sum; d > 1e-6 || d < -1e-6 {
				t.Errorf("JUnit time %v, its suites' sum %v", ju.Time, sum)
			}
			if (ju.Failures == 0) != (c.verdict == RunPass) {
				t.Errorf("JUnit has %d failures for a run whose verdict is %s", ju.Failures, c.verdict)
			}
		})
	}
}

// A PASS says which rules it did not judge, and the flag that would: in its verdict line the
// rules that weigh on it (MUST; SHOULD too under strict), in the lines above it every one; and
// JSON carries them for tools.
func TestPassSaysWhatItDidNotJudge(t *testing.T) {
	passing := fixedReport()
	passing.Results, passing.Problems, passing.Crashes = passing.Results[:1], nil, nil
	passing.Summarize()
	verdict := func(r *Report) string {
		for _, l := range strings.Split(r.SummaryText(), "\n") {
			if strings.HasPrefix(l, "PASS") {
				return l
			}
		}
		t.Fatalf("no verdict line in\n%s", r.SummaryText())
		return ""
	}
	if v := verdict(passing); !strings.Contains(v, "MUST rules not judged: R-5.4 (-max-size)") || strings.Contains(v, "R-5.3") {
		t.Errorf("verdict %q: want the MUST rule not judged and its flag, not the SHOULD one", v)
	}
	if text := passing.SummaryText(); !strings.Contains(text, "give -stall-cutoff DURATION") || !strings.Contains(text, "give -max-size SIZE") {
		t.Errorf("summary does not list every rule not judged:\n%s", text)
	}
	strict := *passing
	strict.Strict = true
	if v := verdict(&strict); !strings.Contains(v, "MUST and SHOULD rules not judged: R-5.4 (-max-size), R-5.3 (-stall-cutoff)") {
		t.Errorf("strict verdict %q", v)
	}
	judged := *passing
	judged.Unjudged = nil
	if v := verdict(&judged); strings.Contains(v, "not judged") {
		t.Errorf("verdict %q with every rule judged", v)
	}
	var js bytes.Buffer
	if err := passing.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Unjudged []struct {
			Requirements []string `json:"requirements"`
			Level, Flag  string
		} `json:"unjudged"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Unjudged) != 2 || doc.Unjudged[0].Flag != "-max-size" || doc.Unjudged[0].Level != "MUST" || doc.Unjudged[0].Requirements[0] != "R-5.4" {
		t.Errorf("JSON unjudged %+v", doc.Unjudged)
	}
}

// firstLines is the first n lines of the text report.
func firstLines(t *testing.T, r *Report, n int) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteText(&b, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(b.String(), "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// The first screen tells the story: every problem's ID, level, requirement, summary and case
// counts stand in the first 40 lines, however long each problem's details are, and a server
// with more problems than a screen holds says how many more follow.
func TestFirstScreenNamesEveryProblem(t *testing.T) {
	for _, n := range []int{3, 12, indexShown + 1, 60} {
		r := fixedReport()
		r.Problems = nil
		for i := range n {
			r.Problems = append(r.Problems, Problem{ID: fmt.Sprintf("fault-%02d", i), Requirement: "R-4.2", Level: Must,
				Summary: fmt.Sprintf("fault number %d in plain words", i), Diagnosis: strings.Repeat("detail ", 30),
				Evidence: bytesEvidence(), Cases: []string{"restore/missing-1001", "backup/new"}, Blocked: []string{"list/other-users-hidden"}})
		}
		screen := firstLines(t, r, 40)
		shown := min(n, indexShown)
		if n == indexShown+1 {
			shown = n // one more line is the line that would count it
		}
		for i := range shown {
			want := fmt.Sprintf("[fault-%02d] MUST R-4.2: fault number %d in plain words (fails 2 cases, blocks 1)", i, i)
			if !strings.Contains(screen, want) {
				t.Errorf("%d problems: %q is not in the first 40 lines:\n%s", n, want, screen)
			}
		}
		if more := n - shown; more > 0 && !strings.Contains(screen, fmt.Sprintf("… and %d more problems, below", more)) {
			t.Errorf("%d problems: the first screen does not count the %d it leaves out:\n%s", n, more, screen)
		}
	}
}

// bytesEvidence is evidence with bytes, as long as a problem's block gets.
func bytesEvidence() *Evidence {
	req := []byte{0xa4, 0x89, 0xc0, 0xe3, 0x01, 0xc8, 0x0a, 0x00, 'a', 'b', 's', 'e', 'n', 't', '.', 't', 'x', 't'}
	return &Evidence{Case: "restore/missing-1001", Expected: "1001", Actual: "1003",
		Exchange: &Exchange{Label: "RESTORE", Conn: 1, Sent: clipOf(req), Received: clipOf([]byte{1, 0xeb, 3}), Outcome: "status 1003"}}
}

// A server that dies the same way after many cases is one line with the count and the cases,
// not a line per crash; a crash that ended otherwise keeps a line of its own.
func TestRepeatedCrashesCollapse(t *testing.T) {
	r := fixedReport()
	r.Crashes = nil
	for i := range 7 {
		r.Crashes = append(r.Crashes, Crash{After: fmt.Sprintf("security/case-%d", i),
			Detail: "the server process ended: signal: aborted" + LastOutputSep + fmt.Sprintf("accepted connection %d | free(): invalid pointer", i)})
	}
	r.Crashes = append(r.Crashes, Crash{After: "list/x", Detail: "the server process ended: exit status 3"})
	var b bytes.Buffer
	if err := r.WriteText(&b, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	want := "server stopped answering 7 times, after cases security/case-0, security/case-1, security/case-2, security/case-3, security/case-4, security/case-5 and 1 more: " +
		"the server process ended: signal: aborted; its last output: accepted connection 0 | free(): invalid pointer\n"
	if !strings.Contains(text, want) {
		t.Errorf("no collapsed crash line %q in\n%s", want, text)
	}
	if n := strings.Count(text, "\nserver stopped answering"); n != 2 {
		t.Errorf("%d crash lines, want 2:\n%s", n, text)
	}
	if !strings.Contains(text, "server stopped answering after case list/x: the server process ended: exit status 3\n") {
		t.Errorf("the other crash is not told on its own:\n%s", text)
	}
}

// Problems are faults: two keys of one fault are one problem, and two checks are two problems
// with IDs of their own, never numbered copies.
func TestProblemSetGroupsByFault(t *testing.T) {
	ps := NewProblemSet()
	a := ps.Add("R-7.5|differs", &Problem{Summary: "a run that differs"})
	b := ps.Add("R-7.5|unread", &Problem{Summary: "a response left unread"})
	c := ps.Add("R-4.4|status", &Problem{})
	d := ps.Add("R-4.3|status", &Problem{})
	if a != b || a.ID != "reads-response-in-one-read" || a.Fix == "" {
		t.Errorf("one-read fault: %+v and %+v", a, b)
	}
	if c.ID != "r-4-4-status" || d.ID != "r-4-3-status" {
		t.Errorf("IDs %q and %q, want r-4-4-status and r-4-3-status", c.ID, d.ID)
	}
	if n := len(ps.Problems()); n != 3 {
		t.Errorf("%d problems, want 3", n)
	}
}

// A problem that fails no case says whether the diagnosis found it or cases met it on their
// way: one met in passing is never shown as the diagnosis's.
func TestIndexLineSaysWhereAProblemWasFound(t *testing.T) {
	r := fixedReport()
	for _, c := range []struct {
		p    Problem
		want string
	}{
		{Problem{ID: "d", Level: Must, Requirement: "R-2.1", Summary: "s", Diagnosis: "LIST alone: no answer"}, "(found by the diagnosis)"},
		{Problem{ID: "m", Level: Must, Requirement: "R-1.3", Summary: "s", SeenIn: []string{"a/b", "c/d"},
			Evidence: &Evidence{Case: "a/b"}}, "(met in 2 cases on the way to their own rules)"},
		{Problem{ID: "n", Level: Must, Requirement: "R-1.3", Summary: "s", Evidence: &Evidence{Case: "a/b"}}, "(fails no case)"},
	} {
		if got := r.IndexLine(&c.p); !strings.HasSuffix(got, c.want) {
			t.Errorf("%s: %q, want it to end %q", c.p.ID, got, c.want)
		}
	}
}
