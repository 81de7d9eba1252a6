package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestClientCommand runs conform client against clients of the zoo, built once for all its
// subtests.
func TestClientCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "badclient")
	if b, err := exec.Command("go", "build", "-o", bin, "github.com/fbpkit/fbp/conformance/clienttest/internal/badclients/badclient").CombinedOutput(); err != nil {
		t.Fatalf("building badclient: %v\n%s", err, b)
	}
	client := func(fault string, args ...string) []string {
		return append(append([]string{"client", "-dir", t.TempDir()}, args...), "--", bin, "-fault", fault, "run")
	}

	t.Run("list", func(t *testing.T) {
		code, out, _ := conform(t, "client", "-list")
		if code != exitPass || !strings.Contains(out, "request/layout") || !strings.Contains(out, "restore-claims-4gib") {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
	t.Run("usage", func(t *testing.T) {
		// One line that names what is wrong, then the hint.
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"client"}, "no client command"},
			{[]string{"client", "-format", "xml", "--", bin}, `-format "xml"`},
			{[]string{"client", "-run", "nomatch-at-all", "--", bin}, `-run "nomatch-at-all"`},
			{[]string{"client", "-listen", "127.0.0.1:0", "--", bin}, "-listen and a client command"},
			{[]string{"client", "-hang-after", "0", "--", bin}, "-hang-after"},
			{[]string{"client", "-dir", "/nonexistent/folder", "--", bin}, "-dir: "},
		} {
			code, _, errs := conform(t, c.args...)
			lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
			if code != exitUsage || len(lines) != 2 || !strings.HasPrefix(lines[0], "conform client: ") || !strings.Contains(lines[0], c.want) ||
				lines[1] != "run 'conform client -h' for usage" || !strings.HasSuffix(errs, "\n") {
				t.Errorf("%q: exit %d, stderr %q; want exit %d, a line with %q and the hint", c.args, code, errs, exitUsage, c.want)
			}
		}
	})
	t.Run("cannot-start", func(t *testing.T) {
		code, _, errs := conform(t, "client", "-run", "^run/connects$", "--", "/nonexistent/client")
		if code != exitUnreachable || !strings.Contains(errs, "cannot start the client") {
			t.Errorf("exit %d, stderr %q", code, errs)
		}
	})
	t.Run("pcap-failed", func(t *testing.T) {
		// A comment is stored as it is written: the file holds the case and the finding.
		failing := filepath.Join(t.TempDir(), "failing.pcapng")
		code, _, _ := conform(t, client("list-name-len", "-run", "^request/layout$", "-pcap", failing, "-pcap-failed")...)
		b, err := os.ReadFile(failing)
		if code != exitFail || err != nil || !strings.Contains(string(b), "scenario/canonical: FAIL: request/layout R-7.1: expected a LIST of exactly 6 bytes") {
			t.Errorf("exit %d, %v: the capture of a failing scenario lacks its finding", code, err)
		}
		passing := filepath.Join(t.TempDir(), "passing.pcapng")
		code, _, _ = conform(t, client("none", "-run", "^request/layout$", "-pcap", passing, "-pcap-failed")...)
		b, err = os.ReadFile(passing)
		if code != exitPass || err != nil || strings.Contains(string(b), "scenario/") {
			t.Errorf("exit %d, %v: -pcap-failed kept %d bytes of a passing run", code, err, len(b))
		}
	})
	t.Run("pass", func(t *testing.T) {
		code, out, errs := conform(t, client("none", "-run", `^(run|request|user)/`)...)
		if code != exitPass || !strings.Contains(out, "PASS  request/layout") || !strings.Contains(errs, "canonical") {
			t.Errorf("exit %d\n%s\n%s", code, out, errs)
		}
	})
	t.Run("failure", func(t *testing.T) {
		code, out, _ := conform(t, client("version-4", "-run", `^request/version$`)...)
		if code != exitFail || !strings.Contains(out, "FAIL  request/version") || !strings.Contains(out, "expected: version 1") {
			t.Errorf("exit %d\n%s", code, out)
		}
		want := "re-run the cases that failed: conform client -dir "
		if !strings.Contains(out, want) || !strings.Contains(out, "-run '^(request/version)$' -- "+bin+" -fault version-4 run") {
			t.Errorf("no command that re-runs the failure:\n%s", out)
		}
	})
	t.Run("json", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "report.json")
		code, _, errs := conform(t, client("version-4", "-run", `^request/version$`, "-format", "json", "-o", file)...)
		var doc struct {
			Schema  string `json:"schema"`
			Results []struct {
				ID, Status string
			} `json:"results"`
		}
		b, err := os.ReadFile(file)
		if err == nil {
			err = json.Unmarshal(b, &doc)
		}
		if code != exitFail || err != nil || doc.Schema != "fbp-conformance/1" || len(doc.Results) != 1 || doc.Results[0].Status != "fail" {
			t.Errorf("exit %d, %v, %+v", code, err, doc)
		}
		if !strings.Contains(errs, "FAIL  request/version") {
			t.Errorf("the terminal does not get the verdict: %q", errs)
		}
	})
	t.Run("baseline", func(t *testing.T) {
		// A baseline names a case, or a problem and with it every case it fails.
		for _, known := range []string{"request/version # sends 4", "client-version"} {
			base := filepath.Join(t.TempDir(), "baseline")
			os.WriteFile(base, []byte(known+"\n"), 0o644)
			code, out, _ := conform(t, client("version-4", "-run", `^request/version$`, "-baseline", base)...)
			if code != exitPass || !strings.Contains(out, "KNOWN request/version") {
				t.Errorf("%s: exit %d\n%s", known, code, out)
			}
		}
	})
	t.Run("problems", func(t *testing.T) {
		code, out, _ := conform(t, client("ops-1-4", "-run", `^(request|run)/`)...)
		for _, want := range []string{"1 problem:", "[client-op] MUST R-7.2", "fails: request/op-codes", "blocks: request/layout, run/script-order",
			"BLKD  request/layout", "blocked by [client-op]"} {
			if !strings.Contains(out, want) {
				t.Errorf("the report lacks %q", want)
			}
		}
		if code != exitFail {
			t.Errorf("exit %d\n%s", code, out)
		}
	})
}
