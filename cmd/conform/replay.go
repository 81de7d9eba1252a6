package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/model"
	"github.com/fbpkit/fbp/conformance/netfuzz"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/bounded"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
)

// ReplaySchema names the layout of `conform replay -format json`.
const ReplaySchema = "fbp-conform-replay/1"

// maxReplayFile bounds what replay reads of a file: a model replay holds steps, a finding one
// input; neither holds a payload.
const maxReplayFile = 16 << 20

// corpusHeader starts a `go test fuzz v1` corpus file, as a fuzz reproducer saves one.
const corpusHeader = "go test fuzz v1\n"

const replayUsage = `usage: conform replay FILE [-addr host:port] [flags]

Re-runs a saved failure: a model replay file (conform model), or a fuzz finding (its
finding.json or folder, its input.bin, or its "go test fuzz v1" corpus file).
Exit status: 0 it passes now, 1 it still fails, 2 usage error or unreadable FILE,
3 server unreachable.
`

func parseReplayFlags(args []string) (*testerFlags, string, *cliargs.Command, error) {
	o := &testerFlags{}
	cmd := o.command("replay", replayUsage, false, model.DefaultTimeout, "stopped at the end, and if it crashed, how it ended is reported")
	pos, err := cliargs.Parse(cmd.Flags, args)
	if err != nil {
		return nil, "", cmd, err
	}
	if len(pos) != 1 {
		return nil, "", cmd, cliargs.Usagef("want one FILE to replay, got %d arguments", len(pos))
	}
	if err := o.check(); err != nil {
		return nil, "", cmd, err
	}
	return o, pos[0], cmd, nil
}

// replayFile is a saved failure of either kind.
type replayFile struct {
	path  string
	kind  string            // "model" or "fuzz"
	model *model.ReplayFile // kind model
	input netfuzz.Input     // kind fuzz
	saved *savedFinding     // kind fuzz, from a finding.json: what was found
}

// savedFinding is what a finding.json says the input did when it was found.
type savedFinding struct {
	ID          string       `json:"id"`
	Kind        netfuzz.Kind `json:"kind"`
	Requirement string       `json:"requirement"`
	Check       string       `json:"check"`
	// Code is Check as finding.json files saved before it was named so call it.
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail"`
	Step   int    `json:"step"`
}

// check is the check that caught the saved finding.
func (s *savedFinding) check() string {
	if s.Check == "" {
		return s.Code
	}
	return s.Check
}

// loadReplayFile reads path and tells its kind: a JSON file by its schema (a model replay) or
// its fields (a fuzz finding), a folder by the finding.json in it, a corpus file by its
// header; any other file is a fuzz input's raw bytes.
func loadReplayFile(path string) (*replayFile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "finding.json")
	}
	b, err := bounded.ReadFile(path, maxReplayFile)
	if errors.Is(err, bounded.ErrTooLarge) {
		return nil, fmt.Errorf("%w: not a replay file", err)
	}
	if err != nil {
		return nil, err
	}
	rf := &replayFile{path: path, kind: "fuzz"}
	switch {
	case strings.EqualFold(filepath.Ext(path), ".json"):
		var probe struct {
			Schema   string  `json:"schema"`
			InputHex *string `json:"input_hex"`
		}
		if err := json.Unmarshal(b, &probe); err != nil {
			return nil, fmt.Errorf("%s: not a replay file: %w", path, err)
		}
		switch {
		case probe.Schema == model.ReplaySchema:
			rf.kind = "model"
			if rf.model, err = model.ReadReplay(bytes.NewReader(b)); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		case probe.Schema != "":
			return nil, fmt.Errorf("%s: schema %q: want %q or a fuzz finding", path, probe.Schema, model.ReplaySchema)
		case probe.InputHex != nil:
			if rf.input, err = netfuzz.LoadInput(path); err != nil {
				return nil, err
			}
			rf.saved = &savedFinding{}
			if err := json.Unmarshal(b, rf.saved); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		default:
			return nil, fmt.Errorf("%s: neither a model replay (schema %q) nor a fuzz finding (input_hex)", path, model.ReplaySchema)
		}
	case bytes.HasPrefix(b, []byte(corpusHeader)):
		in, err := parseCorpusFile(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rf.input = netfuzz.Input{Bytes: in, Delivery: netfuzz.Delivery{End: netfuzz.EndCloseWrite}, Origin: path}
	default:
		if rf.input, err = netfuzz.LoadInput(path); err != nil {
			return nil, err
		}
	}
	if rf.kind == "fuzz" && len(rf.input.Bytes) == 0 {
		return nil, fmt.Errorf("%s: an empty input", path)
	}
	return rf, nil
}

