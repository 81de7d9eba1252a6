package netfuzz

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Defaults for the zero fields of Config.
const (
	// DefaultDuration leaves a command's 60-second deadline room to minimize what it found.
	DefaultDuration    = 40 * time.Second
	DefaultMaxInputs   = 100_000
	DefaultTimeout     = 5 * time.Second
	DefaultMaxFindings = 10
	DefaultShrinkTries = 300
	DefaultShrinkTime  = 30 * time.Second
)

var (
	// ErrConfig: Config is unusable (the command's usage error).
	ErrConfig = errors.New("netfuzz config")
	// ErrUnreachable: the target could not be reached at the start.
	ErrUnreachable = errors.New("server unreachable")
)

// Config sets up a fuzz run. Zero fields take the defaults given with them.
type Config struct {
	// Addr is the target, host:port. It must be a loopback address unless AllowRemote is set:
	// fuzzing is for servers one owns.
	Addr        string
	AllowRemote bool
	// Seed decides the sequence of inputs.
	Seed int64
	// Duration and MaxInputs bound the run (DefaultDuration, DefaultMaxInputs); it stops at
	// whichever comes first. Minimizing the findings comes on top, bounded by ShrinkTime each.
	Duration  time.Duration
	MaxInputs int
	// Timeout bounds every read and write; an owed answer and the health probe's answer must
	// come within it (DefaultTimeout).
	Timeout time.Duration
	// MaxPayload, when not zero, is the largest BACKUP size the target is known to accept: a
	// larger size is then owed 1003. Zero: unknown, and never judged.
	MaxPayload uint32
	// MaxFindings stops the run after that many distinct findings (DefaultMaxFindings).
	MaxFindings int
	// ShrinkTries and ShrinkTime bound the minimization of each finding (DefaultShrinkTries,
	// DefaultShrinkTime).
	ShrinkTries int
	ShrinkTime  time.Duration
	// OutDir is where reproducers are saved, one folder per finding; "" saves none.
	OutDir string
	// ReplayAddr is the address the replay command saved in finding.json names (default
	// Addr). A target that lives only as long as the run, such as a server the caller started
	// on a free port, has no address worth saving: the caller then gives a placeholder.
	ReplayAddr string
	// Restart, when set, restarts the target after a crash or hang and returns the address it
	// now listens on ("" for unchanged). A hung target is still running: Restart must stop it
	// first. It is also called before every minimization attempt of a crash or hang, so that
	// each starts from a fresh target. Without it a crash or hang ends the run and is reported
	// as found, unminimized.
	Restart func(ctx context.Context) (addr string, err error)
	// Log receives a line per finding and per stage; nil discards.
	Log io.Writer
	// Capture, if set, records every input's connection under CaptureID (-pcap).
	Capture *capture.Recorder
}

func (c Config) withDefaults() Config {
	c.Duration = cmp.Or(c.Duration, DefaultDuration)
	c.MaxInputs = cmp.Or(c.MaxInputs, DefaultMaxInputs)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.MaxFindings = cmp.Or(c.MaxFindings, DefaultMaxFindings)
	c.ShrinkTries = cmp.Or(c.ShrinkTries, DefaultShrinkTries)
	c.ShrinkTime = cmp.Or(c.ShrinkTime, DefaultShrinkTime)
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.ReplayAddr == "" {
		c.ReplayAddr = c.Addr
	}
	return c
}

func (c Config) check(ctx context.Context) error {
	if c.Duration < 0 || c.MaxInputs < 0 || c.Timeout < 0 || c.MaxFindings < 0 || c.ShrinkTries < 0 || c.ShrinkTime < 0 {
		return fmt.Errorf("%w: negative bound", ErrConfig)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("%w: address %q: %w", ErrConfig, c.Addr, err)
	}
	if c.AllowRemote {
		return nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("%w: resolve %q: %w", ErrUnreachable, host, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%w: %s is not a loopback address; fuzz only servers you own (AllowRemote)", ErrConfig, ip)
		}
	}
	return nil
}

