package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io/fs"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
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
	t.Helper()
	addr, stop, err := mutants.Start(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

func mustRun(t *testing.T, cfg Config) Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func statusOf(t *testing.T, rep Report, id string) Status {
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
	seen := map[string]bool{}
	for _, c := range cat {
		if !idPattern.MatchString(c.ID) {
			t.Errorf("%s: ID does not follow section/name-with-dashes", c.ID)
		}
		if seen[c.ID] {
			t.Errorf("%s: duplicate ID", c.ID)
		}
		seen[c.ID] = true
		if c.Level != Must && c.Level != Should && c.Level != Info {
			t.Errorf("%s: level %v", c.ID, c.Level)
		}
		if c.Desc == "" || c.Run == nil || len(c.Reqs) == 0 {
			t.Errorf("%s: missing description, run function or requirements", c.ID)
		}
		for _, r := range c.Reqs {
			if Requirement(r) == "" {
				t.Errorf("%s: requirement %s has no sentence", c.ID, r)
			}
		}
	}
	// The catalog is built afresh each time: IDs and their order never depend on a run.
	again := Catalog()
	for i := range cat {
		if cat[i].ID != again[i].ID {
			t.Fatalf("catalog order changed at %d: %s vs %s", i, cat[i].ID, again[i].ID)
		}
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

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRunUnreachableServer(t *testing.T) {
	addr := closedAddr(t)
	_, err := Run(context.Background(), fastConfig(addr, ""))
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != addr || !strings.Contains(err.Error(), "cannot reach "+addr) {
		t.Fatalf("err = %v, want an UnreachableError for %s", err, addr)
	}
}

func TestFailureShowsRequirementExpectedActualAndBytes(t *testing.T) {
	rep := mustRun(t, fastConfig(startMutant(t, "missing-file-1003"), `^restore/missing-1001$`))
	res := rep.Result("restore/missing-1001")
	if res.Status != Fail || rep.OK() {
		t.Fatalf("status %s, OK %v", res.Status, rep.OK())
	}
	var text bytes.Buffer
	rep.WriteText(&text, TextOptions{})
	out := text.String()
	for _, want := range []string{
		"FAIL  restore/missing-1001",
		Requirement("R-4.2"),
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
			if res.Status != Fail || len(res.Failures) == 0 || !strings.Contains(res.Failures[0].Actual, tc.actual) {
				t.Fatalf("%s: %s %+v", tc.id, res.Status, res.Failures)
			}
		})
	}
}

func TestJSONReportRoundTrips(t *testing.T) {
	rep := mustRun(t, fastConfig(startMutant(t, "missing-file-1003"), `^(restore/|list/empty-user)`))
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, buf.String())
	}
	if back.Schema != ReportSchema || len(back.Results) != len(rep.Results) || back.Summary != rep.Summary {
		t.Fatalf("schema %q, %d results, summary %+v; want %q, %d, %+v", back.Schema, len(back.Results), back.Summary,
			ReportSchema, len(rep.Results), rep.Summary)
	}
	for i, r := range back.Results {
		if r.ID != rep.Results[i].ID || r.Status != rep.Results[i].Status || r.Level != rep.Results[i].Level {
			t.Errorf("result %d: %s %s %s, want %s %s %s", i, r.ID, r.Status, r.Level, rep.Results[i].ID, rep.Results[i].Status, rep.Results[i].Level)
		}
	}
	f := back.Result("restore/missing-1001")
	if f.Status != Fail || len(f.Exchanges) == 0 || f.Failures[0].Sentence != Requirement("R-4.2") {
		t.Fatalf("failure lost its details: %+v", f)
	}
	if back.Result("list/empty-user-1002").Exchanges != nil {
		t.Error("a passing case kept its bytes without -v")
	}
}

func TestJUnitReportParses(t *testing.T) {
	cfg := fastConfig(startMutant(t, "missing-file-1003"), `^(restore/|list/empty-user|backup/new$)`)
	cfg.Baseline = []string{"restore/missing-new-user"}
	rep := mustRun(t, cfg)
	var buf bytes.Buffer
	if err := rep.WriteJUnit(&buf); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	suites := map[string]junitSuite{}
	for _, s := range doc.Suites {
		suites[s.Name] = s
	}
	if len(suites) != 3 || suites["restore"].Tests != 3 || suites["backup"].Tests != 1 || suites["list"].Tests != 1 {
		t.Fatalf("suites: %+v", doc.Suites)
	}
	cases := map[string]junitCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	if c := cases["restore/missing-1001"]; c.Failure == nil || !strings.Contains(c.Failure.Body, Requirement("R-4.2")) {
		t.Errorf("restore/missing-1001: %+v", c)
	}
	if c := cases["restore/missing-new-user"]; c.Skipped == nil || c.Failure != nil || !strings.Contains(c.Skipped.Message, "baseline") {
		t.Errorf("baseline failure should be skipped: %+v", c)
	}
	if c := cases["backup/new"]; c.Failure != nil || c.Skipped != nil {
		t.Errorf("backup/new passed: %+v", c)
	}
	if doc.Failures != 1 || doc.Skipped != 1 || doc.Tests != 5 {
		t.Errorf("totals: tests %d failures %d skipped %d", doc.Tests, doc.Failures, doc.Skipped)
	}
}