// parseCorpusFile reads a `go test fuzz v1` file of one []byte value.
func parseCorpusFile(b []byte) ([]byte, error) {
	body := strings.TrimSpace(strings.TrimPrefix(string(b), corpusHeader))
	lit, ok := strings.CutPrefix(body, "[]byte(")
	if lit, ok2 := strings.CutSuffix(lit, ")"); ok && ok2 {
		s, err := strconv.Unquote(lit)
		if err != nil {
			return nil, fmt.Errorf("corpus value: %w", err)
		}
		return []byte(s), nil
	}
	return nil, errors.New("a corpus file of one []byte value was expected")
}

// replayReport is what `conform replay` reports: the head every tester's report has (verdict,
// target, duration, problems), the finding if it still fails, and what the replay ran.
type replayReport struct {
	report.Head
	Findings []*failureDoc `json:"findings"`
	File     string        `json:"file"`
	Kind     string        `json:"kind"` // model or fuzz
	BuiltIn  bool          `json:"built_in,omitempty"`
	Seed     int64         `json:"seed,omitempty"` // a model replay: the run that found it
	// Model: the steps as they ran now.
	Mode     string   `json:"mode,omitempty"`
	Requests int      `json:"requests,omitempty"`
	Rounds   int      `json:"rounds,omitempty"` // a concurrent replay: the rounds run
	Script   []string `json:"script,omitempty"`
	Was      string   `json:"was,omitempty"` // the failure when it was found: requirement and reason
	// Fuzz: what the input did now, and what it did when it was found.
	Input     string          `json:"input_hex,omitempty"`
	Delivery  string          `json:"delivery,omitempty"`
	Fuzz      *netfuzz.Replay `json:"fuzz,omitempty"`
	Saved     *savedFinding   `json:"saved,omitempty"`
	SameAsRun bool            `json:"same_as_saved,omitempty"`
	Crash     string          `json:"crash,omitempty"`
}

// judge sets the head: the verdict and the problems from the findings.
func (r *replayReport) judge(stopped bool) { r.Judge(findingsOf(r.Findings), stopped) }

// WriteJUnit writes the replay for CI: a failing testcase for the problem it still shows.
func (r *replayReport) WriteJUnit(w io.Writer) error { return r.Head.WriteJUnit(w, "replay", "") }

func (r *replayReport) writeText(w io.Writer) error {
	var b strings.Builder
	switch r.Kind {
	case "model":
		rounds := ""
		if r.Mode == model.ModeConcurrent {
			rounds = words.Count(r.Rounds, "round") + ", "
		}
		fmt.Fprintf(&b, "replay of %s (model %s, seed %d) on %s: %s%s in %v\n", r.File, r.Mode, r.Seed, r.Target,
			rounds, words.Count(r.Requests, "request"), r.Duration.Round(time.Millisecond))
		if r.Was != "" {
			fmt.Fprintf(&b, "saved failure: %s\n", r.Was)
		}
		b.WriteString("\n")
		if len(r.Findings) > 0 && r.Findings[0].ScriptText != "" {
			f := r.Findings[0]
			b.WriteString(f.ScriptText)
			fmt.Fprintf(&b, "\nFAIL [%s] at step %d: %s\n", f.Requirement, f.Step, f.Detail)
			f.writeHistory(&b)
		} else {
			for _, l := range r.Script {
				b.WriteString(l + "\n")
			}
		}
	case "fuzz":
		fmt.Fprintf(&b, "replay of %s (fuzz input, %d bytes, %s) on %s in %v\n", r.File, len(r.Input)/2, r.Delivery, r.Target,
			r.Duration.Round(time.Millisecond))
		if s := r.Saved; s != nil {
			fmt.Fprintf(&b, "saved finding %s: %s, %s (%s): %s\n", s.ID, s.Kind, s.Requirement, s.check(), s.Detail)
		}
		fz := r.Fuzz
		fmt.Fprintf(&b, "input: %s\nanswer (%d bytes, ended %s): %s\n", r.Input, len(fz.ResponseHex)/2, fz.ResponseEnd, fz.ResponseHex)
		if fz.Health != "" {
			fmt.Fprintf(&b, "health probe: %s", fz.Health)
			if fz.HealthDetail != "" {
				fmt.Fprintf(&b, " (%s)", fz.HealthDetail)
			}
			b.WriteString("\n")
		}
		if f := fz.Finding; f != nil {
			fmt.Fprintf(&b, "\nFINDING %s, %s (%s): %s\n", fz.Kind, f.Requirement, f.Check, f.Detail)
			if r.Saved != nil {
				if r.SameAsRun {
					b.WriteString("the same finding as saved\n")
				} else {
					b.WriteString("a different finding than saved\n")
				}
			}
		}
	}
	if r.Crash != "" {
		fmt.Fprintf(&b, "the server crashed: %s\n", r.Crash)
	}
	if err := r.WriteProblems(&b); err != nil {
		return err
	}
	verdict := r.VerdictText()
	switch r.Verdict {
	case report.RunFail:
		verdict += ": it still fails"
	case report.RunPass:
		verdict = "PASS: the failure does not reproduce"
	}
	return flushText(w, &b, verdict)
}

