// Package diagnosis tests what an FBP server gets wrong at the root, before any case runs,
// judging its answers through the one oracle, conformance/internal/spec.
//
// It probes the server and names the root causes of
// what is wrong with it in plain words: nothing answers, it is not FBP (and what it looks
// like instead), a LIST answered only when more bytes follow, a BACKUP answered only when its
// payload comes apart from its header, responses framed, ordered or byte-swapped in a way of
// their own, fields a status must not carry, a status map of its own, how many connections it
// serves at once, whether a refused upload's payload is read as a request, and whether the
// process dies when a client leaves early.
//
// Each finding names its requirement and shows the bytes that prove it. Where the tester can
// speak around a fault (send LIST with two more bytes, send a BACKUP's payload apart, strip a
// length prefix), the finding says so and the Profile holds the workaround, so that a
// conformance run goes on to test the rest of the protocol; the finding still fails the run.
// `conform doctor` runs this phase alone.
package diagnosis

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// Config is what to diagnose and how.
type Config struct {
	// Addr is the server, host:port.
	Addr string
	// Timeout is the longest wait for an answer that is owed. Default 5s.
	Timeout time.Duration
	// Quiet is how long to watch for bytes after an answer that looks whole. Default 150ms.
	Quiet time.Duration
	// CrashProbes runs the probes that may kill the server (a client that connects and leaves,
	// one that resets, one that cuts its request short).
	CrashProbes bool
	// Restart starts the server again after a probe killed it, and returns its address. With
	// none, the probes stop at the first death.
	Restart func(ctx context.Context) (string, error)
	// Log, if set, receives a line per probe.
	Log func(string)
	// Budget bounds the diagnosis, so that a slow server leaves the cases time to run; 0 for
	// none. The phases it cuts report nothing (see Diagnosis.Cut).
	Budget time.Duration

	// concurrencyMissed, for tests, is told when a LIST beside stalled clients went
	// unanswered within its wait, as the probe goes on to confirm it.
	concurrencyMissed func()
}

func (c *Config) defaults() error {
	if c.Addr == "" {
		return errors.New("diagnosis: no address")
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = 150 * time.Millisecond
	}
	return nil
}

// Finding is one root cause the probes found.
type Finding struct {
	// Finding is the fault as every tester reports it: the requirement, what was expected
	// against what came, what the probes saw that shows it (Detail), and the exchange.
	report.Finding
	// ID is stable and short: "list-needs-name-len".
	ID    string
	Level report.Level
	// Summary is the root cause in plain words.
	Summary string
	// Workaround is what a run does to test the rest past it, "" if nothing.
	Workaround string
	// Key is the problem key a conformance case's failure of the same fault carries, so that a
	// report shows the two as one problem.
	Key string
	// Fatal: nothing can be tested past it.
	Fatal bool
	// Blocks lists the ops that cannot be tested at all.
	Blocks []wire.Op
}

// Problem is the finding as a report's problem, under the finding's ID.
func (f *Finding) Problem() report.Problem {
	return report.Problem{ID: f.ID, Requirement: string(f.Requirement), Level: f.Level, Summary: f.Summary, Diagnosis: f.Detail,
		Workaround: f.Workaround, Cases: []string{}, Evidence: &report.Evidence{Expected: f.Expected, Actual: f.Actual, Exchange: f.Exchange}}
}

// Diagnosis is what the probes found.
type Diagnosis struct {
	Target   string
	Findings []Finding
	// Profile is how to speak to the server past the findings.
	Profile Profile
	// Fingerprint is the codes the server answered a backup, a restore, a restore of a missing
	// file and a list with; zero where a probe got no answer.
	Fingerprint spec.Fingerprint
	// Served is how many connections the server served at once, when the probe found a bound;
	// 0 when it served every one it was given.
	Served int
	// ConcurrencyProbed: the probes of clients at once ran whole, and Served and
	// Profile.Serial say what they found.
	ConcurrencyProbed bool
	// Latency is the longest wait for the first byte of an answer the probes saw.
	Latency  time.Duration
	Probes   int
	Duration time.Duration
	// Cut names the phase of probes that the budget or the caller's context ended, "" when
	// every phase ran. That phase and the ones after it found nothing: a probe cut short
	// would blame the server for the cut.
	Cut string
}

// Fatal returns the finding that stops every case, or nil.
func (d *Diagnosis) Fatal() *Finding {
	for i := range d.Findings {
		if d.Findings[i].Fatal {
			return &d.Findings[i]
		}
	}
	return nil
}

// Blocked returns the finding that keeps op from being tested, or nil.
func (d *Diagnosis) Blocked(op wire.Op) *Finding {
	return d.find(func(f *Finding) bool { return slices.Contains(f.Blocks, op) })
}