// Finding is one fault the fuzzer found: the finding as every tester reports one (requirement,
// check, expected, actual, detail, where, and the exchange of the input as first sent), with
// its minimized input and how to reproduce it.
type Finding struct {
	ID   string `json:"id"` // kind, requirement and a hash of the minimized input: stable across runs
	Kind Kind   `json:"kind"`
	// Finding's Detail is what happened to the saved (minimized) input, for a person;
	// OriginalDetail what happened to the input as first sent, when minimizing changed the
	// input.
	report.Finding
	OriginalDetail string `json:"original_detail,omitempty"`
	// Seed is the run's seed: with the same Config it finds this again.
	Seed int64 `json:"seed"`
	// Step is the input (1-based) that found it, TimeToFind the time from the start to it.
	Step       int           `json:"step"`
	TimeToFind time.Duration `json:"found_after_ns"`
	Origin     string        `json:"origin"`
	Mutations  []string      `json:"mutations,omitempty"`
	Delivery   Delivery      `json:"delivery"` // of the minimized input
	// Input is the minimized input, Original the one first sent, Response what came back to
	// the original (at most captureLimit bytes).
	Input       []byte `json:"-"`
	Original    []byte `json:"-"`
	Response    []byte `json:"-"`
	InputHex    string `json:"input_hex"`
	OriginalHex string `json:"original_hex"`
	ResponseHex string `json:"response_hex"`
	ResponseEnd string `json:"response_end"` // how reading the answer ended: eof, reset, timeout, quiet, capped, aborted
	// Minimized says whether shrinking ran: a crash or hang without Config.Restart cannot be
	// shrunk. Reproduced says whether the input reproduced the finding on its own (from a
	// restarted target for a crash or hang); ShrinkTries counts the attempts.
	Minimized   bool `json:"minimized"`
	Reproduced  bool `json:"reproduced"`
	ShrinkTries int  `json:"shrink_tries"`
	// Files are the saved reproducer; Replay is the command that replays it.
	Files  *Files `json:"files,omitempty"`
	Replay string `json:"replay,omitempty"`
	// Repeats counts later inputs that gave the same kind, requirement and check, or showed
	// the same fault.
	Repeats int `json:"repeats"`
	// Fault is the ID of the catalog's fault the minimized input shows, when it shows one
	// whatever the rule its answer broke: then the finding's ID is the fault's, and every
	// later finding of the fault is one of its Repeats.
	Fault string `json:"fault,omitempty"`
}

// signature is what makes two findings the same one.
func (f *Finding) signature() string { return string(f.Kind) + "|" + f.Key() }

// Where says where a finding of input step was seen.
func where(step int) string {
	if step == 0 {
		return "the health probe, before any input"
	}
	return fmt.Sprintf("input %d", step)
}

// exchangeOf is the exchange of fd's input as first sent: the bytes, and what came back.
func exchangeOf(fd *Finding) *report.Exchange {
	var sent, received report.ClipWriter
	_, _ = sent.Write(fd.Original)
	_, _ = received.Write(fd.Response)
	return &report.Exchange{Label: where(fd.Step) + ", as first sent", Conn: 1, Sent: sent.Clip(), Received: received.Clip(),
		Outcome: fmt.Sprintf("%d bytes back, ended %s", len(fd.Response), fd.ResponseEnd)}
}

// Files are the paths of a saved reproducer.
type Files struct {
	Dir      string `json:"dir"`
	Input    string `json:"input"`    // raw bytes
	Original string `json:"original"` // raw bytes of the input as first sent
	Finding  string `json:"finding"`  // finding.json
	Corpus   string `json:"corpus"`   // go test fuzz v1 file for FuzzParseRequest
}

// Result is a whole run.
type Result struct {
	Addr     string         `json:"target"`
	Seed     int64          `json:"seed"`
	Inputs   int            `json:"inputs"` // inputs sent, minimization attempts not counted
	Elapsed  time.Duration  `json:"duration_ns"`
	Outcomes map[string]int `json:"outcomes"` // per input: answered, closed, silent, reset, aborted, or a finding's kind
	Findings []*Finding     `json:"findings"`
	Restarts int            `json:"restarts"`
	// Stopped says why the run ended: duration, max-inputs, max-findings, target-down, canceled.
	Stopped string `json:"stopped"`
	OutDir  string `json:"out_dir,omitempty"`
}

// Found reports whether the run found anything.
func (r *Result) Found() bool { return len(r.Findings) > 0 }

// outcome is one input's full judgement: the exchange, the verdict and the probe.
type outcome struct {
	ex     exchange
	v      verdict
	health probeResult
}

// finding is the finding the outcome amounts to: a failed probe outweighs the answer. Kind is
// "" when nothing is wrong.
func (o *outcome) finding() (Kind, report.Finding) {
	switch {
	case o.health.kind != "":
		code := CodeProbeUnanswered
		actual := "no answer to the health probe"
		if o.health.kind == KindCrash {
			code, actual = CodeRefused, "the health probe's connection refused"
		}
		detail := "after the input, " + o.health.detail
		if o.v.bad() {
			detail += "; the input itself: " + o.v.detail
		}
		req := spec.R5_3
		if o.v.bad() && o.v.requirement != "" {
			req = o.v.requirement
		}
		return o.health.kind, report.Finding{Requirement: req, Check: code, Expected: "the server to go on serving after the input", Actual: actual, Detail: detail}
	case o.v.bad():
		return o.v.kind, o.v.finding()
	}
	return "", report.Finding{}
}

