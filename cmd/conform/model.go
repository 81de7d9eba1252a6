package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/model"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
)

// ModelSchema names the layout of `conform model -format json`.
const ModelSchema = "fbp-conform-model/1"

type modelOptions struct {
	testerFlags
	cfg        model.Config
	maxPayload string
	replayOut  string
	html       string
	pcap       pcapFlags
}

const modelUsage = `usage: conform model [-addr host:port] [-seed N] [flags]

Runs random sequences of requests against the server and checks every response against a
model of what the server must hold. A failing sequence is shrunk to a minimal one, printed
as a script and saved as a replay file for "conform replay".
Exit status: 0 no failure, 1 a failure, 2 usage error, 3 server unreachable.
`

func parseModelFlags(args []string) (*modelOptions, *cliargs.Command, error) {
	o := &modelOptions{}
	cmd := o.command("model", modelUsage, true, model.DefaultTimeout, "restarted when it stops answering, so that shrinking meets a live server, and stopped at the end; how it ended is reported")
	fs := cmd.Flags
	o.pcap.register(fs)
	c := &o.cfg
	fs.IntVar(&c.Steps, "steps", model.DefaultSteps, "length of the longest sequence (concurrent: of each client's)")
	fs.IntVar(&c.Runs, "runs", model.DefaultRuns, "sequences (concurrent: rounds) to try at most")
	fs.IntVar(&c.Users, "users", model.DefaultUsers, fmt.Sprintf("users a sequence uses (1 to %d)", model.MaxUsers))
	fs.IntVar(&c.Names, "names", model.DefaultNames, fmt.Sprintf("filenames a sequence uses (1 to %d): few make overwrites likely", model.MaxNames))
	fs.StringVar(&o.maxPayload, "max-file", "64KiB", "largest file a BACKUP sends (e.g. 4096, 64KiB, 1MiB; at most 1GiB)")
	fs.BoolVar(&c.Concurrent, "concurrent", false, "run clients at once on shared files and check each round for linearizability")
	fs.IntVar(&c.Clients, "clients", model.DefaultClients, "clients of a concurrent round")
	fs.IntVar(&c.MaxShrinks, "max-shrinks", model.DefaultMaxShrinks, "shrinking steps a failure may take at most (-1: no shrinking)")
	fs.DurationVar(&c.ShrinkTime, "shrink-time", model.DefaultShrinkTime, "how long shrinking a failure may take")
	fs.StringVar(&o.replayOut, "replay-out", "", "`file` the replay of a failure is saved to (default "+findingsDir+"/model-SEED.json)")
	fs.StringVar(&o.html, "html", "", "`file` for the visualization of a concurrent failure's history (HTML)")
	if err := o.parse(cmd, args); err != nil {
		return nil, cmd, err
	}
	size, err := parseSize(o.maxPayload)
	if err != nil || size > model.MaxPayloadLimit {
		return nil, cmd, fmt.Errorf("-max-file %q: want 1 to %d bytes", o.maxPayload, model.MaxPayloadLimit)
	}
	c.MaxPayload = int(size)
	switch {
	case c.Steps < 1 || c.Runs < 1 || c.Clients < 1:
		return nil, cmd, errors.New("-steps, -runs and -clients must be positive")
	case c.Users < 1 || c.Users > model.MaxUsers:
		return nil, cmd, fmt.Errorf("-users %d: want 1 to %d", c.Users, model.MaxUsers)
	case c.Names < 1 || c.Names > model.MaxNames:
		return nil, cmd, fmt.Errorf("-names %d: want 1 to %d", c.Names, model.MaxNames)
	case c.ShrinkTime <= 0:
		return nil, cmd, errors.New("-shrink-time must be positive")
	case c.MaxShrinks == 0 || c.MaxShrinks < -1:
		return nil, cmd, fmt.Errorf("-max-shrinks %d: want a positive number, or -1 for no shrinking", c.MaxShrinks)
	case o.html != "" && !c.Concurrent:
		return nil, cmd, errors.New("-html needs -concurrent: only a concurrent failure has a history to draw")
	}
	c.Timeout = o.timeout
	return o, cmd, nil
}

// modelReport is what `conform model` reports, as JSON and as text: the head every tester's
// report has (verdict, target, duration, problems), the failure as its finding, and the run.
type modelReport struct {
	report.Head
	// Findings holds the failure, if any: a run stops at its first.
	Findings  []*failureDoc `json:"findings"`
	BuiltIn   bool          `json:"built_in,omitempty"`
	Seed      int64         `json:"seed"`
	Mode      string        `json:"mode"`
	Config    modelSettings `json:"config"`
	Sequences int           `json:"sequences"` // sequences (concurrent: rounds) run before shrinking
	Requests  int           `json:"requests"`
	// ShrinkRuns counts the sequences (concurrent: rounds) shrinking ran.
	ShrinkRuns int `json:"shrink_runs"`
	// AtDeadline: the run stopped at -deadline, before -runs.
	AtDeadline bool `json:"stopped_at_deadline,omitempty"`
	// Crash says how the -exec server process ended during the run: the first time, if it
	// was restarted.
	Crash string `json:"crash,omitempty"`
	// Restarts counts the restarts of the -exec server after it stopped answering.
	Restarts int `json:"restarts,omitempty"`
}

