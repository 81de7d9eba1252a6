package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

func startMutant(t *testing.T, name string) string {
	return mutants.StartTB(t, name, mutants.Options{})
}

// quick is a small run: a count, not a duration, so that it ends after the same work on any
// machine.
func quick(addr string, clients ...int) Config {
	return Config{
		Target:  Target{Label: "server", Addr: addr},
		Clients: clients,
		Mix:     Mix{wire.OpBackup: 1, wire.OpRestore: 2, wire.OpList: 1, wire.OpDelete: 1},
		Sizes:   Sizes{Min: HeaderLen, Max: 8 << 10},
		Count:   150,
		Rounds:  1,
		Seed:    7,
		Timeout: 5 * time.Second,
	}
}

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func systemAt(t *testing.T, res *Result, level int, label string) *System {
	t.Helper()
	s := res.Levels[level].system(label)
	if s == nil {
		t.Fatalf("no %s at level %d", label, level)
	}
	return s
}

func text(t *testing.T, res *Result) string {
	t.Helper()
	var b bytes.Buffer
	if err := res.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestACorrectServerPassesEveryCheck(t *testing.T) {
	addr := startMutant(t, "none")
	for _, tc := range []struct {
		name         string
		shared, keep bool
	}{{"own-names", false, false}, {"own-names-kept-conns", false, true}, {"shared", true, false}, {"shared-kept-conns", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quick(addr, 4)
			cfg.Shared, cfg.KeepConns = tc.shared, tc.keep
			res := run(t, cfg)
			s := systemAt(t, res, 0, "server")
			if !res.OK() || res.Verdict != report.RunPass || len(res.Findings) != 0 || res.Problems == nil {
				t.Fatalf("verdict %q, errors against a correct server:\n%s", res.Verdict, text(t, res))
			}
			for _, op := range s.Ops {
				if op.OK == 0 {
					t.Errorf("no %s answered in %d requests:\n%s", op.Op, cfg.Count, text(t, res))
				}
			}
			if !strings.Contains(text(t, res), "PASS: ") {
				t.Errorf("no PASS verdict:\n%s", text(t, res))
			}
		})
	}
}

// Each fault of the zoo that a load of ordinary requests meets is counted as the kind of
// error it is, and reported as a finding under the requirement it breaks, as the oracle
// judges it. One client, so the sequence of requests is the seed's alone.
func TestWrongAnswersAreCountedByKind(t *testing.T) {
	for _, tc := range []struct {
		mutant string
		sizes  Sizes
		want   Kind
		req    spec.ID
		check  string
	}{
		{"delete-ignored", Sizes{Min: 100, Max: 100}, WrongContent, spec.R4_4, checkListing},    // a LIST shows a deleted file
		{"overwrite-appends", Sizes{Min: 100, Max: 100}, WrongContent, spec.R4_2, checkContent}, // a RESTORE returns two versions
		{"truncates-at-64kib", Sizes{Min: 70 << 10, Max: 80 << 10}, WrongContent, spec.R4_2, checkContent},
		// A deleted file's RESTORE answered 1003: the 1001 owed is missing, not a server error.
		{"missing-file-1003", Sizes{Min: 100, Max: 100}, WrongStatus, spec.R4_2, spec.CheckMissingFile},
		{"restore-wrong-name", Sizes{Min: 100, Max: 100}, WrongStatus, spec.R4_2, spec.CheckNameMismatch}, // 210 naming another file
		{"delete-missing-ok", Sizes{Min: 100, Max: 100}, WrongStatus, spec.R4_3, spec.CheckMissingFile},   // 212 for a file never stored
		{"status-big-endian", Sizes{Min: 100, Max: 100}, Malformed, spec.R1_1, spec.CheckStatusByteOrder},
		{"list-name-31", Sizes{Min: 100, Max: 100}, WrongStatus, spec.R4_4, spec.CheckListingName},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			t.Parallel()
			cfg := quick(startMutant(t, tc.mutant), 1)
			cfg.Sizes, cfg.Count = tc.sizes, 60
			res := run(t, cfg)
			s := systemAt(t, res, 0, "server")
			if s.ByKind[tc.want] == 0 || res.OK() {
				t.Fatalf("want %s errors, got %v:\n%s", tc.want, s.ByKind, text(t, res))
			}
			if len(s.Samples[tc.want]) == 0 || !strings.Contains(text(t, res), "FAIL: ") {
				t.Errorf("no sample of %s, or no FAIL verdict:\n%s", tc.want, text(t, res))
			}
			if res.Verdict != report.RunFail || !slices.ContainsFunc(res.Findings, func(f report.Finding) bool {
				return f.Requirement == tc.req && f.Check == tc.check && f.Exchange != nil && strings.HasPrefix(f.Where, "server at 1 client, client ")
			}) {
				t.Fatalf("verdict %q, findings %+v: want one of %s %s with its exchange", res.Verdict, res.Findings, tc.req, tc.check)
			}
			if !slices.ContainsFunc(res.Problems, func(p report.Problem) bool { return p.Requirement == string(tc.req) }) {
				t.Fatalf("problems %+v: none under %s", res.Problems, tc.req)
			}
		})
	}
}