// finding is the verdict as a finding.
func (v verdict) finding() report.Finding {
	return report.Finding{Requirement: v.requirement, Check: v.code, Expected: v.expected, Actual: v.actual, Detail: v.detail}
}

func (o *outcome) label() string {
	if k, _ := o.finding(); k != "" {
		return string(k)
	}
	switch {
	case o.ex.end == endAborted:
		return "aborted"
	case o.v.answers > 0:
		return "answered"
	case o.ex.end == endReset:
		return "reset"
	case o.ex.end == endEOF:
		return "closed"
	}
	return "silent"
}

// fuzzer is one run's state.
type fuzzer struct {
	cfg      Config
	addr     string // where the target listens now: Restart may move it
	t        timing
	probeRng *rand.Rand // probe users, apart from the input sequence
	res      *Result
	down     bool // the target failed and cannot be restarted
	start    time.Time
}

// Run fuzzes the server at cfg.Addr. It returns an error wrapping ErrConfig for an unusable
// Config, ErrUnreachable if the server cannot be reached at the start, and the context's error
// if ctx ends (with the Result so far). Findings are in the Result, not errors.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(ctx); err != nil {
		return nil, err
	}
	seeds, err := corpus()
	if err != nil {
		return nil, err
	}
	f := &fuzzer{
		cfg:      cfg,
		addr:     cfg.Addr,
		t:        timing{timeout: cfg.Timeout, quiet: quietFor(cfg.Timeout), capture: cfg.Capture},
		probeRng: rand.New(rand.NewPCG(uint64(cfg.Seed), pcgStream+1)),
		res:      &Result{Addr: cfg.Addr, Seed: cfg.Seed, Outcomes: map[string]int{}, Findings: []*Finding{}, OutDir: cfg.OutDir},
		start:    time.Now(),
	}
	defer func() { f.res.Elapsed = time.Since(f.start) }()
	c, err := dial(ctx, f.addr, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, cfg.Addr, err)
	}
	c.Close()
	f.logf("fuzzing %s: seed %d, at most %d inputs in %v, timeout %v", cfg.Addr, cfg.Seed, cfg.MaxInputs, cfg.Duration, cfg.Timeout)

	// The probe is how crashes and hangs are seen: a server that fails it before any input
	// cannot be judged, and that failure is the finding.
	if pr := f.probe(ctx); pr.kind != "" {
		f.baselineFinding(ctx, pr)
		f.res.Stopped = "target-down"
		return f.res, nil
	}

	gen := newGenerator(cfg.Seed, seeds)
	deadline := f.start.Add(cfg.Duration)
	seen := map[string]*Finding{}
	faults := map[string]*Finding{}
	for {
		switch {
		case ctx.Err() != nil:
			f.res.Stopped = "canceled"
			return f.res, ctx.Err()
		case f.down:
			f.res.Stopped = "target-down"
			return f.res, nil
		case f.res.Inputs >= cfg.MaxInputs:
			f.res.Stopped = "max-inputs"
			return f.res, nil
		case !time.Now().Before(deadline):
			f.res.Stopped = "duration"
			return f.res, nil
		case len(f.res.Findings) >= cfg.MaxFindings:
			f.res.Stopped = "max-findings"
			return f.res, nil
		}
		in := gen.next()
		f.res.Inputs++
		o := f.try(ctx, in)
		if ctx.Err() != nil {
			continue
		}
		f.res.Outcomes[o.label()]++
		kind, found := o.finding()
		if kind == "" {
			continue
		}
		fd := &Finding{Kind: kind, Finding: found, Step: f.res.Inputs,
			TimeToFind: time.Since(f.start), Origin: in.Origin, Mutations: in.Mutations,
			Original: in.Bytes, Response: o.ex.got, ResponseEnd: string(o.ex.end)}
		if prev := seen[fd.signature()]; prev != nil {
			prev.Repeats++
			f.recover(ctx)
			continue
		}
		seen[fd.signature()] = fd
		f.logf("input %d: %s %s (%s): %s", fd.Step, fd.Kind, fd.Requirement, fd.Check, fd.Detail)
		f.minimize(ctx, fd, in)
		if f.splitOnly(ctx, fd) {
			fd.Fault = splitFault
			if prev := faults[fd.Fault]; prev != nil {
				// The same reading of the stream, met under another rule.
				prev.Repeats++
				seen[fd.signature()] = prev
				f.recover(ctx)
				continue
			}
			faults[fd.Fault] = fd
		}
		f.res.Findings = append(f.res.Findings, fd)
		f.save(fd)
		f.recover(ctx)
	}
}

