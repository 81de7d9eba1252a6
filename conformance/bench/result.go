package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/wire"
)

// Schema names the layout of the JSON a Result marshals to.
const Schema = "fbp-conform-bench/1"

// Result is what a run measured and found. Its head is every tester's (verdict, target,
// duration, problems): a run fails on any error, and the answers that break a rule of the spec,
// as the oracle judges them, are its findings, grouped into problems.
type Result struct {
	report.Head
	// Findings are the first answer of each problem that broke a rule, per server and number
	// of clients.
	Findings []report.Finding `json:"findings"`
	Seed     uint64           `json:"seed"`
	Settings Settings         `json:"settings"`
	Probes   []Probe          `json:"probes,omitempty"`
	Levels   []Level          `json:"levels"`
	// Elapsed and Interrupted are the head's Duration and Interrupted, as the run saw them.
	Elapsed     time.Duration `json:"-"`
	Interrupted bool          `json:"-"`
	// Errors counts every failed request of the servers (baselines left out).
	Errors int64 `json:"errors"`
	// Notes explain the figures: a server that serves few connections at once, the number of
	// clients where errors start.
	Notes []string `json:"notes,omitempty"`
}

// Settings are the Config's, as a report shows them.
type Settings struct {
	Server    string        `json:"server"`
	Compare   string        `json:"compare,omitempty"`
	Clients   []int         `json:"clients"`
	Mix       Mix           `json:"mix"`
	Sizes     Sizes         `json:"sizes"`
	Duration  time.Duration `json:"duration_ns,omitempty"`
	Count     int           `json:"count,omitempty"`
	Warmup    time.Duration `json:"warmup_ns"`
	Rounds    int           `json:"rounds"`
	MaxRounds int           `json:"max_rounds,omitempty"`
	KeepConns bool          `json:"keep_conns"`
	Shared    bool          `json:"shared"`
	Names     int           `json:"names"`
	Baseline  bool          `json:"baseline"`
}

func settingsOf(c *Config) Settings {
	s := Settings{Server: c.Target.Addr, Clients: c.Clients, Mix: c.Mix, Sizes: c.Sizes, Duration: c.Duration, Count: c.Count,
		Warmup: c.Warmup, Rounds: c.Rounds, MaxRounds: c.MaxRounds, KeepConns: c.KeepConns, Shared: c.Shared, Names: c.Names, Baseline: c.Baseline}
	if c.Count > 0 {
		s.Duration = 0
	}
	if c.Compare != nil {
		s.Compare = c.Compare.Addr
	}
	return s
}

// Level is every system measured at one number of clients.
type Level struct {
	Clients int      `json:"clients"`
	Systems []System `json:"systems"`
	// Ratios compare systems round by round: the compared server to the server, and each
	// server to each baseline.
	Ratios []Ratio `json:"ratios,omitempty"`
}

// System is one server's (or baseline's) figures at one number of clients, over all rounds.
type System struct {
	Label string `json:"label"`
	// Kind is "server", "loopback", "disk" or "loopback+disk", the bound of the two done in
	// turn (computed from their rounds, not measured).
	Kind    string        `json:"kind"`
	Elapsed time.Duration `json:"duration_ns"` // of the measured rounds
	Ops     []OpFigures   `json:"ops"`
	// Connect is the time to connect, for the requests that made a connection.
	Connect *Latencies        `json:"connect,omitempty"`
	Errors  int64             `json:"errors"`
	ByKind  map[Kind]int64    `json:"errors_by_kind,omitempty"`
	Samples map[Kind][]string `json:"error_samples,omitempty"`
	// Findings are the first answer of each problem that broke a rule of the spec.
	Findings []report.Finding `json:"-"`
	Rounds   []RoundFigures   `json:"rounds"`
	// Usage is the server process's, when the tester started it.
	Usage *UsageFigures `json:"usage,omitempty"`
}

// OpFigures are one op's figures over all rounds: the answers that were right, and the
// errors.
type OpFigures struct {
	Op        string         `json:"op"`
	OK        int64          `json:"ok"`
	Bytes     int64          `json:"bytes"`
	OpsPerSec float64        `json:"ops_per_sec"`
	MBPerSec  float64        `json:"mb_per_sec"` // 10^6 bytes of payload a second
	Latency   Latencies      `json:"latency"`
	Errors    int64          `json:"errors"`
	ByKind    map[Kind]int64 `json:"errors_by_kind,omitempty"`
}