// A server whose overwrites tear under concurrency is caught by -shared: every RESTORE must
// be one whole version that some client stored, and a torn one has a version's header and
// another's bytes. The same server with one client never tears, and passes. Kept connections
// let the server see that other clients are there.
func TestTornSharedFilesAreWrongContent(t *testing.T) {
	addr := startTearing(t)
	cfg := quick(addr, 1, 4)
	cfg.Shared, cfg.KeepConns, cfg.Names, cfg.Count = true, true, 1, 300
	cfg.Mix = Mix{wire.OpBackup: 1, wire.OpRestore: 1}
	cfg.Sizes = Sizes{Min: 1 << 10, Max: 1 << 10}
	res := run(t, cfg)
	alone, together := systemAt(t, res, 0, "server"), systemAt(t, res, 1, "server")
	if alone.Errors != 0 {
		t.Errorf("one client: %d errors; the server only tears under concurrency:\n%s", alone.Errors, text(t, res))
	}
	if together.ByKind[WrongContent] == 0 {
		t.Fatalf("4 clients on one shared file: no wrong content reported:\n%s", text(t, res))
	}
	out := text(t, res)
	for _, want := range []string{"torn or mixed", "errors start past 1 clients", "FAIL: "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// limitListener accepts a connection only while fewer than n are open: a server that serves
// n connections at once, the rest waiting in the backlog.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &slotConn{Conn: c, release: func() { <-l.slots }}, nil
}

type slotConn struct {
	net.Conn
	release func()
	closed  bool
}

func (c *slotConn) Close() error {
	if !c.closed {
		c.closed = true
		c.release()
	}
	return c.Conn.Close()
}

func startLimited(t *testing.T, n int) string {
	t.Helper()
	s, err := mutants.New("none")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(&limitListener{Listener: ln, slots: make(chan struct{}, n)})
	}()
	t.Cleanup(func() {
		_ = s.Close()
		<-done
	})
	return ln.Addr().String()
}

