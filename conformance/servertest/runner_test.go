package servertest

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// fastConfig is a run against addr tuned for loopback tests.
func fastConfig(addr, run string) Config {
	cfg := Config{Addr: addr, Timeout: time.Second, Grace: 20 * time.Millisecond, Parallel: 4, Stall: 50 * time.Millisecond}
	if run != "" {
		cfg.Run = regexp.MustCompile(run)
	}
	return cfg
}

func startMutant(t *testing.T, name string) string {
	return mutants.StartTB(t, name, mutants.Options{})
}

func mustRun(t *testing.T, cfg Config) report.Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, p := range rep.Problems {
		// A problem quotes the rule it cites, and no other.
		if want := spec.ID(p.Requirement).Sentence(); want == "" || p.Rule != want {
			t.Errorf("problem %s cites %s but quotes %q", p.ID, p.Requirement, p.Rule)
		}
	}
	return rep
}

func statusOf(t *testing.T, rep report.Report, id string) report.Verdict {
	t.Helper()
	res := rep.Result(id)
	if res == nil {
		t.Fatalf("no result for %s", id)
	}
	return res.Status
}

var idPattern = regexp.MustCompile(`^(transport|backup|restore|delete|list|security)/[a-z0-9]+(-[a-z0-9]+)*$`)

func TestCatalogIsWellFormed(t *testing.T) {
	cat := Catalog()
	if len(cat) < 60 {
		t.Fatalf("catalog has %d cases", len(cat))
	}
	for _, c := range cat {
		if !idPattern.MatchString(c.ID) {
			t.Errorf("%s: ID does not follow section/name-with-dashes", c.ID)
		}
		if c.Level != report.Must && c.Level != report.Should && c.Level != report.Info {
			t.Errorf("%s: level %v", c.ID, c.Level)
		}
		if c.Desc == "" || c.run == nil || len(c.Reqs) == 0 {
			t.Errorf("%s: missing description, run function or requirements", c.ID)
		}
		for _, r := range c.Reqs {
			if _, ok := spec.Lookup(r); !ok {
				t.Errorf("%s: requirement %s is not in SPEC.md", c.ID, r)
			}
		}
	}
}

func TestCatalogRefusesTwoCasesWithOneID(t *testing.T) {
	one := func() []*Case {
		return []*Case{{Head: casebook.Head{ID: "backup/x"}}, {Head: casebook.Head{ID: "backup/y"}}}
	}
	other := func() []*Case {
		return []*Case{{Head: casebook.Head{ID: "list/z"}}, {Head: casebook.Head{ID: "backup/y"}}}
	}
	if _, err := buildCatalog([]func() []*Case{one, other}); err == nil || !strings.Contains(err.Error(), `"backup/y"`) {
		t.Fatalf("err = %v, want one naming backup/y", err)
	}
	if cat, err := buildCatalog([]func() []*Case{one}); err != nil || len(cat) != 2 {
		t.Fatalf("%d cases, %v", len(cat), err)
	}
}

func TestSelectRunAndSkip(t *testing.T) {
	cfg := Config{Run: regexp.MustCompile(`^list/`), Skip: regexp.MustCompile(`name-format`)}
	got := Select(&cfg)
	if len(got) == 0 {
		t.Fatal("no list cases selected")
	}
	for _, c := range got {
		if !strings.HasPrefix(c.ID, "list/") || c.ID == "list/name-format" {
			t.Errorf("selected %s", c.ID)
		}
	}
	if !slices.ContainsFunc(got, func(c *Case) bool { return c.ID == "list/empty-user-1002" }) {
		t.Error("list/empty-user-1002 not selected")
	}
}

func TestRunSelectionMatchingNothingIsAnError(t *testing.T) {
	_, err := Run(context.Background(), Config{Addr: "127.0.0.1:1", Run: regexp.MustCompile("nomatch")})
	if !errors.Is(err, ErrNoCases) {
		t.Fatalf("err = %v, want ErrNoCases", err)
	}
}