func TestBaselineKnownFailureAndUnexpectedPass(t *testing.T) {
	cfg := fastConfig(startMutant(t, "missing-file-1003"), `^(restore/missing-1001|restore/missing-new-user|backup/new)$`)
	cfg.Baseline = []string{"restore/missing-1001", "restore/missing-new-user", "backup/new", "no/such-case"}
	rep := mustRun(t, cfg)
	for id, want := range map[string]Status{
		"restore/missing-1001": Known, "restore/missing-new-user": Known, "backup/new": Fixed,
	} {
		if got := statusOf(t, rep, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if !rep.OK() {
		t.Error("known failures counted against the run")
	}
	if rep.Summary.Must.Known != 2 || rep.Summary.Must.Fixed != 1 {
		t.Errorf("summary %+v", rep.Summary.Must)
	}
	if !strings.Contains(rep.SummaryText(), "1 baseline entries now pass") {
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
	// In catalog order: transport/status-mapping passes, transport/fields-1003 sends an unknown
	// op, and the server dies.
	cfg := fastConfig(addr, `^(transport/status-mapping|transport/fields-1003|backup/new|restore/missing-1001|list/after-backups)$`)
	cfg.Parallel = 1
	rep := mustRun(t, cfg)
	res := rep.Result("transport/fields-1003")
	if res.Status != Fail || !strings.Contains(res.Crash, "server stopped answering after case transport/fields-1003") {
		t.Fatalf("transport/fields-1003: %s crash %q", res.Status, res.Crash)
	}
	if len(rep.Crashes) != 1 || rep.Crashes[0].After != "transport/fields-1003" {
		t.Fatalf("crashes %+v", rep.Crashes)
	}
	if s := statusOf(t, rep, "transport/status-mapping"); s != Pass {
		t.Errorf("transport/status-mapping ran before the crash: %s", s)
	}
	for _, id := range []string{"backup/new", "restore/missing-1001", "list/after-backups"} {
		r := rep.Result(id)
		if r.Status != NotRun || !strings.Contains(r.Reason, "transport/fields-1003") {
			t.Errorf("%s after the crash: %s %q, want not-run naming the crash", id, r.Status, r.Reason)
		}
	}
	if rep.OK() {
		t.Error("a crashed server passes")
	}

	// Going on after the crash: the cases wait for the server, which stays dead: still no
	// failures, only cases not run.
	addr = startMutant(t, "dies-on-unknown-op")
	cfg = fastConfig(addr, `^(transport/fields-1003|restore/missing-1001)$`)
	cfg.Parallel, cfg.ContinueAfterCrash = 1, true
	rep = mustRun(t, cfg)
	if r := rep.Result("restore/missing-1001"); r.Status != NotRun || !strings.Contains(r.Reason, "has not answered since case transport/fields-1003") {
		t.Errorf("restore/missing-1001: %s %q", r.Status, r.Reason)
	}
}

func TestCancelledRunStillReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := fastConfig(startMutant(t, "none"), "")
	cfg.Parallel = 1
	var done atomic.Int32
	cfg.Progress = func(r Result) {
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
		case NotRun:
			notRun++
		case Fail:
			t.Errorf("%s failed because of the interruption: %s", r.ID, r.Reason)
		default:
			ran++
		}
	}
	if ran < 3 || notRun == 0 {
		t.Errorf("%d ran, %d not run", ran, notRun)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf, TextOptions{}); err != nil || !strings.Contains(buf.String(), "INTERRUPTED") {
		t.Errorf("text report: %v\n%s", err, buf.String())
	}
}

func TestClipKeepsHeadAndTail(t *testing.T) {
	var w clipWriter
	var b bytes.Buffer
	b.ReadFrom(Generated(1<<20, 7).Reader())
	data := b.Bytes()
	for i := 0; i < len(data); i += 1000 {
		w.Write(data[i:min(i+1000, len(data))])
	}
	c := w.clip()
	if c.Total != 1<<20 || !bytes.Equal(c.Head, data[:clipHead]) || !bytes.Equal(c.Tail, data[len(data)-clipTail:]) {
		t.Fatalf("clip %d head %x tail %x", c.Total, c.Head, c.Tail)
	}
	d := c.Dump("")
	if !strings.Contains(d, "... 1048496 bytes cut ...") || !strings.Contains(d, "000ffff0  ") {
		t.Fatalf("dump:\n%s", d)
	}
}

func TestContentComparerFindsFirstDifference(t *testing.T) {
	c := Generated(100000, 3)
	var b bytes.Buffer
	b.ReadFrom(c.Reader())
	data := b.Bytes()
	data[77777] ^= 1
	cmp := newComparer(c)
	cmp.Write(data[:50000])
	cmp.Write(data[50000:])
	if cmp.mismatch != 77777 {
		t.Fatalf("mismatch at %d", cmp.mismatch)
	}
	cmp = newComparer(c)
	data[77777] ^= 1
	cmp.Write(data)
	if cmp.mismatch != -1 {
		t.Fatalf("equal content: mismatch at %d", cmp.mismatch)
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
		if statusOf(t, rep, "backup/zero-length") != Fail || rep.OK() != !strict {
			t.Errorf("strict=%v: zero-length %s, OK %v", strict, statusOf(t, rep, "backup/zero-length"), rep.OK())
		}
		line := rep.Line(rep.Result("backup/zero-length"), false)
		if want := map[bool]string{false: "WARN ", true: "FAIL "}[strict]; !strings.HasPrefix(line, want) {
			t.Errorf("strict=%v: line %q", strict, line)
		}
	}
}