// failure is the run's failure, nil if none.
func (r *modelReport) failure() *failureDoc {
	if len(r.Findings) == 0 {
		return nil
	}
	return r.Findings[0]
}

// judge sets the head: the verdict and the problems from the findings.
func (r *modelReport) judge(stopped bool) { r.Judge(findingsOf(r.Findings), stopped) }

// findingsOf is the findings a model or replay report holds, for its head to judge.
func findingsOf(docs []*failureDoc) []report.Finding {
	var fs []report.Finding
	for _, f := range docs {
		fs = append(fs, f.Finding)
	}
	return fs
}

// WriteJUnit writes the run for CI: a failing testcase for the failure's problem.
func (r *modelReport) WriteJUnit(w io.Writer) error { return r.Head.WriteJUnit(w, "model", "") }

type modelSettings struct {
	Steps      int `json:"steps"`
	Runs       int `json:"runs"`
	Users      int `json:"users"`
	Names      int `json:"names"`
	MaxPayload int `json:"max_payload"`
	Clients    int `json:"clients,omitempty"`
}

// failureDoc is a finding as the model's and replay's reports show it: the finding, and for a
// model failure the script that leads to it.
type failureDoc struct {
	report.Finding
	Step          int           `json:"step,omitempty"` // 1-based, in Script
	FoundAfter    time.Duration `json:"found_after_ns,omitempty"`
	OriginalSteps int           `json:"original_steps,omitempty"`
	History       []string      `json:"history,omitempty"`
	Script        []string      `json:"script,omitempty"`
	ScriptText    string        `json:"-"`
	ReplayFile    string        `json:"replay_file,omitempty"`
	ReplayError   string        `json:"replay_error,omitempty"`
	ReplayCommand string        `json:"replay_command,omitempty"`
	Visualization string        `json:"visualization,omitempty"`
}

func newFailureDoc(res *model.Result) *failureDoc {
	f := res.Failure
	d := &failureDoc{Finding: f.Finding, FoundAfter: res.FoundAfter, OriginalSteps: res.OriginalSteps, Step: f.Step + 1,
		History: f.History, ScriptText: model.FormatScript(res.Script)}
	d.Script = strings.Split(strings.TrimSuffix(d.ScriptText, "\n"), "\n")
	return d
}

