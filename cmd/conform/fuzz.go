package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/netfuzz"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
)

// FuzzSchema names the layout of `conform fuzz -format json`.
const FuzzSchema = "fbp-conform-fuzz/1"

type fuzzOptions struct {
	testerFlags
	cfg         netfuzz.Config
	outDir      string
	allowRemote bool
	maxPayload  string
	pcap        pcapFlags
}

// replayAddrPlaceholder stands for the address in the replay command a reproducer saves when
// the run tested the built-in server: that address dies with the command.
const replayAddrPlaceholder = "HOST:PORT"

const fuzzUsage = `usage: conform fuzz [-addr host:port] [-duration D] [-max-inputs N] [-seed N] [flags]

Sends mutated requests to the server, judges every answer against SPEC.md and probes the
server after each input for crashes and hangs. Every finding is minimized and saved as a
reproducer (raw bytes, a "go test fuzz v1" corpus file, finding.json for "conform replay").
Exit status: 0 no finding, 1 a finding, 2 usage error, 3 server unreachable.
`

func parseFuzzFlags(args []string) (*fuzzOptions, *cliargs.Command, error) {
	o := &fuzzOptions{}
	cmd := o.command("fuzz", fuzzUsage, true, netfuzz.DefaultTimeout, "restarted after each crash or hang, and how it ended is reported")
	fs := cmd.Flags
	o.pcap.register(fs)
	c := &o.cfg
	fs.DurationVar(&c.Duration, "duration", netfuzz.DefaultDuration, "how long to send inputs at most (minimizing comes on top)")
	fs.IntVar(&c.MaxInputs, "max-inputs", netfuzz.DefaultMaxInputs, "how many inputs to send at most")
	fs.IntVar(&c.MaxFindings, "max-findings", netfuzz.DefaultMaxFindings, "stop after this many distinct findings")
	fs.IntVar(&c.ShrinkTries, "shrink-tries", netfuzz.DefaultShrinkTries, "attempts to minimize each finding at most")
	fs.DurationVar(&c.ShrinkTime, "shrink-time", netfuzz.DefaultShrinkTime, "how long minimizing each finding may take")
	fs.StringVar(&o.maxPayload, "max-size", "", "the server's size limit, when known (e.g. 1MiB): a BACKUP stating more is owed 1003 (R-5.4); default unknown, not judged")
	fs.StringVar(&o.outDir, "out", "", "`folder` for the reproducers, one folder per finding (default "+findingsDir+"/fuzz-SEED)")
	fs.BoolVar(&o.allowRemote, "allow-remote", false, "fuzz a server that is not on a loopback address (one you own)")
	if err := o.parse(cmd, args); err != nil {
		return nil, cmd, err
	}
	if c.Duration <= 0 || c.MaxInputs <= 0 || c.MaxFindings <= 0 || c.ShrinkTries <= 0 || c.ShrinkTime <= 0 {
		return nil, cmd, errors.New("-duration, -max-inputs, -max-findings, -shrink-tries and -shrink-time must be positive")
	}
	if o.maxPayload != "" {
		size, err := parseSize(o.maxPayload)
		if err != nil {
			return nil, cmd, fmt.Errorf("-max-size: %w", err)
		}
		c.MaxPayload = uint32(size)
	}
	c.Timeout, c.AllowRemote = o.timeout, o.allowRemote
	return o, cmd, nil
}

// fuzzReport is what `conform fuzz` reports: the head every tester's report has (verdict,
// target, duration, problems), the findings, the run's counts, and under -exec how the server
// process ended at each crash or hang.
type fuzzReport struct {
	report.Head
	Findings []*netfuzz.Finding `json:"findings"`
	BuiltIn  bool               `json:"built_in,omitempty"`
	Seed     int64              `json:"seed"`
	Inputs   int                `json:"inputs"` // inputs sent, minimization attempts not counted
	// Outcomes counts the inputs by how they ended: answered, closed, silent, reset, aborted,
	// or a finding's kind.
	Outcomes map[string]int `json:"outcomes"`
	Restarts int            `json:"restarts"`
	// Stopped says why the run ended: duration, max-inputs, max-findings, target-down,
	// canceled, deadline.
	Stopped string `json:"stopped"`
	OutDir  string `json:"out_dir,omitempty"`
	// Processes maps a crash's or hang's finding ID to what the -exec process had done.
	Processes map[string]string `json:"processes,omitempty"`
	res       *netfuzz.Result
}

func newFuzzReport(res *netfuzz.Result, builtIn, interrupted bool) *fuzzReport {
	r := &fuzzReport{Head: report.Head{Schema: FuzzSchema, Target: res.Addr, Duration: res.Elapsed}, Findings: res.Findings,
		BuiltIn: builtIn, Seed: res.Seed, Inputs: res.Inputs, Outcomes: res.Outcomes, Restarts: res.Restarts, Stopped: res.Stopped,
		OutDir: res.OutDir, res: res}
	fs := make([]report.Finding, len(res.Findings))
	for i, fd := range res.Findings {
		fs[i] = fd.Finding
	}
	r.Judge(fs, interrupted)
	return r
}

// WriteJUnit writes the run for CI: a failing testcase per problem.
func (r *fuzzReport) WriteJUnit(w io.Writer) error { return r.Head.WriteJUnit(w, "fuzz", "") }