func TestRunUnreachableServer(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	_, err := Run(context.Background(), fastConfig(addr, ""))
	var ue *target.UnreachableError
	if !errors.As(err, &ue) || ue.Addr != addr || !strings.Contains(err.Error(), "cannot reach "+addr) {
		t.Fatalf("err = %v, want an UnreachableError for %s", err, addr)
	}
}

func TestFailureShowsRequirementExpectedActualAndBytes(t *testing.T) {
	rep := mustRun(t, fastConfig(startMutant(t, "missing-file-1003"), `^restore/missing-1001$`))
	res := rep.Result("restore/missing-1001")
	if res.Status != report.VerdictFail || rep.OK() {
		t.Fatalf("status %s, OK %v", res.Status, rep.OK())
	}
	var text bytes.Buffer
	rep.WriteText(&text, report.TextOptions{})
	out := text.String()
	for _, want := range []string{
		"FAIL  restore/missing-1001",
		spec.R4_2.Sentence(),
		`expected: 1001 (not-found) with name "absent.txt"`,
		"actual:   status 1003 (server-error)",
		"01 c8 0a 00  61 62 73 65 6e 74 2e 74  |", // version, op 200, name_len 10, the filename
		"00000000  01 eb 03  ",                    // the response's 3 bytes
		"MUST      0 passed,   1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestExactLengthOfEveryStatusIsChecked(t *testing.T) {
	for _, tc := range []struct{ mutant, id, actual string }{
		{"no-files-extra-fields", "list/empty-user-1002", "6 more bytes followed the response: 00 00 00 00 00 00"},
		{"ok-trailing-size", "transport/fields-212-backup", "4 more bytes followed the response: 00 00 00 00"},
		{"ok-trailing-size", "transport/fields-212-delete", "4 more bytes followed the response"},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			rep := mustRun(t, fastConfig(startMutant(t, tc.mutant), "^"+regexp.QuoteMeta(tc.id)+"$"))
			res := rep.Result(tc.id)
			if res.Status != report.VerdictFail || len(res.Failures) == 0 || !strings.Contains(res.Failures[0].Actual, tc.actual) {
				t.Fatalf("%s: %s %+v", tc.id, res.Status, res.Failures)
			}
		})
	}
}

// The report's formats are pinned by the golden files of package report; this checks that a
// run fills the report they render: the failure's sentence and bytes, and no bytes of a pass.
func TestRunReportKeepsFailureDetails(t *testing.T) {
	rep := mustRun(t, fastConfig(startMutant(t, "missing-file-1003"), `^(restore/|list/empty-user)`))
	if rep.Schema != report.Schema || len(rep.Results) != 4 {
		t.Fatalf("schema %q, %d results", rep.Schema, len(rep.Results))
	}
	f := rep.Result("restore/missing-1001")
	if f.Status != report.VerdictFail || len(f.Exchanges) == 0 || f.Failures[0].Sentence != spec.R4_2.Sentence() ||
		f.Failures[0].Exchange < 0 || !bytes.Equal(f.Exchanges[f.Failures[0].Exchange].Received.Head, []byte{1, 0xeb, 3}) {
		t.Fatalf("failure lost its details: %+v", f)
	}
	if rep.Result("list/empty-user-1002").Exchanges != nil {
		t.Error("a passing case kept its bytes without -v")
	}
	if s := rep.Summary.Must; s.Fail != 2 || s.Pass != 2 {
		t.Errorf("summary %+v", s)
	}
}