// RoundFigures are one round of one system.
type RoundFigures struct {
	Elapsed time.Duration `json:"duration_ns"`
	Ops     []OpRound     `json:"ops"`
	Errors  int64         `json:"errors"`
	CPU     time.Duration `json:"cpu_ns,omitempty"` // the server process's CPU time in the round
}

// OpRound is one op in one round.
type OpRound struct {
	Op        string  `json:"op"`
	OK        int64   `json:"ok"`
	Bytes     int64   `json:"bytes"`
	OpsPerSec float64 `json:"ops_per_sec"`
}

// UsageFigures are a server process's CPU time and memory.
type UsageFigures struct {
	CPU      time.Duration `json:"cpu_ns"`        // over the measured rounds
	Cores    float64       `json:"cores"`         // CPU time / elapsed time
	CPUPerOp time.Duration `json:"cpu_per_op_ns"` // per right answer
	PeakRSS  int64         `json:"peak_rss_bytes"`
}

// Ratio is one system's ops/s over another's, for one op, round by round.
type Ratio struct {
	Op     string  `json:"op"`
	Of     string  `json:"of"`
	To     string  `json:"to"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	Max    float64 `json:"max"`
	// Spread is how far the rounds lie from the median, as a fraction of it (spreadOf).
	Spread float64   `json:"spread"`
	Rounds []float64 `json:"rounds"`
}

// MarshalText names a kind in JSON keys.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

func opName(op wire.Op) string { return op.String() }

func kindOf(sys system) string {
	switch sys.(type) {
	case *loopback:
		return "loopback"
	case *disk:
		return "disk"
	}
	return "server"
}

func (r *runner) summarize(n int, tallies []*tally) Level {
	lv := Level{Clients: n}
	for _, t := range tallies {
		s := System{Label: t.sys.label(), Kind: kindOf(t.sys), Rounds: t.rounds, ByKind: map[Kind]int64{}, Samples: t.examples}
		for _, f := range t.findings {
			f.Where = fmt.Sprintf("%s at %s, %s", s.Label, words.Count(n, "client"), f.Where)
			s.Findings = append(s.Findings, f)
		}
		for _, fig := range t.rounds {
			s.Elapsed += fig.Elapsed
		}
		var ok int64
		for k, op := range Ops {
			if !r.cfg.Mix.Has(op) {
				continue
			}
			f := OpFigures{Op: opName(op), Latency: t.lat[k].Latencies(), ByKind: map[Kind]int64{}}
			for _, fig := range t.rounds {
				for _, o := range fig.Ops {
					if o.Op == f.Op {
						f.OK += o.OK
						f.Bytes += o.Bytes
					}
				}
			}
			for kind := range numKinds {
				if e := t.errs[k][kind].Load(); e > 0 {
					f.ByKind[kind] += e
					f.Errors += e
					s.ByKind[kind] += e
				}
			}
			if secs := s.Elapsed.Seconds(); secs > 0 {
				f.OpsPerSec, f.MBPerSec = float64(f.OK)/secs, float64(f.Bytes)/secs/1e6
			}
			s.Errors += f.Errors
			ok += f.OK
			s.Ops = append(s.Ops, f)
		}
		if t.connect.Count() > 0 {
			l := t.connect.Latencies()
			s.Connect = &l
		}
		if srv, isServer := t.sys.(*server); isServer && srv.Usage != nil && t.cpuKnown {
			u := &UsageFigures{CPU: t.cpu}
			if s.Elapsed > 0 {
				u.Cores = t.cpu.Seconds() / s.Elapsed.Seconds()
			}
			if ok > 0 {
				u.CPUPerOp = t.cpu / time.Duration(ok)
			}
			if now, err := srv.Usage(); err == nil {
				u.PeakRSS = now.PeakRSS
			}
			s.Usage = u
		}
		lv.Systems = append(lv.Systems, s)
	}
	if c := combined(lv.Systems); c != nil {
		lv.Systems = append(lv.Systems, *c)
	}
	lv.Ratios = ratios(lv.Systems)
	return lv
}

// combine is the rate of a system that does the work of two in turn, each at the rate it
// reaches alone: on one machine, where the network and the disk share the cores, a server
// that does both cannot beat it.
func combine(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return 1 / (1/a + 1/b)
}

// combined is the bound of the loopback and the disk done in turn, round by round, when both
// were measured.
func combined(systems []System) *System {
	var lb, dk *System
	for i := range systems {
		switch systems[i].Kind {
		case LoopbackLabel:
			lb = &systems[i]
		case DiskLabel:
			dk = &systems[i]
		}
	}
	if lb == nil || dk == nil {
		return nil
	}
	c := &System{Label: CombinedLabel, Kind: CombinedLabel}
	for i, op := range lb.Ops {
		if i >= len(dk.Ops) {
			break
		}
		c.Ops = append(c.Ops, OpFigures{Op: op.Op, OpsPerSec: combine(op.OpsPerSec, dk.Ops[i].OpsPerSec),
			MBPerSec: combine(op.MBPerSec, dk.Ops[i].MBPerSec)})
	}
	for i := range min(len(lb.Rounds), len(dk.Rounds)) {
		var fig RoundFigures
		for _, o := range lb.Rounds[i].Ops {
			fig.Ops = append(fig.Ops, OpRound{Op: o.Op, OpsPerSec: combine(o.OpsPerSec, opsPerSec(dk.Rounds[i], o.Op))})
		}
		c.Rounds = append(c.Rounds, fig)
	}
	return c
}

// ratios compares the systems round by round: each round ran them all within seconds of each
// other, so a ratio holds up on a machine whose speed drifts.
func ratios(systems []System) []Ratio {
	var pairs [][2]*System
	var servers, baselines []*System
	for i := range systems {
		if systems[i].Kind == "server" {
			servers = append(servers, &systems[i])
		} else {
			baselines = append(baselines, &systems[i])
		}
	}
	if len(servers) == 2 {
		pairs = append(pairs, [2]*System{servers[1], servers[0]})
	}
	for _, s := range servers {
		for _, b := range baselines {
			pairs = append(pairs, [2]*System{s, b})
		}
	}
	var out []Ratio
	for _, p := range pairs {
		for _, op := range p[0].Ops {
			ra := Ratio{Op: op.Op, Of: p[0].Label, To: p[1].Label}
			for i := range min(len(p[0].Rounds), len(p[1].Rounds)) {
				a, b := opsPerSec(p[0].Rounds[i], ra.Op), opsPerSec(p[1].Rounds[i], ra.Op)
				if a > 0 && b > 0 {
					ra.Rounds = append(ra.Rounds, a/b)
				}
			}
			if len(ra.Rounds) == 0 {
				continue
			}
			ra.Min, ra.Median, ra.Max, ra.Spread = spreadOf(ra.Rounds)
			out = append(out, ra)
		}
	}
	return out
}

// settled is the spread of a ratio over the rounds within which its median is read as
// settled: ±10%.
const settled = 0.10

// spreadOf gives the least, the median and the greatest of the rounds' ratios, and their
// spread: the farthest of the rounds from the median, as a fraction of it, once the highest
// and the lowest are left out when there are 5 rounds or more (one round that met a burst of
// the machine's other work does not make a settled median unreadable).
func spreadOf(rounds []float64) (lo, median, hi, spread float64) {
	sorted := slices.Sorted(slices.Values(rounds))
	n := len(sorted)
	lo, hi = sorted[0], sorted[n-1]
	median = sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	kept := sorted
	if n >= 5 {
		kept = sorted[1 : n-1]
	}
	spread = max(kept[len(kept)-1]-median, median-kept[0]) / median
	return lo, median, hi, spread
}

func opsPerSec(fig RoundFigures, op string) float64 {
	for _, o := range fig.Ops {
		if o.Op == op {
			return o.OpsPerSec
		}
	}
	return 0
}

// OK reports whether every request of the servers got a right answer.
func (r *Result) OK() bool { return r.Errors == 0 && !r.Interrupted }

// judge fills the head: the findings grouped into problems, and the verdict, which fails on
// any error, one that breaks no rule (a refused connection, a 1003) included.
func (r *Result) judge() {
	r.Findings = []report.Finding{}
	for _, lv := range r.Levels {
		for _, s := range lv.Systems {
			if s.Kind == "server" {
				r.Findings = append(r.Findings, s.Findings...)
			}
		}
	}
	r.Duration = r.Elapsed
	r.Judge(r.Findings, r.Interrupted)
	if r.Errors > 0 {
		r.Verdict = report.RunFail
	}
}

// explain counts the servers' errors, writes the notes that say what the figures rest on and
// judges the run.
func (r *Result) explain() {
	defer r.judge()
	r.Errors = 0
	for _, lv := range r.Levels {
		for _, s := range lv.Systems {
			if s.Kind == "server" {
				r.Errors += s.Errors
			}
		}
	}
	for _, p := range r.Probes {
		if p.Limit == 0 {
			continue
		}
		for _, lv := range r.Levels {
			if lv.Clients <= p.Limit {
				continue
			}
			s := lv.system(p.Label)
			if s == nil {
				continue
			}
			waiting := lv.Clients - p.Limit
			r.Notes = append(r.Notes, fmt.Sprintf("%s at %d clients: latency is mostly waiting to be accepted: the server serves at most %d connections at once (probe), so %d of %d clients wait; by Little's law about %.0f%% of a request's time (p50 %s) is that wait, not service",
				p.Label, lv.Clients, p.Limit, waiting, lv.Clients, 100*float64(waiting)/float64(lv.Clients), fmtDur(s.p50())))
		}
	}
	labels := map[string]bool{}
	for _, lv := range r.Levels {
		for _, s := range lv.Systems {
			labels[s.Label] = true
		}
	}
	for label := range labels {
		if note := r.errorOnset(label); note != "" {
			r.Notes = append(r.Notes, note)
		}
	}
	for _, lv := range r.Levels {
		for _, ra := range lv.Ratios {
			if ra.Spread > settled {
				r.Notes = append(r.Notes, fmt.Sprintf("%s / %s, %s at %d clients: not settled: the rounds lie up to ±%.0f%% from the median %.2f (%.2f-%.2f over %d rounds), past ±%.0f%%; more rounds (-rounds) may settle it",
					ra.Of, ra.To, ra.Op, lv.Clients, 100*ra.Spread, ra.Median, ra.Min, ra.Max, len(ra.Rounds), 100*settled))
			}
		}
		for _, s := range lv.Systems {
			// A SYN the kernel drops is sent again after 1 s: connects that long mean the
			// listen backlog was full.
			if s.Connect != nil && s.Connect.P99 >= 900*time.Millisecond {
				r.Notes = append(r.Notes, fmt.Sprintf("%s at %d clients: connects took %s at p99: the listen backlog overflowed and the kernel sent SYNs again; the server accepts too slowly for %d clients",
					s.Label, lv.Clients, fmtDur(s.Connect.P99), lv.Clients))
			}
		}
	}
	slices.Sort(r.Notes)
}

// errorOnset says where a system's errors start in a sweep: the first number of clients with
// errors after one without.
func (r *Result) errorOnset(label string) string {
	var clean *Level
	for i := range r.Levels {
		lv := &r.Levels[i]
		s := lv.system(label)
		if s == nil {
			continue
		}
		if s.Errors == 0 {
			clean = lv
			continue
		}
		what := s.kindsText()
		if clean == nil {
			if len(r.Levels) > 1 && i == 0 {
				return fmt.Sprintf("%s: errors from the first level, %d clients, on: %s", label, lv.Clients, what)
			}
			return ""
		}
		return fmt.Sprintf("%s: errors start past %d clients: none at %d, %s at %d", label, clean.Clients, clean.Clients, what, lv.Clients)
	}
	return ""
}

func (lv *Level) system(label string) *System {
	for i := range lv.Systems {
		if lv.Systems[i].Label == label {
			return &lv.Systems[i]
		}
	}
	return nil
}

// p50 is the median latency of the system's most frequent op.
func (s *System) p50() time.Duration {
	var best *OpFigures
	for i := range s.Ops {
		if best == nil || s.Ops[i].OK > best.OK {
			best = &s.Ops[i]
		}
	}
	if best == nil {
		return 0
	}
	return best.Latency.P50
}

func (s *System) kindsText() string {
	var parts []string
	for k := range numKinds {
		if n := s.ByKind[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}