func (r *replayReport) verdict() string {
	switch r.Verdict {
	case report.RunFail:
		return fmt.Sprintf("conform replay: %s still fails\n", r.File)
	case report.RunIncomplete:
		return fmt.Sprintf("conform replay: %s: interrupted, %s\n", r.File, r.VerdictText())
	}
	return fmt.Sprintf("conform replay: %s passes\n", r.File)
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, path, cmd, err := parseReplayFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	rf, err := loadReplayFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "conform replay: %v\n", err)
		return exitUsage
	}
	if rf.kind == "model" {
		fmt.Fprintf(stderr, "conform replay: seed %d (the model run that found it)\n", rf.model.Seed)
	}
	tgt, err := startTarget(ctx, o, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "conform replay: %v\n", err)
		return exitUnreachable
	}
	defer tgt.close()

	rep := &replayReport{Head: report.Head{Schema: ReplaySchema, Target: tgt.addr}, Findings: []*failureDoc{},
		File: rf.path, Kind: rf.kind, BuiltIn: tgt.builtIn}
	start := time.Now()
	switch rf.kind {
	case "model":
		m := rf.model
		rep.Seed, rep.Mode = m.Seed, m.Mode
		if m.Requirement != "" || m.Reason != "" {
			rep.Was = fmt.Sprintf("[%s] %s", m.Requirement, m.Reason)
		}
		res, err := model.Replay(ctx, tgt.addr, m, o.timeout)
		if err != nil && (res == nil || ctx.Err() == nil) {
			return o.runError(stderr, err, model.ErrReplay, nil)
		}
		rep.Requests = res.Requests
		if m.Mode == model.ModeConcurrent {
			rep.Rounds = res.Runs
		}
		if res.Failed {
			f := newFailureDoc(res)
			rep.Findings = append(rep.Findings, f)
			rep.Script = f.Script
		} else if script := model.FormatScript(res.Script); script != "" {
			rep.Script = strings.Split(strings.TrimSuffix(script, "\n"), "\n")
		}
	case "fuzz":
		rep.Input = fmt.Sprintf("%x", rf.input.Bytes)
		rep.Delivery = rf.input.Delivery.String()
		rep.Saved = rf.saved
		got, err := netfuzz.ReplayInput(ctx, tgt.addr, rf.input, netfuzz.ReplayOptions{Timeout: o.timeout})
		// An unreachable server or a refused input ends the replay even when interrupted.
		if err != nil && (got == nil || ctx.Err() == nil || errors.Is(err, netfuzz.ErrUnreachable) || errors.Is(err, netfuzz.ErrConfig)) {
			return o.runError(stderr, err, netfuzz.ErrConfig, netfuzz.ErrUnreachable)
		}
		rep.Fuzz = got
		if got.Finding != nil {
			rep.Findings = append(rep.Findings, &failureDoc{Finding: *got.Finding})
		}
		if s := rf.saved; s != nil {
			kind, f := got.Kind, got.Finding
			if s.Step == 0 {
				// Found by the health probe before any input: the probe fails here too, so the
				// answer alone tells whether it is the same.
				kind, f = got.AnswerKind, got.Answer
			}
			rep.SameAsRun = f != nil && kind == s.Kind && string(f.Requirement) == s.Requirement && f.Check == s.check()
		}
	}
	rep.Duration = time.Since(start)
	rep.Crash = tgt.crashNote()
	rep.judge(ctx.Err() != nil)
	if err := writeReport(o, stdout, stderr, rep.writeText, rep, rep.verdict()); err != nil {
		fmt.Fprintf(stderr, "conform replay: %v\n", err)
		return exitFail
	}
	if rep.Verdict != report.RunPass {
		return exitFail
	}
	return exitPass
}