func TestBaselineKnownFailureAndUnexpectedPass(t *testing.T) {
	cfg := fastConfig(startMutant(t, "missing-file-1003"), `^(restore/missing-1001|restore/missing-new-user|backup/new)$`)
	cfg.Baseline = []string{"restore/missing-1001", "restore/missing-new-user", "backup/new", "no/such-case"}
	rep := mustRun(t, cfg)
	for id, want := range map[string]report.Verdict{
		"restore/missing-1001": report.VerdictKnownFailure, "restore/missing-new-user": report.VerdictKnownFailure, "backup/new": report.VerdictUnexpectedPass,
	} {
		if got := statusOf(t, rep, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if !rep.OK() {
		t.Error("known failures counted against the run")
	}
	if rep.Summary.Must.KnownFailure != 2 || rep.Summary.Must.UnexpectedPass != 1 {
		t.Errorf("summary %+v", rep.Summary.Must)
	}
	if !strings.Contains(rep.SummaryText(), "1 baseline entry now passing") {
		t.Errorf("summary does not report the unexpected pass:\n%s", rep.SummaryText())
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "no/such-case") {
		t.Errorf("warnings %q", rep.Warnings)
	}
	// Without the baseline the same run fails.
	cfg.Baseline = nil
	if rep := mustRun(t, cfg); rep.OK() {
		t.Error("the run passes without its baseline")
	}
}

func TestHealthProbeAttributesCrashAndStopsCascade(t *testing.T) {
	addr := startMutant(t, "dies-on-unknown-op")
	// The ordinary cases run first, then those that send bad input, in catalog order:
	// transport/fields-1003 sends an unknown op and the server dies; security/unknown-op after
	// it cannot run.
	cfg := fastConfig(addr, `^(transport/status-mapping|transport/fields-1003|backup/new|restore/missing-1001|security/unknown-op)$`)
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	res := rep.Result("transport/fields-1003")
	if res.Status != report.VerdictFail || !strings.Contains(res.Crash, "server stopped answering after case transport/fields-1003") {
		t.Fatalf("transport/fields-1003: %s crash %q", res.Status, res.Crash)
	}
	if len(rep.Crashes) != 1 || rep.Crashes[0].After != "transport/fields-1003" {
		t.Fatalf("crashes %+v", rep.Crashes)
	}
	for _, id := range []string{"transport/status-mapping", "backup/new", "restore/missing-1001"} {
		if s := statusOf(t, rep, id); s != report.VerdictPass {
			t.Errorf("%s ran before the bad input: %s", id, s)
		}
	}
	r := rep.Result("security/unknown-op")
	p := rep.Problem(r.BlockedBy)
	if r.Status != report.VerdictBlocked || !strings.Contains(r.Reason, "transport/fields-1003") || p == nil ||
		!slices.Contains(p.Cases, "transport/fields-1003") {
		t.Errorf("security/unknown-op after the crash: %s %q, want blocked by the crash's problem", r.Status, r.Reason)
	}
	if rep.OK() {
		t.Error("a crashed server passes")
	}

	// Going on after the crash: the cases wait for the server, which stays dead: blocked.
	addr = startMutant(t, "dies-on-unknown-op")
	cfg = fastConfig(addr, `^(transport/fields-1003|security/unknown-op)$`)
	cfg.Parallel, cfg.ContinueAfterCrash = 1, true
	rep = mustRun(t, cfg)
	if r := rep.Result("security/unknown-op"); r.Status != report.VerdictBlocked || !strings.Contains(r.Reason, "has not answered since case transport/fields-1003") {
		t.Errorf("security/unknown-op: %s %q", r.Status, r.Reason)
	}
}

func TestCancelledRunStillReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := fastConfig(startMutant(t, "none"), "")
	cfg.Parallel = 1
	var done atomic.Int32
	cfg.Progress = func(p Progress) {
		if done.Add(1) == 3 {
			cancel()
		}
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || rep.OK() {
		t.Fatalf("interrupted %v OK %v", rep.Interrupted, rep.OK())
	}
	if len(rep.Results) != len(Catalog()) {
		t.Fatalf("%d results for %d cases", len(rep.Results), len(Catalog()))
	}
	var ran, notRun int
	for _, r := range rep.Results {
		switch r.Status {
		case report.VerdictNotRun:
			notRun++
		case report.VerdictFail:
			t.Errorf("%s failed because of the interruption: %s", r.ID, r.Reason)
		default:
			ran++
		}
	}
	if ran < 3 || notRun == 0 {
		t.Errorf("%d ran, %d not run", ran, notRun)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf, report.TextOptions{}); err != nil || !strings.Contains(buf.String(), "INTERRUPTED") {
		t.Errorf("text report: %v\n%s", err, buf.String())
	}
}

func TestJSONShowsBytesInHex(t *testing.T) {
	rep := mustRun(t, fastConfig(startMutant(t, "missing-file-1003"), `^restore/missing-1001$`))
	var buf bytes.Buffer
	rep.WriteJSON(&buf)
	if !strings.Contains(buf.String(), `"head": "01eb03"`) {
		t.Fatalf("the 3-byte answer is not in hex:\n%s", buf.String())
	}
}

func TestCleanupUnlessKeep(t *testing.T) {
	for _, keep := range []bool{false, true} {
		srv := servertest.Start(t, server.Config{})
		cfg := fastConfig(srv.Addr, `^(backup/new|list/after-backups|restore/exact-bytes)$`)
		cfg.Keep = keep
		mustRun(t, cfg)
		var files []string
		filepath.WalkDir(srv.Root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		// backup/new stores 1 file, list/after-backups 3, restore/exact-bytes 2.
		if want := map[bool]int{false: 0, true: 6}[keep]; len(files) != want {
			t.Errorf("keep=%v: %d files left: %q", keep, len(files), files)
		}
	}
}

func TestStrictMakesShouldFailuresCount(t *testing.T) {
	addr := startMutant(t, "backup-empty-rejected")
	for _, strict := range []bool{false, true} {
		cfg := fastConfig(addr, `^(backup/zero-length|backup/new)$`)
		cfg.Strict = strict
		rep := mustRun(t, cfg)
		if statusOf(t, rep, "backup/zero-length") != report.VerdictFail || rep.OK() != !strict {
			t.Errorf("strict=%v: zero-length %s, OK %v", strict, statusOf(t, rep, "backup/zero-length"), rep.OK())
		}
		line := rep.Line(rep.Result("backup/zero-length"), false)
		if want := map[bool]string{false: "WARN ", true: "FAIL "}[strict]; !strings.HasPrefix(line, want) {
			t.Errorf("strict=%v: line %q", strict, line)
		}
	}
}

// A run says what it could not judge for want of a flag: the cases that need a size limit or a
// stall cut-off, the disk it was not given, the rules no selected case checks. With each flag
// given and every case selected, nothing is left out (TestReferenceServerPassesEveryCase).
func TestRunListsWhatItDidNotJudge(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	rep := mustRun(t, fastConfig(srv.Addr, `^(security/size-over-limit|transport/stall-cut-off|security/backup-name-slash)$`))
	if !rep.OK() {
		t.Fatalf("the run fails:\n%s", rep.SummaryText())
	}
	flags := map[string]report.Unjudged{}
	for _, u := range rep.Unjudged {
		flags[u.Flag] = u
	}
	for flag, want := range map[string]struct {
		level report.Level
		reqs  []string
	}{
		"-max-size":     {report.Must, spec.IDStrings(spec.R5_4)},
		"-stall-cutoff": {report.Should, spec.IDStrings(spec.R5_3)},
		"-root":         {report.Must, spec.IDStrings(spec.R5_1, spec.R5_3)},
	} {
		if u, ok := flags[flag]; !ok || u.Level != want.level || !slices.Equal(u.Requirements, want.reqs) {
			t.Errorf("%s: %+v, want %s %v", flag, u, want.level, want.reqs)
		}
	}
	if u := flags["-run/-skip"]; !slices.Contains(u.Requirements, string(spec.R4_2)) || slices.Contains(u.Requirements, string(spec.R5_1)) {
		t.Errorf("rules no selected case checks: %v", u.Requirements)
	}
	if v := rep.SummaryText(); !strings.Contains(v, "PASS: every selected MUST case passed; MUST rules not judged: R-5.4 (-max-size), R-5.1 R-5.3 (-root)") {
		t.Errorf("summary:\n%s", v)
	}
}