func TestAServerServingTwoAtOnceIsExplained(t *testing.T) {
	cfg := quick(startLimited(t, 2), 6)
	cfg.Probe, cfg.ProbeWait = true, 300*time.Millisecond
	res := run(t, cfg)
	if !res.OK() {
		t.Fatalf("errors:\n%s", text(t, res))
	}
	if len(res.Probes) != 1 || res.Probes[0].Limit != 2 {
		t.Fatalf("probes %+v, want a limit of 2:\n%s", res.Probes, text(t, res))
	}
	out := text(t, res)
	for _, want := range []string{"server: 2\n", "serves at most 2 connections at once (probe), so 4 of 6 clients wait", "about 67%"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestAServerWithoutALimitIsNotExplainedAsOne(t *testing.T) {
	cfg := quick(startMutant(t, "none"), 6)
	cfg.Probe = true
	res := run(t, cfg)
	if len(res.Probes) != 1 || res.Probes[0].Limit != 0 || res.Probes[0].Upto != 6 {
		t.Fatalf("probes %+v, want no limit up to 6", res.Probes)
	}
	if strings.Contains(text(t, res), "waiting to be accepted") {
		t.Errorf("an accept limit reported:\n%s", text(t, res))
	}
}

func TestSweepPrintsARowPerNumberOfClientsAndJSON(t *testing.T) {
	res := run(t, quick(startMutant(t, "none"), 1, 3))
	out := text(t, res)
	for _, want := range []string{"\n      1  server  BACKUP", "\n      3  server  RESTORE", "\n      3  server  (connect)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"schema"`
		Levels []struct {
			Clients int `json:"clients"`
			Systems []struct {
				Ops []struct {
					Op        string  `json:"op"`
					OpsPerSec float64 `json:"ops_per_sec"`
				} `json:"ops"`
			} `json:"systems"`
		} `json:"levels"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || len(doc.Levels) != 2 || doc.Levels[1].Clients != 3 || doc.Levels[1].Systems[0].Ops[0].OpsPerSec <= 0 {
		t.Errorf("JSON: %s", b)
	}
}

// The note on where errors start reads the sweep's levels.
func TestErrorOnsetNamesTheLastCleanLevel(t *testing.T) {
	level := func(clients int, errs int64) Level {
		return Level{Clients: clients, Systems: []System{{Label: "server", Kind: "server", Errors: errs, ByKind: map[Kind]int64{Refused: errs}}}}
	}
	r := &Result{Levels: []Level{level(1, 0), level(8, 0), level(64, 12), level(256, 40)}}
	r.explain()
	want := "server: errors start past 8 clients: none at 8, 12 refused at 64"
	if !slices.Contains(r.Notes, want) || r.Errors != 52 {
		t.Errorf("notes %q, errors %d; want %q, 52", r.Notes, r.Errors, want)
	}
	r = &Result{Levels: []Level{level(1, 3), level(8, 5)}}
	r.explain()
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "errors from the first level, 1 clients, on") {
		t.Errorf("notes %q", r.Notes)
	}
}

func TestCompareGivesTheRatioOfEveryRound(t *testing.T) {
	cfg := quick(startMutant(t, "none"), 2)
	cfg.Compare = &Target{Label: "compare", Addr: startMutant(t, "none")}
	cfg.Rounds, cfg.Count = 3, 60
	res := run(t, cfg)
	if !res.OK() {
		t.Fatalf("errors:\n%s", text(t, res))
	}
	var found bool
	for _, ra := range res.Levels[0].Ratios {
		if ra.Of == "compare" && ra.To == "server" && ra.Op == "RESTORE" {
			found = true
			if len(ra.Rounds) != 3 || ra.Min > ra.Median || ra.Median > ra.Max || ra.Min <= 0 {
				t.Errorf("ratio %+v", ra)
			}
		}
	}
	if !found || !strings.Contains(text(t, res), "RESTORE  compare / server") {
		t.Errorf("no compare/server ratio:\n%s", text(t, res))
	}
}

func TestBaselinesRunTheSameLoadOnLoopbackAndDisk(t *testing.T) {
	cfg := quick(startMutant(t, "none"), 2)
	cfg.Baseline, cfg.BaselineDir, cfg.Count = true, t.TempDir(), 60
	cfg.Mix = Mix{wire.OpBackup: 1, wire.OpRestore: 1, wire.OpList: 1, wire.OpDelete: 1}
	res := run(t, cfg)
	if !res.OK() {
		t.Fatalf("errors:\n%s", text(t, res))
	}
	for _, label := range []string{LoopbackLabel, DiskLabel} {
		s := systemAt(t, res, 0, label)
		if s.Errors != 0 || len(s.Ops) != 4 {
			t.Errorf("%s: %+v", label, s)
		}
		for _, op := range s.Ops {
			if op.OK == 0 {
				t.Errorf("%s: no %s", label, op.Op)
			}
		}
	}
	lb, dk, c := systemAt(t, res, 0, LoopbackLabel), systemAt(t, res, 0, DiskLabel), systemAt(t, res, 0, CombinedLabel)
	for i, op := range c.Ops {
		if want := 1 / (1/lb.Ops[i].OpsPerSec + 1/dk.Ops[i].OpsPerSec); math.Abs(op.OpsPerSec-want) > 1e-9*want || op.OpsPerSec <= 0 {
			t.Errorf("%s combined bound %v, want %v", op.Op, op.OpsPerSec, want)
		}
	}
	out := text(t, res)
	for _, want := range []string{"BACKUP   server / disk", "RESTORE  server / loopback", "BACKUP   server / loopback+disk"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if left, _ := os.ReadDir(cfg.BaselineDir); len(left) != 0 {
		t.Errorf("the disk baseline left %d entries", len(left))
	}
}

func TestAnUnreachableServerCountsRefusals(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := quick(addr, 2)
	cfg.Count = 10
	res := run(t, cfg)
	if s := systemAt(t, res, 0, "server"); s.ByKind[Refused] == 0 || res.OK() {
		t.Fatalf("errors %v:\n%s", s.ByKind, text(t, res))
	}
}

func TestRunRefusesABadConfig(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Clients = nil },
		func(c *Config) { c.Clients = []int{0} },
		func(c *Config) { c.Sizes = Sizes{Min: HeaderLen - 1, Max: 100} },
		func(c *Config) { c.Sizes = Sizes{Min: 200, Max: 100} },
		func(c *Config) { c.Count, c.Duration = 0, 0 },
		func(c *Config) { c.Rounds = 0 },
		func(c *Config) { c.Names = MaxNames + 1 },
		func(c *Config) { c.Mix = Mix{wire.OpList: 0} },
	} {
		cfg := quick("127.0.0.1:1", 1)
		mod(&cfg)
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", cfg, err)
		}
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("backup=1, restore=4,LIST=0")
	if err != nil || m[wire.OpBackup] != 1 || m[wire.OpRestore] != 4 || m.Has(wire.OpList) || m.String() != "backup=1,restore=4" {
		t.Fatalf("%v %v", m, err)
	}
	for _, bad := range []string{"", "backup", "copy=1", "backup=-1", "backup=x", "backup=0", "backup=1,backup=2"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestHistogramQuantilesAreWithinABucket(t *testing.T) {
	var h, other Histogram
	rng := rand.New(rand.NewPCG(1, 2))
	var all []time.Duration
	for i := range 20000 {
		d := time.Duration(rng.ExpFloat64() * float64(time.Millisecond))
		all = append(all, d)
		if i%2 == 0 {
			h.Record(d)
		} else {
			other.Record(d)
		}
	}
	h.Merge(&other)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := all[int(q*float64(len(all)))-1]
		got := h.Quantile(q)
		if diff := float64(got-exact) / float64(exact); diff > 1.0/64 || diff < -1.0/64 {
			t.Errorf("q%v: %v, exact %v", q, got, exact)
		}
	}
	if h.Max() != all[len(all)-1] || h.Count() != uint64(len(all)) {
		t.Errorf("max %v count %d", h.Max(), h.Count())
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Error("an empty histogram has a median")
	}
}

func TestVersionHeaderRoundTrips(t *testing.T) {
	v := version{name: 3, client: 70000, n: 12, size: 4096}
	h := v.header()
	got, ok := parseHeader(h[:])
	if !ok || got != v {
		t.Fatalf("%v %v", got, ok)
	}
	h[0] = 'x'
	if _, ok := parseHeader(h[:]); ok {
		t.Error("a header without the magic parsed")
	}
	if v.body(1).Sum() == (version{name: 3, client: 70000, n: 13, size: 4096}).body(1).Sum() {
		t.Error("two versions have one body")
	}
	if s := fmt.Sprint(v); !strings.Contains(s, "version 12 of client 70000") {
		t.Error(s)
	}
}

// The bound of two systems done in turn is read round by round, and a ratio whose rounds
// lie past ±10% of its median is said to be unsettled.
func TestCombinedBoundAndUnsettledRatios(t *testing.T) {
	round := func(v float64) RoundFigures { return RoundFigures{Ops: []OpRound{{Op: "BACKUP", OpsPerSec: v}}} }
	sys := func(label, kind string, rates ...float64) System {
		s := System{Label: label, Kind: kind, Ops: []OpFigures{{Op: "BACKUP"}}}
		for _, v := range rates {
			s.Rounds = append(s.Rounds, round(v))
		}
		return s
	}
	systems := []System{sys("server", "server", 50, 60, 40), sys(LoopbackLabel, LoopbackLabel, 300, 300, 300), sys(DiskLabel, DiskLabel, 100, 100, 100)}
	c := combined(systems)
	if c == nil || len(c.Rounds) != 3 || math.Abs(opsPerSec(c.Rounds[0], "BACKUP")-75) > 1e-9 {
		t.Fatalf("combined %+v", c)
	}
	systems = append(systems, *c)
	var got *Ratio
	rs := ratios(systems)
	for i := range rs {
		if rs[i].To == CombinedLabel {
			got = &rs[i]
		}
	}
	if got == nil || math.Abs(got.Median-50.0/75) > 1e-9 || math.Abs(got.Spread-0.2) > 1e-9 {
		t.Fatalf("ratio to the bound %+v", got)
	}
	r := &Result{Levels: []Level{{Clients: 1, Systems: systems, Ratios: rs}}}
	r.explain()
	if !slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.HasPrefix(n, "server / loopback+disk, BACKUP at 1 clients: not settled")
	}) {
		t.Errorf("notes %q", r.Notes)
	}
	// Five rounds or more: the highest and the lowest are left out of the spread.
	if _, med, _, spread := spreadOf([]float64{1, 0.5, 1.02, 0.98, 2}); med != 1 || spread > 0.021 {
		t.Errorf("median %v spread %v", med, spread)
	}
}

// Past Rounds the run goes on only while a ratio is unsettled, up to MaxRounds.
func TestRoundsGoOnUntilTheRatiosSettle(t *testing.T) {
	cfg := quick(startMutant(t, "none"), 1)
	cfg.Compare = &Target{Label: "compare", Addr: cfg.Target.Addr}
	cfg.Rounds, cfg.MaxRounds, cfg.Count = 1, 4, 20
	res := run(t, cfg)
	if !res.OK() {
		t.Fatalf("errors:\n%s", text(t, res))
	}
	for _, ra := range res.Levels[0].Ratios {
		// One round has no spread: it settles at once.
		if len(ra.Rounds) != 1 || ra.Spread != 0 {
			t.Errorf("ratio %+v", ra)
		}
	}
}

// A body is checked against the version its header names: another version's bytes fail,
// whole or from any point on (a tear at a block's edge fails past the block's index, which
// every version shares), and so do a block repeated and a byte changed anywhere.
func TestABodyFailsUnderAnotherVersionsHeader(t *testing.T) {
	const size = 3*content.TileLen + 100
	v := version{name: 1, client: 2, n: 3, size: size}
	w := version{name: 1, client: 2, n: 4, size: size}
	read := func(v version) []byte {
		b, err := io.ReadAll(v.reader(7))
		if err != nil || len(b) != size {
			t.Fatalf("%v: %d bytes, %v", v, len(b), err)
		}
		return b[HeaderLen:]
	}
	mine, other := read(v), read(w)
	const edge = content.TileLen
	flipped := bytes.Clone(mine)
	flipped[2*content.TileLen+50] ^= 1
	for _, tc := range []struct {
		name string
		body []byte
		at   int64
	}{
		{"its own", mine, -1},
		{"another version's", other, 8},
		{"torn at a block's edge", slices.Concat(mine[:edge], other[edge:]), edge + 8},
		{"torn inside a block", slices.Concat(mine[:edge+1000], other[edge+1000:]), edge + 1000},
		{"a block repeated", slices.Concat(mine[:2*edge], mine[edge:2*edge], mine[3*edge:]), 2 * edge},
		{"a byte changed", flipped, 2*content.TileLen + 50},
	} {
		k := content.NewChecker(v.body(7))
		if _, err := k.ReadFrom(bytes.NewReader(tc.body)); err != nil || k.Mismatch() != tc.at {
			t.Errorf("%s body under the header of %v: mismatch at %d (%v), want %d", tc.name, v, k.Mismatch(), err, tc.at)
		}
	}
}

// A server whose LIST looks in the wrong folder answers 1002 to a user who has stored files:
// the oracle owes that user a 211, and the bench says so in the oracle's words.
func TestListOfNoFilesForAUserWithFilesIsWrongStatus(t *testing.T) {
	peer := fakepeer.Start(t, fakepeer.Serve(func(req *wire.RequestHeader) []byte {
		h := wire.ResponseHeader{Version: wire.Version, Status: wire.StatusOK, Name: req.Name}
		if req.Op == wire.OpList {
			h = wire.ResponseHeader{Version: wire.Version, Status: wire.StatusNoFiles}
		}
		return h.Append(nil)
	}))
	cfg := quick(peer.Addr, 1)
	cfg.Mix, cfg.Names, cfg.Count = Mix{wire.OpBackup: 1, wire.OpList: 1}, 1, 20
	res := run(t, cfg)
	if s := systemAt(t, res, 0, "server"); s.ByKind[WrongStatus] == 0 {
		t.Fatalf("want wrong-status errors, got %v:\n%s", s.ByKind, text(t, res))
	}
	want := spec.Canonical.JudgeOwed(spec.Request{Op: wire.OpList}, spec.HoldingStored, spec.Answer{Code: uint16(wire.StatusNoFiles)})
	if !slices.ContainsFunc(res.Findings, func(f report.Finding) bool {
		return f.Requirement == spec.R4_4 && f.Check == spec.CheckStatusOwed && f.Expected == want.Expected
	}) {
		t.Fatalf("findings %+v: want R-4.4 %s, expected %q", res.Findings, spec.CheckStatusOwed, want.Expected)
	}
}
