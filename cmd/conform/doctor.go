package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/diagnosis"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
)

// DoctorSchema names the layout of conform doctor's JSON report.
const DoctorSchema = "fbp-conform-doctor/2"

const doctorUsage = `usage: conform doctor [-addr host:port] [flags]

Probes an FBP server and names the root causes of what is wrong with it, in seconds: nothing
answers, not FBP, framing of its own (LIST or BACKUP read wrongly, a length prefix, fields out of
order, big-endian statuses), a status map of its own, how many connections it serves at once,
requests smuggled in a refused upload, deaths when a client leaves early. Without -addr it
diagnoses the built-in reference server.
Exit status: 0 nothing wrong, 1 a finding, 2 usage error, 3 server unreachable.
`

// runDoctor is `conform doctor`: the diagnosis phase alone, in seconds.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f testerFlags
	cmd := f.command("doctor", doctorUsage, false, 5*time.Second, "restarted after a probe kills it")
	noCrash := cmd.Flags.Bool("no-crash-probes", false, "leave out the probes that may kill the server (a client that leaves early)")
	if err := f.parse(cmd, args); err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	tgt, err := startTarget(ctx, &f, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "conform doctor: %v\n", err)
		return exitUnreachable
	}
	defer tgt.close()
	cfg := diagnosis.Config{Addr: tgt.addr, Timeout: f.timeout, CrashProbes: !*noCrash}
	if tgt.proc != nil {
		cfg.Restart = func(ctx context.Context) (string, error) {
			if err := tgt.proc.Restart(ctx); err != nil {
				return "", err
			}
			return tgt.proc.Addr(), nil
		}
	}
	if f.verbose {
		cfg.Log = func(s string) { fmt.Fprintln(stderr, "conform doctor: "+s) }
	}
	d, err := diagnosis.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "conform doctor: %v\n", err)
		return exitUsage
	}
	doc := newDoctorDoc(d)
	doc.fullRun = strings.Join(append([]string{"conform"}, targetFlags(&f)...), " ")
	if err := writeReport(&f, stdout, stderr, doc.writeText, doc, "conform doctor: "+doc.summary()+"\n"); err != nil {
		fmt.Fprintf(stderr, "conform doctor: writing the report: %v\n", err)
	}
	switch {
	case d.Finding("nothing-listens") != nil:
		return exitUnreachable
	case doc.failing() > 0:
		return exitFail
	}
	return exitPass
}

// doctorDoc is conform doctor's report: every tester's head (its verdict, target and problems:
// here, what the diagnosis found), then what the probes saw.
type doctorDoc struct {
	report.Head
	Findings    []report.Finding `json:"findings"`
	Probes      int              `json:"probes"`
	Fingerprint string           `json:"status_map,omitempty"`
	Served      int              `json:"served_at_once,omitempty"`
	Workarounds []string         `json:"workarounds,omitempty"`
	// fullRun is the command of a full run against the same server.
	fullRun string
}

func newDoctorDoc(d *diagnosis.Diagnosis) *doctorDoc {
	doc := &doctorDoc{Head: report.Head{Schema: DoctorSchema, Target: d.Target, Duration: d.Duration, Problems: []report.Problem{}},
		Findings: []report.Finding{}, Probes: d.Probes, Served: d.Served}
	if d.Fingerprint != (diagnosis.Diagnosis{}).Fingerprint {
		doc.Fingerprint = d.Fingerprint.String()
	}
	for _, f := range d.Findings {
		doc.Problems = append(doc.Problems, f.Problem())
		doc.Findings = append(doc.Findings, f.Finding)
		if f.Workaround != "" {
			doc.Workarounds = append(doc.Workarounds, f.Workaround)
		}
	}
	// An INFO finding says what the server does, not that it is wrong: as in a full run, it
	// does not fail.
	doc.Verdict = report.RunPass
	if doc.failing() > 0 {
		doc.Verdict = report.RunFail
	}
	return doc
}

// failing counts the findings that would fail a conformance run.
func (doc *doctorDoc) failing() int {
	n := 0
	for _, f := range doc.Problems {
		if f.Level != report.Info {
			n++
		}
	}
	return n
}

// summary is the verdict in words, with the count of problems.
func (doc *doctorDoc) summary() string {
	switch n := doc.failing(); n {
	case 0:
		return "OK: nothing wrong found"
	default:
		return "FAIL: " + words.Count(n, "problem")
	}
}

// WriteJUnit writes the diagnosis as the catalog's JUnit report writes the problems it found
// before its cases: a failing testcase for each finding that fails (MUST or SHOULD, as doctor
// exits 1 for either). With none, one passing testcase says so, with what the probes saw, so
// that CI counts a test either way.
func (doc *doctorDoc) WriteJUnit(w io.Writer) error {
	rep := report.Report{Target: doc.Target, Strict: true, Problems: doc.Problems}
	if doc.failing() == 0 {
		// As a case's, the first note is the reason.
		what := fmt.Sprintf("%d probes, nothing wrong found", doc.Probes)
		res := report.Result{ID: "diagnosis/nothing-wrong", Section: "diagnosis", Level: report.Must, Status: report.VerdictPass,
			Desc: "the diagnosis found nothing wrong", Reason: what, Notes: []string{what}, Duration: doc.Duration}
		if doc.Fingerprint != "" {
			res.Notes = append(res.Notes, "status map: "+doc.Fingerprint)
		}
		if doc.Served > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("connections served at once: %d", doc.Served))
		}
		for _, f := range doc.Problems {
			res.Notes = append(res.Notes, fmt.Sprintf("[%s] %s %s: %s", f.ID, f.Level, f.Requirement, f.Summary))
		}
		rep.Results = []report.Result{res}
	}
	return rep.WriteJUnit(w)
}

func (doc *doctorDoc) writeText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "diagnosis of %s: %d probes in %v\n", doc.Target, doc.Probes, doc.Duration.Round(time.Millisecond))
	if doc.Fingerprint != "" {
		fmt.Fprintf(&sb, "status map: %s\n", doc.Fingerprint)
	}
	if doc.Served > 0 {
		fmt.Fprintf(&sb, "connections served at once: %d\n", doc.Served)
	}
	rep := report.Report{Problems: doc.Problems}
	if err := rep.WriteProblems(&sb); err != nil {
		return err
	}
	fmt.Fprintf(&sb, "\n%s (%v)\n", doc.summary(), doc.Duration.Round(time.Millisecond))
	if len(doc.Workarounds) > 0 {
		fmt.Fprintf(&sb, "a full run (%s) speaks around these and tests the rest\n", doc.fullRun)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