// Finding returns the finding with the given ID, or nil.
func (d *Diagnosis) Finding(id string) *Finding {
	return d.find(func(f *Finding) bool { return f.ID == id })
}

func (d *Diagnosis) find(match func(*Finding) bool) *Finding {
	for i := range d.Findings {
		if match(&d.Findings[i]) {
			return &d.Findings[i]
		}
	}
	return nil
}

// diagnoser is one run's state.
type diagnoser struct {
	cfg    Config
	mu     sync.Mutex
	cur    string // the server's address: Restart may move it
	res    Diagnosis
	probes int
	// first is the first answer the server gave, to a LIST.
	first *capture
	// latency is the longest wait for the first byte of an answer the probes saw.
	latency time.Duration
	// done is the diagnosis as it stood after the last phase that ran whole; phase is the
	// one running now.
	done  Diagnosis
	phase string
}

// errBudget is the cause of a diagnosis's context that ended at Config.Budget.
var errBudget = errors.New("the diagnosis's budget passed")

// begin starts a phase of probes, the ones before it having run whole. It returns false, and
// starts nothing, once the context has ended.
func (d *diagnoser) begin(ctx context.Context, phase string) bool {
	d.done = d.res
	d.done.Findings = slices.Clone(d.res.Findings)
	d.phase = phase
	if ctx.Err() != nil {
		return false
	}
	d.log("phase: %s", phase)
	return true
}

// slowAnswer is how long an answer may take to begin before the diagnosis says the server is
// slow.
const slowAnswer = time.Second

// AnswerWait is how long to wait for an answer from a server whose answers began within
// latency: three times that, with room for a loaded machine (2s at least), never over timeout.
func AnswerWait(timeout, latency time.Duration) time.Duration {
	return min(timeout, max(2*time.Second, 3*latency))
}

func (d *diagnoser) addr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cur
}

func (d *diagnoser) log(format string, args ...any) {
	if d.cfg.Log != nil {
		d.cfg.Log(fmt.Sprintf(format, args...))
	}
}

func (d *diagnoser) add(f Finding) {
	if f.Check == "" {
		// A finding is filed under its problem key, requirement|check: the check every
		// tester's finding names is the key's.
		_, f.Check, _ = strings.Cut(f.Key, "|")
	}
	d.log("finding %s: %s", f.ID, f.Summary)
	d.res.Findings = append(d.res.Findings, f)
}

// Run probes the server at cfg.Addr. Its error is for a configuration it cannot run with; what
// is wrong with the server, unreachable included, is in the findings.
func Run(ctx context.Context, cfg Config) (*Diagnosis, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	if cfg.Budget > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Budget, errBudget)
		defer cancel()
	}
	d := &diagnoser{cfg: cfg, cur: cfg.Addr}
	d.res.Target = cfg.Addr
	// The phases in turn; after each but the last, whose probes may kill the server on
	// purpose, a LIST checks that it did not.
	type phase struct {
		name  string
		run   func(context.Context) bool // false: nothing more can be probed
		check bool
	}
	goOn := func(probes func(context.Context)) func(context.Context) bool {
		return func(ctx context.Context) bool { probes(ctx); return true }
	}
	phases := []phase{
		{"the probes of how it reads a LIST", d.framing, true},
		{"two LISTs on one connection", goOn(d.acknowledgement), true},
		{"a BACKUP, RESTOREs and a LIST", d.operations, true},
		{"a BACKUP refused for its name with a request in its payload", goOn(d.smuggling), true},
		{"clients that stalled mid-request", goOn(d.concurrency), true},
	}
	if cfg.CrashProbes || cfg.Restart != nil {
		phases = append(phases, phase{"clients that leave mid-request", goOn(d.crashes), false})
	}
	for _, ph := range phases {
		if !d.begin(ctx, ph.name) || !ph.run(ctx) || ph.check && !d.stillAlive(ctx, ph.name) {
			break
		}
	}
	if ctx.Err() != nil {
		d.res = d.done
		d.res.Cut = d.phase
		if context.Cause(ctx) == errBudget {
			d.res.Cut += fmt.Sprintf(" (the diagnosis's budget of %v passed)", cfg.Budget)
		}
		d.log("cut during %s: what it found is left out", d.res.Cut)
	}
	d.res.Target = d.addr()
	d.res.Latency = d.latency
	d.res.Probes = d.probes
	d.res.Duration = time.Since(start)
	return &d.res, nil
}