// writeHistory writes a concurrent failure's history, the failing user's operations in call
// order: the problem below shows the one answer no state explains.
func (f *failureDoc) writeHistory(b *strings.Builder) {
	if f.History == nil {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", f.Detail)
	for _, h := range f.History {
		b.WriteString("  " + h + "\n")
	}
}

func (r *modelReport) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d\n", r.Seed)
	c := r.Config
	what := words.Count(r.Sequences, "sequence")
	if r.Mode == model.ModeConcurrent {
		what = words.Count(r.Sequences, "round") + " of " + words.Count(c.Clients, "client")
	}
	fmt.Fprintf(&b, "model %s: %s, %s of up to %s, %s in %v (users %d, names %d, payloads up to %d bytes)\n",
		r.Mode, r.Target, what, words.Count(c.Steps, "step"), words.Count(r.Requests, "request"), r.Duration.Round(time.Millisecond), c.Users, c.Names, c.MaxPayload)
	if r.Crash != "" {
		fmt.Fprintf(&b, "the server crashed during the run: %s\n", r.Crash)
	}
	if r.Restarts > 0 {
		fmt.Fprintf(&b, "the server was restarted %s after it stopped answering\n", words.Count(r.Restarts, "time"))
	}
	if f := r.failure(); f != nil {
		fmt.Fprintf(&b, "\nFAIL [%s] at step %d: %s\n", f.Requirement, f.Step, f.Detail)
		fmt.Fprintf(&b, "found after %v; shrunk from %d to %s in %s:\n\n", f.FoundAfter.Round(time.Millisecond),
			f.OriginalSteps, words.Count(len(f.Script), "step"), words.Count(r.ShrinkRuns, "run"))
		b.WriteString(f.ScriptText)
		f.writeHistory(&b)
		if err := r.WriteProblems(&b); err != nil {
			return err
		}
		b.WriteString("\n")
		if f.Visualization != "" {
			fmt.Fprintf(&b, "visualization: %s\n", f.Visualization)
		}
		if f.ReplayError != "" {
			fmt.Fprintf(&b, "replay file NOT saved: %s\n", f.ReplayError)
		} else {
			fmt.Fprintf(&b, "replay file: %s\nreplay: %s\n", f.ReplayFile, f.ReplayCommand)
		}
	}
	if r.AtDeadline {
		fmt.Fprintf(&b, "stopped at the run's deadline (-deadline) after %d sequences\n", r.Sequences)
	}
	switch r.Verdict {
	case report.RunPass:
		b.WriteString("PASS: no failure\n")
	case report.RunIncomplete:
		b.WriteString(r.VerdictText() + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *modelReport) verdict() string {
	if f := r.failure(); f != nil {
		s := fmt.Sprintf("conform model: FAIL [%s] %s: %d steps\n", f.Requirement, f.Detail, len(f.Script))
		if f.ReplayFile != "" {
			s += fmt.Sprintf("conform model: replay file %s; replay: %s\n", f.ReplayFile, f.ReplayCommand)
		}
		return s
	}
	if r.Verdict == report.RunIncomplete {
		return "conform model: " + r.VerdictText() + "\n"
	}
	return fmt.Sprintf("conform model: PASS: %d sequences, %d requests, no failure\n", r.Sequences, r.Requests)
}

func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, tgt, code := startSeeded(ctx, args, stdout, stderr, parseModelFlags)
	if tgt == nil {
		return code
	}
	defer tgt.close()

	cfg := o.cfg
	cfg.Addr, cfg.Seed = tgt.addr, o.seed
	if o.verbose {
		cfg.Log = stderr
	}
	// Under -exec a server that stops answering is restarted, so that shrinking runs against
	// a live one; how it had ended is kept for the report.
	var crashes []string
	if tgt.proc != nil {
		cfg.Restart = func(ctx context.Context) (string, error) {
			crashes = append(crashes, tgt.proc.Describe())
			return "", tgt.proc.Restart(ctx)
		}
	}
	var html *lazyFile
	if o.html != "" {
		html = &lazyFile{path: o.html}
		cfg.Visualization = html
	}
	rec, err := o.pcap.open()
	if err != nil {
		return cmd.Fail(cliargs.Usagef("%v", err), stdout, stderr)
	}
	cfg.Capture = rec
	defer closeRecorder(cfg.Capture, "model", cfg.Addr, stderr)
	runCtx, cancel := o.withDeadline(ctx)
	defer cancel()
	res, err := model.Run(runCtx, cfg)
	atDeadline := stoppedAtDeadline(ctx, runCtx)
	if atDeadline {
		// Stopping at the deadline is the run's bound, as -runs is: what it found stands.
		err = nil
	}
	interrupted := err != nil && ctx.Err() != nil
	if err != nil && (!interrupted || errors.Is(err, model.ErrConfig)) {
		return o.runError(stderr, err, model.ErrConfig, nil)
	}

	rep := &modelReport{Head: report.Head{Schema: ModelSchema, Target: tgt.addr, Duration: res.Elapsed}, Findings: []*failureDoc{},
		BuiltIn: tgt.builtIn, Seed: res.Seed, Mode: model.ModeSequential, Sequences: res.Runs, Requests: res.Requests, ShrinkRuns: res.ShrinkRuns,
		Crash: tgt.crashNote(), Restarts: res.Restarts, AtDeadline: atDeadline,
		Config: modelSettings{Steps: cfg.Steps, Runs: cfg.Runs, Users: cfg.Users, Names: cfg.Names, MaxPayload: cfg.MaxPayload}}
	if len(crashes) > 0 {
		rep.Crash = crashes[0]
	}
	if cfg.Concurrent {
		rep.Mode, rep.Config.Clients = model.ModeConcurrent, cfg.Clients
	}
	htmlWritten := false
	if html != nil {
		if htmlWritten, err = html.Close(); err != nil {
			fmt.Fprintf(stderr, "conform model: writing %s: %v\n", o.html, err)
		}
	}
	if res.Failed {
		f := newFailureDoc(res)
		rep.Findings = append(rep.Findings, f)
		if htmlWritten {
			f.Visualization = o.html
		}
		path := o.replayOut
		if path == "" {
			path = filepath.Join(findingsDir, fmt.Sprintf("model-%d.json", res.Seed))
		}
		if err := saveModelReplay(path, res.Replay); err != nil {
			f.ReplayError = err.Error()
		} else {
			f.ReplayFile = path
			f.ReplayCommand = replayCommand(path, &o.testerFlags)
		}
	}
	rep.judge(interrupted)
	endRecorder(cfg.Capture, model.CaptureID, &rep.Head)
	if err := writeReport(&o.testerFlags, stdout, stderr, rep.writeText, rep, rep.verdict()); err != nil {
		fmt.Fprintf(stderr, "conform model: writing the report: %v\n", err)
		return exitFail
	}
	if res.Failed || interrupted {
		return exitFail
	}
	return exitPass
}

func saveModelReplay(path string, rf *model.ReplayFile) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := model.WriteReplay(f, rf); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
