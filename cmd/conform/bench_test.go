package main

import (
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

// quickBench are flags that keep a bench run to a few hundred requests.
var quickBench = []string{"bench", "-count", "40", "-warmup", "0s", "-size", "100-2KiB"}

func TestBenchUsageErrorsExit2(t *testing.T) {
	wantUsageErrors(t, sharedUsageErrors("bench"), [][]string{
		{"bench", "-clients", "0"},
		{"bench", "-clients", "1,x"},
		{"bench", "-mix", "copy=1"},
		{"bench", "-mix", "backup=0"},
		{"bench", "-size", "10"},
		{"bench", "-size", "1MiB-1KiB"},
		{"bench", "-size", "5GiB"},
		{"bench", "-count", "0"},
		{"bench", "-count", "10", "-duration", "1s"},
		{"bench", "-rounds", "0"},
		{"bench", "-names", "0"},
		{"bench", "-compare-exec", "true"},
	})
}

func TestBenchSweepsTheBuiltInServerAsJSON(t *testing.T) {
	out, errs := conformExit(t, exitPass, append(quickBench, "-clients", "1,3", "-format", "json")...)
	var doc struct {
		Schema string `json:"schema"`
		Levels []struct {
			Clients int `json:"clients"`
		} `json:"levels"`
		Errors   int               `json:"errors"`
		Verdict  string            `json:"verdict"`
		Problems []json.RawMessage `json:"problems"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Schema != "fbp-conform-bench/1" || len(doc.Levels) != 2 || doc.Levels[1].Clients != 3 || doc.Errors != 0 ||
		doc.Verdict != "pass" || doc.Problems == nil || doc.Findings == nil || len(doc.Findings) != 0 {
		t.Errorf("document %+v", doc)
	}
	if !strings.Contains(errs, "conform bench: PASS") {
		t.Errorf("no verdict on stderr:\n%s", errs)
	}
}

// The second server is started by -compare-exec on a port of its own, as -exec's is.
func TestBenchComparesAnExecServerAndReportsItsUsage(t *testing.T) {
	addr, command := execMutant(t, "none")
	other := strings.Join(append([]string{mutantServer(t)}, mutantArgs("none", "127.0.0.1:{port}")...), " ")
	out, _ := conformExit(t, exitPass, append(quickBench, "-addr", addr, "-exec", command, "-compare-exec", other, "-clients", "2", "-rounds", "2")...)
	want := []string{"compare / server", "connections served at once (probe)"}
	if runtime.GOOS == "linux" {
		want = append(want, "server process:\n  server at 2 clients: CPU ", "peak RSS ")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("report lacks %q:\n%s", w, out)
		}
	}
}

func TestBenchWrongAnswersExit1(t *testing.T) {
	addr := startMutant(t, "delete-ignored")
	code, out, errs := conform(t, append(quickBench, "-addr", addr, "-clients", "1", "-count", "80")...)
	if code != exitFail || !strings.Contains(out, "wrong-content") || !strings.Contains(out, "FAIL: ") {
		t.Fatalf("exit %d, want 1 with wrong content\n%s\n%s", code, out, errs)
	}
}