func (r *fuzzReport) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d\n", r.Seed)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if err := r.res.WriteText(w); err != nil {
		return err
	}
	b.Reset()
	if len(r.Processes) > 0 {
		b.WriteString("\nthe server process (-exec) at each crash or hang:\n")
		for _, fd := range r.Findings {
			if p, ok := r.Processes[fd.ID]; ok {
				fmt.Fprintf(&b, "  %s: %s\n", fd.ID, p)
			}
		}
	}
	if err := r.WriteProblems(&b); err != nil {
		return err
	}
	return flushText(w, &b, r.VerdictText())
}

func (r *fuzzReport) verdict() string {
	var b strings.Builder
	for _, fd := range r.Findings {
		fmt.Fprintf(&b, "conform fuzz: FINDING %s: %s, %s (%s)\n", fd.ID, fd.Kind, fd.Requirement, fd.Check)
		if fd.Replay != "" {
			fmt.Fprintf(&b, "conform fuzz:   replay: %s\n", fd.Replay)
		}
	}
	switch {
	case r.Verdict == report.RunIncomplete:
		fmt.Fprintf(&b, "conform fuzz: %s\n", r.VerdictText())
	case len(r.Findings) == 0:
		fmt.Fprintf(&b, "conform fuzz: PASS: %s, no finding\n", words.Count(r.Inputs, "input"))
	default:
		fmt.Fprintf(&b, "conform fuzz: %s: %s in %s; reproducers under %s\n", r.VerdictText(), words.Count(len(r.Findings), "finding"), words.Count(r.Inputs, "input"), r.OutDir)
	}
	return b.String()
}

// restartLog remembers what the -exec process had done each time the fuzzer restarted it, so
// that a crash or hang can be told apart: an exit status and last words, or a live process
// that does not answer.
type restartLog struct {
	mu      sync.Mutex
	start   time.Time
	entries []restartEntry
}

type restartEntry struct {
	at     time.Duration // since the run's start
	detail string
}

func (l *restartLog) restart(p *target.ServerProcess) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		detail := p.Describe()
		l.mu.Lock()
		l.entries = append(l.entries, restartEntry{at: time.Since(l.start), detail: detail})
		l.mu.Unlock()
		return "", p.Restart(ctx)
	}
}

// attribute maps each crash or hang to the process state at the first restart after it was
// found: the restart that found the process dead or deaf after that input.
func (l *restartLog) attribute(findings []*netfuzz.Finding) map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]string{}
	for _, fd := range findings {
		if fd.Kind != netfuzz.KindCrash && fd.Kind != netfuzz.KindHang {
			continue
		}
		for _, e := range l.entries {
			if e.at >= fd.TimeToFind {
				out[fd.ID] = e.detail
				break
			}
		}
	}
	return out
}

func runFuzz(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, tgt, code := startSeeded(ctx, args, stdout, stderr, parseFuzzFlags)
	if tgt == nil {
		return code
	}
	defer tgt.close()

	cfg := o.cfg
	cfg.Addr, cfg.Seed, cfg.OutDir = tgt.addr, o.seed, o.outDir
	if cfg.OutDir == "" {
		cfg.OutDir = filepath.Join(findingsDir, fmt.Sprintf("fuzz-%d", o.seed))
	}
	if tgt.builtIn {
		cfg.ReplayAddr = replayAddrPlaceholder
	}
	if o.verbose {
		cfg.Log = stderr
	}
	restarts := &restartLog{start: time.Now()}
	if tgt.proc != nil {
		cfg.Restart = restarts.restart(tgt.proc)
	}
	rec, err := o.pcap.open()
	if err != nil {
		return cmd.Fail(cliargs.Usagef("%v", err), stdout, stderr)
	}
	cfg.Capture = rec
	defer closeRecorder(cfg.Capture, "fuzz", cfg.Addr, stderr)
	runCtx, cancel := o.withDeadline(ctx)
	defer cancel()
	res, err := netfuzz.Run(runCtx, cfg)
	if stoppedAtDeadline(ctx, runCtx) {
		// The deadline bounds the run as -duration does: what it found stands.
		err = nil
		if res != nil {
			res.Stopped = "deadline"
		}
	}
	interrupted := err != nil && ctx.Err() != nil
	switch {
	case err != nil && (!interrupted || errors.Is(err, netfuzz.ErrConfig)):
		return o.runError(stderr, err, netfuzz.ErrConfig, netfuzz.ErrUnreachable)
	case res == nil:
		fmt.Fprintln(stderr, "conform fuzz: interrupted before the first input")
		return exitFail
	}
	for _, fd := range res.Findings {
		// The saved finding.json names the address of this run, or a placeholder for the
		// built-in server; the command printed here is the one that works: without -addr for
		// the built-in server, with the -exec command.
		if fd.Files != nil {
			fd.Replay = replayCommand(fd.Files.Finding, &o.testerFlags)
		}
	}
	rep := newFuzzReport(res, tgt.builtIn, interrupted)
	endRecorder(cfg.Capture, netfuzz.CaptureID, &rep.Head)
	if tgt.proc != nil {
		rep.Processes = restarts.attribute(res.Findings)
		if n := len(res.Findings); n > 0 {
			// A crash the run ended on was followed by no restart: the process tells now.
			last := res.Findings[n-1]
			crashed := last.Kind == netfuzz.KindCrash || last.Kind == netfuzz.KindHang
			if note := tgt.crashNote(); note != "" && crashed && rep.Processes[last.ID] == "" {
				rep.Processes[last.ID] = note
			}
		}
	}
	if err := writeReport(&o.testerFlags, stdout, stderr, rep.writeText, rep, rep.verdict()); err != nil {
		fmt.Fprintf(stderr, "conform fuzz: writing the report: %v\n", err)
		return exitFail
	}
	if res.Found() || interrupted {
		return exitFail
	}
	return exitPass
}