// stillAlive checks, after a phase of probes, that the server still answers. When it does not,
// the phase killed it: a finding says so, and the server is started again if it can be; if not,
// nothing can be tested and the finding is fatal.
func (d *diagnoser) stillAlive(ctx context.Context, phase string) bool {
	p := d.res.Profile
	alive, how, refused := d.alive(ctx, &p)
	if alive || !refused || ctx.Err() != nil {
		// A server that does not answer in time may be slow: only one that refuses died.
		return ctx.Err() == nil
	}
	f := Finding{ID: "died-during-diagnosis", Level: report.Must, Key: KeyCrash("diagnosis"), Summary: "the server stopped answering during the diagnosis, after " + phase, Finding: report.Finding{Requirement: spec.R5_3, Detail: "a LIST after them: " + how, Expected: "the server to keep serving", Actual: how}}
	if d.restart(ctx) {
		d.add(f)
		return true
	}
	f.Fatal = true
	f.Summary += "; it cannot be started again, so nothing more can be tested (give -exec so that conform restarts it)"
	d.add(f)
	return false
}

// newUser is a random non-zero user id, so that no probe meets another's files.
func newUser() uint32 {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:])
		if u := binary.LittleEndian.Uint32(b[:]); u != 0 {
			return u
		}
	}
}

func listReq(u uint32) []byte {
	h := wire.RequestHeader{UserID: u, Version: wire.Version, Op: wire.OpList}
	return h.Append(nil)
}

func nameReq(u uint32, op wire.Op, name string) []byte {
	h := wire.RequestHeader{UserID: u, Version: wire.Version, Op: op, Name: []byte(name)}
	return h.Append(nil)
}

// backupReq is a BACKUP with its payload, and the length of its header.
func backupReq(u uint32, name string, payload []byte) ([]byte, int) {
	h := wire.RequestHeader{UserID: u, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Size: uint32(len(payload))}
	b := h.Append(nil)
	return append(b, payload...), len(b)
}

// run sends one request the way p speaks and reads until n answers are in.
func (d *diagnoser) run(ctx context.Context, p *Profile, label string, req []byte, op wire.Op, headerLen, n int) *capture {
	writes, err := p.Writes(req, op, headerLen)
	if err != nil {
		return &capture{label: label, sent: req, end: endRefused, err: err}
	}
	d.probes++
	c := d.exchange(ctx, probe{label: label, writes: writes, pause: splitPause, halfClose: p.HalfClose, whole: wholeResponses(p, n)})
	d.log("%s: %s", label, c.outcome())
	return c
}

// splitPause separates a BACKUP's header from its payload when they go apart, so that the
// server's first read sees the header alone.
const splitPause = 100 * time.Millisecond

func (c *capture) outcome() string {
	if len(c.got) == 0 {
		if c.err != nil && c.end == endRefused {
			return "could not connect: " + c.err.Error()
		}
		return "no bytes, " + string(c.end)
	}
	return describeBytes(c.got) + ", " + string(c.end)
}

// howItEnded says in words how a probe that got no answer ended.
func (d *diagnoser) howItEnded(c *capture) string {
	switch c.end {
	case endTimeout:
		if len(c.got) > 0 {
			return fmt.Sprintf("only %s within %v", describeBytes(c.got), d.cfg.Timeout)
		}
		return fmt.Sprintf("no answer within %v", d.cfg.Timeout)
	case endClosed:
		if len(c.got) > 0 {
			return fmt.Sprintf("%s, then the connection closed", describeBytes(c.got))
		}
		return "the connection closed without an answer"
	case endReset:
		return "the connection was reset without an answer"
	case endRefused:
		return "the connection was refused"
	}
	return describeBytes(c.got) + ", " + string(c.end)
}

// bytesLabel is a probe's sent bytes for a summary: "01 00 00 00 01 ca".
func bytesLabel(b []byte) string {
	if len(b) > 16 {
		return fmt.Sprintf("% x … (%d bytes)", b[:16], len(b))
	}
	return fmt.Sprintf("% x", b)
}

// framingCandidates are the ways of reading responses the probes try, the spec's first.
func framingCandidates(b []byte) []Profile {
	out := []Profile{{}, {StatusBigEndian: true}}
	if n, ok := lengthPrefix(b); ok {
		out = append(out, Profile{ResponsePrefix: n}, Profile{ResponsePrefix: n, StatusBigEndian: true})
	}
	return out
}

// readAs finds the way of reading b that gives a first answer with a status want accepts.
func readAs(b []byte, base Profile, want func(*answer) bool) (Profile, []answer, parsed, bool) {
	for _, c := range framingCandidates(b) {
		p := base
		p.ResponsePrefix, p.StatusBigEndian = c.ResponsePrefix, c.StatusBigEndian
		as, rest := p.parse(b)
		if len(as) > 0 && want(&as[0]) {
			return p, as, rest, true
		}
	}
	return base, nil, parsed{}, false
}

// anyStatus accepts any answer whose status SPEC §3 or a known dialect defines.
func anyStatus(a *answer) bool { return wire.Status(a.Status).Known() }

// joinNonEmpty joins the parts that are not empty.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
