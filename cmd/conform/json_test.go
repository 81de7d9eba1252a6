package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/internal/golden"
)

// kept are the keys whose values a golden skeleton shows: what a run of a given seed on a
// given server always says. Every other value is shown by its type alone.
var kept = []string{"schema", "verdict", "interrupted", "requirement", "check", "level", "kind", "mode", "built_in"}

// timed are the keys a run has or not by how far a time bound let it get: left out.
var timed = []string{"original_detail"}

// mapKeys are the keys whose objects have keys of the run's own (outcomes, error kinds).
var mapKeys = []string{"outcomes", "errors_by_kind", "error_samples", "processes"}

// skeleton renders a JSON document's shape: each key in order with its type, an array by its
// first element, and the values of the kept keys. Two runs of one seed on one server give the
// same skeleton, and a key renamed, dropped or moved changes it.
func skeleton(t *testing.T, doc []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b strings.Builder
	var value func(indent, key string)
	value = func(indent, key string) {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' {
				if !dec.More() {
					b.WriteString("[]\n")
				} else {
					b.WriteString("[\n" + indent + "  ")
					value(indent+"  ", key)
					for dec.More() {
						var skip json.RawMessage
						if err := dec.Decode(&skip); err != nil {
							t.Fatal(err)
						}
					}
					b.WriteString(indent + "]\n")
				}
				_, _ = dec.Token()
				return
			}
			if slices.Contains(mapKeys, key) {
				for dec.More() {
					_, _ = dec.Token()
					var skip json.RawMessage
					_ = dec.Decode(&skip)
				}
				_, _ = dec.Token()
				b.WriteString("{map}\n")
				return
			}
			b.WriteString("{\n")
			for dec.More() {
				k, _ := dec.Token()
				if slices.Contains(timed, k.(string)) {
					var skip json.RawMessage
					if err := dec.Decode(&skip); err != nil {
						t.Fatal(err)
					}
					continue
				}
				fmt.Fprintf(&b, "%s  %s: ", indent, k)
				value(indent+"  ", k.(string))
			}
			_, _ = dec.Token()
			b.WriteString(indent + "}\n")
		case string:
			if slices.Contains(kept, key) {
				fmt.Fprintf(&b, "%q\n", v)
			} else {
				b.WriteString("string\n")
			}
		case json.Number:
			b.WriteString("number\n")
		case bool:
			if slices.Contains(kept, key) {
				fmt.Fprintf(&b, "%v\n", v)
			} else {
				b.WriteString("bool\n")
			}
		case nil:
			b.WriteString("null\n")
		}
	}
	value("", "")
	return b.String()
}

// junitOutline is a JUnit document's testcases, one a line: suite, name, and whether and how
// it failed.
func junitOutline(t *testing.T, doc []byte) string {
	t.Helper()
	d := parseJUnit(t, string(doc))
	var b strings.Builder
	b.WriteString(regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(d.Name, "ADDR") + "\n")
	for _, s := range d.Suites {
		for _, c := range s.Cases {
			fmt.Fprintf(&b, "  %s %s", s.Name, c.Name)
			if c.Failure != nil {
				fmt.Fprintf(&b, ": failure %s", c.Failure.Type)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// Every subcommand that hunts for faults writes JSON with the catalog's head (verdict, target,
// duration_ns, interrupted, problems) and its findings, and JUnit with a failing testcase per
// problem: pinned, on a faulty server, by golden files of their shape.
func TestSubcommandReportsGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	modelReplay := filepath.Join(dir, "model.json")
	stale := startMutant(t, "list-stale-after-delete")
	trailing := startMutant(t, "ok-trailing-size")
	fuzzed := startMutant(t, "unknown-op-1001")
	missing := startMutant(t, "missing-file-1003")
	runs := []struct {
		name string
		args []string
	}{
		{"model", append([]string{"model", "-addr", stale, "-seed", "4", "-replay-out", modelReplay}, modelFast...)},
		{"fuzz", append([]string{"fuzz", "-addr", fuzzed, "-seed", "3", "-out", filepath.Join(dir, "fuzz")}, fuzzFast...)},
		{"bench", append(slices.Clone(quickBench), "-addr", missing, "-clients", "1", "-seed", "5", "-mix", "backup=1,restore=2,delete=1")},
		{"replay", []string{"replay", modelReplay, "-addr", stale}},
		{"doctor", []string{"doctor", "-addr", trailing, "-timeout", "1s", "-no-crash-probes"}},
	}
	for _, r := range runs {
		for _, format := range []string{"json", "junit"} {
			out := filepath.Join(dir, r.name+"."+format)
			code, stdout, errs := conform(t, append(r.args, "-format", format, "-o", out)...)
			if code != exitFail || stdout != "" {
				t.Fatalf("%s -format %s: exit %d, want 1\n%s\n%s", r.name, format, code, stdout, errs)
			}
			doc, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if format == "json" {
				golden.Check(t, r.name+".json.golden", []byte(skeleton(t, doc)))
				head := struct {
					Verdict  string            `json:"verdict"`
					Target   string            `json:"target"`
					Problems []json.RawMessage `json:"problems"`
					Findings []json.RawMessage `json:"findings"`
				}{}
				if err := json.Unmarshal(doc, &head); err != nil || head.Verdict != "fail" || head.Target == "" || len(head.Problems) == 0 || len(head.Findings) == 0 {
					t.Errorf("%s: verdict %q, target %q, %d problems, %d findings (%v)", r.name, head.Verdict, head.Target, len(head.Problems), len(head.Findings), err)
				}
				continue
			}
			golden.Check(t, r.name+".junit.golden", []byte(junitOutline(t, doc)))
		}
	}
}