// try sends one input, judges the answer and probes the target.
func (f *fuzzer) try(ctx context.Context, in Input) *outcome {
	// A send that fails (the target down before the input, most likely) is judged by the
	// probe alone.
	o, _ := f.sendJudged(ctx, in)
	o.health = f.probe(ctx)
	return o
}

// sendJudged sends one input and judges the answer; its error is the send's.
func (f *fuzzer) sendJudged(ctx context.Context, in Input) (*outcome, error) {
	p := planFor(in.Bytes, f.cfg.MaxPayload)
	o := &outcome{}
	ex, err := send(ctx, f.addr, in, p, f.t)
	o.ex = ex
	if err == nil {
		o.v = judge(p, ex.got, ex.end)
	}
	return o, err
}

func (f *fuzzer) probe(ctx context.Context) probeResult {
	return probe(ctx, f.addr, f.probeRng.Uint32(), f.cfg.Timeout)
}

// recover brings a failed target back with Restart, or marks the run over.
func (f *fuzzer) recover(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	if pr := f.probe(ctx); pr.kind == "" {
		return
	}
	if !f.restart(ctx) {
		f.down = true
	}
}

// restart restarts the target and waits until it answers the probe.
func (f *fuzzer) restart(ctx context.Context) bool {
	if f.cfg.Restart == nil {
		return false
	}
	f.res.Restarts++
	addr, err := f.cfg.Restart(ctx)
	if err != nil {
		f.logf("restart failed: %v", err)
		return false
	}
	if addr != "" {
		f.addr = addr
	}
	if pr := f.probe(ctx); pr.kind != "" {
		f.logf("restarted target fails the probe: %s", pr.detail)
		return false
	}
	return true
}

// splitFault is the fault of a server that takes what one read returns for a whole request.
const splitFault = "reads-request-in-one-read"

// splitOnly reports whether fd's minimized input shows a fault in how the server reads the
// stream: sent in one write, the same bytes get no finding at all. Whatever rule its answer
// broke in pieces (an op taken from a cut header, a size from half a field), the fault is the
// one read, and one fault is one finding.
func (f *fuzzer) splitOnly(ctx context.Context, fd *Finding) bool {
	if !fd.Minimized || len(fd.Delivery.Splits) == 0 || fd.Kind == KindCrash || fd.Kind == KindHang {
		return false
	}
	o := f.try(ctx, Input{Bytes: fd.Input, Delivery: Delivery{End: fd.Delivery.End}})
	kind, _ := o.finding()
	if kind != "" {
		f.recover(ctx)
	}
	return ctx.Err() == nil && kind == ""
}

// baselinePrefix starts the detail of a finding made before any fuzz input.
const baselinePrefix = "before any fuzz input: "

// baselineFinding records a probe that fails before any input: the probe's own LIST is the input.
func (f *fuzzer) baselineFinding(ctx context.Context, pr probeResult) {
	user := f.probeRng.Uint32()
	in := Input{Bytes: listRequest(user), Delivery: Delivery{End: EndCloseWrite}, Origin: "health-probe"}
	o := f.try(ctx, in)
	kind, found := o.finding()
	if kind == "" || o.v.bad() {
		kind, found = o.v.kind, o.v.finding()
	}
	if kind == "" {
		// The probe failed once and not again: report the first failure as it was.
		kind, found = pr.kind, report.Finding{Requirement: spec.R2_1, Check: CodeProbeUnanswered, Expected: "an answer to the health probe's LIST",
			Actual: "none", Detail: pr.detail}
	}
	found.Detail = baselinePrefix + found.Detail
	fd := &Finding{Kind: kind, Finding: found, Step: 0, TimeToFind: time.Since(f.start),
		Origin: in.Origin, Original: in.Bytes, Response: o.ex.got, ResponseEnd: string(o.ex.end)}
	f.logf("baseline: %s %s (%s): %s", fd.Kind, fd.Requirement, fd.Check, fd.Detail)
	f.minimize(ctx, fd, in)
	f.res.Findings = append(f.res.Findings, fd)
	f.save(fd)
}

func listRequest(user uint32) []byte {
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpList}
	return h.Append(nil)
}

func (f *fuzzer) logf(format string, args ...any) {
	fmt.Fprintf(f.cfg.Log, "netfuzz: "+format+"\n", args...)
}

// findingID is stable for the same finding and minimized input: kind, requirement, hash.
func findingID(fd *Finding) string {
	if fd.Fault != "" {
		return fd.Fault
	}
	sum := sha256.Sum256(fd.Input)
	req := strings.ReplaceAll(string(fd.Requirement), ".", "_")
	return fmt.Sprintf("%s-%s-%s", fd.Kind, req, hex.EncodeToString(sum[:6]))
}
