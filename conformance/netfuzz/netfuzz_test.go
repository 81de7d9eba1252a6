package netfuzz

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// testLog sends the fuzzer's log lines to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// mutantTarget runs one mutant of the zoo and restarts it, on a new port, when asked: what the
// command's -exec does with a real server.
type mutantTarget struct {
	t    *testing.T
	name string
	opt  mutants.Options

	mu   sync.Mutex
	addr string
	stop func()
}

func startMutant(t *testing.T, name string, opt mutants.Options) *mutantTarget {
	t.Helper()
	m := &mutantTarget{t: t, name: name, opt: opt}
	if _, err := m.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.stop()
	})
	return m
}

func (m *mutantTarget) Restart(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stop != nil {
		m.stop()
	}
	addr, stop, err := mutants.StartWithOptions(m.name, m.opt)
	if err != nil {
		return "", err
	}
	m.addr, m.stop = addr, stop
	return addr, nil
}

func (m *mutantTarget) Addr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addr
}

// The reference server answers everything the fuzzer sends as the spec allows: no findings.
func TestReferenceServerNoFindings(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	res, err := Run(context.Background(), Config{
		Addr: srv.Addr, Seed: 1, MaxInputs: 300, Duration: time.Minute, Timeout: 2 * time.Second,
		OutDir: t.TempDir(), Log: testLog{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range res.Findings {
		t.Errorf("finding %s: %s\n input %s\n answer %s", fd.ID, fd.Detail, fd.InputHex, fd.ResponseHex)
	}
	if res.Inputs != 300 || res.Stopped != "max-inputs" {
		t.Fatalf("%d inputs, stopped: %s", res.Inputs, res.Stopped)
	}
	total := 0
	for _, n := range res.Outcomes {
		total += n
	}
	// The inputs must have reached the server's every path: answers, closes, refusals.
	if total != res.Inputs || res.Outcomes["answered"] == 0 || res.Outcomes["closed"] == 0 || res.Outcomes["aborted"] == 0 {
		t.Fatalf("outcomes %v over %d inputs", res.Outcomes, res.Inputs)
	}
	t.Logf("reference: %d inputs in %v: %v", res.Inputs, res.Elapsed, res.Outcomes)
}

// The fault-free mutant and the variations the spec allows give no findings either; the
// fault-free mutant, unlike the reference server, does not linger after an error answer, which
// the oracle must not hold against it.
func TestAllowedMutantsNoFindings(t *testing.T) {
	for _, name := range []string{"none", "close-after-each-response", "version-not-1-rejected"} {
		t.Run(name, func(t *testing.T) {
			m := startMutant(t, name, mutants.Options{ReadTimeout: 2 * time.Second})
			res, err := Run(context.Background(), Config{
				Addr: m.Addr(), Seed: 2, MaxInputs: 100, Duration: time.Minute, Timeout: 2 * time.Second,
				MaxPayload: mutants.DefaultMaxFileSize, Log: testLog{t},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, fd := range res.Findings {
				t.Errorf("finding %s: %s\n input %s\n answer %s", fd.ID, fd.Detail, fd.InputHex, fd.ResponseHex)
			}
			if res.Inputs != 100 {
				t.Fatalf("%d inputs", res.Inputs)
			}
		})
	}
}

// Each faulty mutant is found, its finding minimized and saved, and the saved input replays
// to the same finding. Time-to-find is logged, not asserted.
func TestFindsMutants(t *testing.T) {
	for _, tc := range []struct {
		mutant      string
		kind        Kind
		requirement string // "" any
		maxPayload  uint32
		timeout     time.Duration
	}{
		{mutant: "dies-on-unknown-op", kind: KindCrash},
		{mutant: "deadlock-after-truncated", kind: KindHang, requirement: "R-5.3", timeout: 300 * time.Millisecond},
		{mutant: "list-hangs", kind: KindNoResponse, requirement: "R-2.1", timeout: 300 * time.Millisecond},
		{mutant: "unknown-op-closes", kind: KindNoResponse, requirement: "R-5.2"},
		{mutant: "unknown-op-1001", kind: KindViolation, requirement: "R-5.2"},
		{mutant: "ok-trailing-size", kind: KindViolation, requirement: "R-3.1"},
		{mutant: "oversize-not-rejected", kind: KindNoResponse, requirement: "R-5.4", maxPayload: mutants.DefaultMaxFileSize},
		{mutant: "status-big-endian", kind: KindViolation, requirement: "R-1.1"},
		{mutant: "unsafe-name-accepted", kind: KindViolation, requirement: "R-5.1"},
	} {
		t.Run(tc.mutant, func(t *testing.T) {
			timeout := tc.timeout
			if timeout == 0 {
				timeout = time.Second
			}
			m := startMutant(t, tc.mutant, mutants.Options{ReadTimeout: 2 * time.Second})
			addr := m.Addr() // Restart moves the mutant
			out := t.TempDir()
			res, err := Run(context.Background(), Config{
				Addr: addr, Seed: 7, MaxInputs: 2000, Duration: time.Minute, Timeout: timeout,
				MaxPayload: tc.maxPayload, MaxFindings: 1, ShrinkTries: 150, ShrinkTime: 20 * time.Second,
				OutDir: out, Restart: m.Restart, Log: testLog{t},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("%d findings after %d inputs (stopped: %s), want 1", len(res.Findings), res.Inputs, res.Stopped)
			}
			fd := res.Findings[0]
			if fd.Kind != tc.kind || tc.requirement != "" && string(fd.Requirement) != tc.requirement {
				t.Fatalf("finding %s %s (%s): %s; want %s %s", fd.Kind, fd.Requirement, fd.Check, fd.Detail, tc.kind, tc.requirement)
			}
			// The finding, as every tester reports one: a check, expected against actual,
			// where, and the bytes of the input as first sent.
			if fd.Check == "" || fd.Expected == "" || fd.Actual == "" || fd.Where != where(fd.Step) || fd.Exchange == nil ||
				fd.Exchange.Sent.Total != int64(len(fd.Original)) || fd.Exchange.Received.Total != int64(len(fd.Response)) {
				t.Fatalf("finding %+v: want a check, expected and actual, where and the exchange", fd.Finding)
			}
			t.Logf("time-to-find %s: input %d after %v; %s %s (%s); minimized %d -> %d bytes in %d tries: %x",
				tc.mutant, fd.Step, fd.TimeToFind.Round(time.Millisecond), fd.Kind, fd.Requirement, fd.Check,
				len(fd.Original), len(fd.Input), fd.ShrinkTries, fd.Input)
			if !fd.Reproduced || !fd.Minimized || len(fd.Input) > len(fd.Original) {
				t.Fatalf("reproduced %v, minimized %v, %d bytes from %d", fd.Reproduced, fd.Minimized, len(fd.Input), len(fd.Original))
			}
			checkReproducer(t, out, fd, addr, 7)

			// The saved input, sent again to a fresh server, gives the same finding.
			in, err := LoadInput(fd.Files.Finding)
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := m.Restart(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := ReplayInput(context.Background(), fresh, in, ReplayOptions{Timeout: timeout, MaxPayload: tc.maxPayload})
			if err != nil {
				t.Fatal(err)
			}
			kind, got := rep.Kind, rep.Finding
			if fd.Step == 0 {
				// Found by the probe before any input: the probe fails on replay too, so the
				// answer alone is what must match.
				kind, got = rep.AnswerKind, rep.Answer
			}
			if got == nil || kind != fd.Kind || got.Key() != fd.Key() {
				t.Fatalf("replay: %s %+v; found %s %s (%s)", kind, got, fd.Kind, fd.Requirement, fd.Check)
			}
			detail := got.Detail
			// The finding's detail describes the saved input, not the one first sent. A
			// restarted mutant listens on another port.
			anyAddr := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
			if fd.Step > 0 && anyAddr.ReplaceAllString(detail, "ADDR") != anyAddr.ReplaceAllString(fd.Detail, "ADDR") {
				t.Fatalf("replay of the saved input: %q\nthe finding says: %q", detail, fd.Detail)
			}
			if fd.OriginalDetail == fd.Detail {
				t.Fatalf("original_detail repeats detail: %q", fd.Detail)
			}
		})
	}
}

// checkReproducer reads back every file of fd's reproducer, found with seed; its replay
// command names replayAddr.
func checkReproducer(t *testing.T, out string, fd *Finding, replayAddr string, seed int64) {
	t.Helper()
	if fd.Files == nil || filepath.Dir(fd.Files.Dir) != out || filepath.Base(fd.Files.Dir) != fd.ID {
		t.Fatalf("files %+v, id %s, out %s", fd.Files, fd.ID, out)
	}
	raw, err := os.ReadFile(fd.Files.Input)
	if err != nil || !bytes.Equal(raw, fd.Input) {
		t.Fatalf("input.bin %x (%v), want %x", raw, err, fd.Input)
	}
	orig, err := os.ReadFile(fd.Files.Original)
	if err != nil || !bytes.Equal(orig, fd.Original) {
		t.Fatalf("original.bin %x (%v), want %x", orig, err, fd.Original)
	}
	corpus, err := os.ReadFile(fd.Files.Corpus)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeCorpus(t, corpus); !bytes.Equal(got, fd.Input) {
		t.Fatalf("corpus file holds %x, want %x", got, fd.Input)
	}
	if filepath.Base(filepath.Dir(fd.Files.Corpus)) != "FuzzParseRequest" || filepath.Base(fd.Files.Corpus) != corpusName(corpus) {
		t.Fatalf("corpus path %s", fd.Files.Corpus)
	}
	if want := "conform replay " + fd.Files.Finding + " -addr " + replayAddr; fd.Replay != want {
		t.Fatalf("replay command %q, want %q", fd.Replay, want)
	}
	js, err := os.ReadFile(fd.Files.Finding)
	if err != nil {
		t.Fatal(err)
	}
	var saved Finding
	if err := json.Unmarshal(js, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Seed != seed || saved.Replay != fd.Replay || saved.Detail != fd.Detail || saved.OriginalDetail != fd.OriginalDetail ||
		saved.InputHex != fd.InputHex {
		t.Fatalf("finding.json:\n%s\nwant seed %d, replay %q, detail %q", js, seed, fd.Replay, fd.Detail)
	}
	in, err := LoadInput(fd.Files.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in.Bytes, fd.Input) || in.Delivery.End != fd.Delivery.End || len(in.Delivery.Splits) != len(fd.Delivery.Splits) {
		t.Fatalf("loaded %x %+v, saved %x %+v", in.Bytes, in.Delivery, fd.Input, fd.Delivery)
	}
	bin, err := LoadInput(fd.Files.Input)
	if err != nil || !bytes.Equal(bin.Bytes, fd.Input) || bin.Delivery.End != EndCloseWrite {
		t.Fatalf("raw load: %x %+v %v", bin.Bytes, bin.Delivery, err)
	}
}

// decodeCorpus parses a `go test fuzz v1` file of one []byte, as the go command does.
func decodeCorpus(t *testing.T, b []byte) []byte {
	t.Helper()
	lines := strings.Split(string(b), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" || lines[2] != "" ||
		!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
		t.Fatalf("corpus file %q", b)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("corpus file %q: %v", b, err)
	}
	return []byte(s)
}

// Without a restart a crash ends the run at once, reported unminimized.
func TestCrashWithoutRestart(t *testing.T) {
	m := startMutant(t, "dies-on-unknown-op", mutants.Options{})
	out := t.TempDir()
	res, err := Run(context.Background(), Config{
		Addr: m.Addr(), Seed: 7, MaxInputs: 2000, Duration: time.Minute, Timeout: time.Second, OutDir: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Stopped != "target-down" {
		t.Fatalf("%d findings, stopped %s", len(res.Findings), res.Stopped)
	}
	fd := res.Findings[0]
	if fd.Kind != KindCrash || fd.Minimized || !bytes.Equal(fd.Input, fd.Original) || fd.Step != res.Inputs {
		t.Fatalf("%+v after %d inputs", fd, res.Inputs)
	}
	checkReproducer(t, out, fd, m.Addr(), 7)

	// The report says the seed, the inputs tried and where the reproducers are.
	var text strings.Builder
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"seed 7, " + strconv.Itoa(res.Inputs) + " inputs", "FINDING " + fd.ID + ": crash", fd.InputHex,
		"replay: conform replay " + fd.Files.Finding, "reproducers saved under " + out} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := res.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Seed     int64  `json:"seed"`
		Inputs   int    `json:"inputs"`
		Stopped  string `json:"stopped"`
		Findings []struct {
			ID       string `json:"id"`
			Kind     Kind   `json:"kind"`
			InputHex string `json:"input_hex"`
			Files    *Files `json:"files"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Seed != 7 || back.Inputs != res.Inputs || back.Stopped != "target-down" || len(back.Findings) != 1 ||
		back.Findings[0].ID != fd.ID || back.Findings[0].InputHex != fd.InputHex || back.Findings[0].Files.Dir != fd.Files.Dir {
		t.Fatalf("JSON report:\n%s", js.String())
	}
}

// A run against a server that lives only as long as the run saves a placeholder in the replay
// command of finding.json, not the address that will be dead.
func TestReplayAddrIsSaved(t *testing.T) {
	m := startMutant(t, "unknown-op-1001", mutants.Options{})
	out := t.TempDir()
	res, err := Run(context.Background(), Config{
		Addr: m.Addr(), ReplayAddr: "HOST:PORT", Seed: 3, MaxInputs: 2000, Duration: time.Minute, Timeout: time.Second,
		MaxFindings: 1, ShrinkTries: 50, OutDir: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(res.Findings))
	}
	fd := res.Findings[0]
	checkReproducer(t, out, fd, "HOST:PORT", 3)
	if res.Addr != m.Addr() {
		t.Fatalf("Result.Addr %q, want the real address %q", res.Addr, m.Addr())
	}
}

// The same seed gives the same inputs; another seed others.
func TestGeneratorDeterministic(t *testing.T) {
	seeds, err := corpus()
	if err != nil {
		t.Fatal(err)
	}
	hashes := func(seed int64) [][32]byte {
		g := newGenerator(seed, seeds)
		var out [][32]byte
		for range 300 {
			out = append(out, g.next().Hash())
		}
		return out
	}
	a, b, c := hashes(42), hashes(42), hashes(43)
	same := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 42, input %d differs between two runs", i)
		}
		if a[i] == c[i] {
			same++
		}
	}
	if same > len(a)/10 {
		t.Fatalf("seeds 42 and 43 agree on %d of %d inputs", same, len(a))
	}
}

// Over a few thousand inputs every mutation and every way of delivery is drawn.
func TestGeneratorCoverage(t *testing.T) {
	seeds, err := corpus()
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(1, seeds)
	used := map[string]bool{}
	ends := map[End]bool{}
	split, drip, longest := false, false, 0
	for range 3000 {
		in := g.next()
		for _, m := range in.Mutations {
			used[m[:strings.IndexByte(m, '(')]] = true
		}
		ends[in.Delivery.End] = true
		if n := len(in.Delivery.Splits); n > 0 {
			if in.Delivery.Splits[0] == 1 && n > 1 && in.Delivery.Splits[1] == 2 {
				drip = true
			} else {
				split = true
			}
		}
		longest = max(longest, len(in.Bytes))
	}
	for _, m := range mutators {
		if !used[m.name] {
			t.Errorf("mutation %s never drawn", m.name)
		}
	}
	if len(ends) != 3 || !split || !drip || longest > maxInputLen {
		t.Fatalf("ends %v, split %v, drip %v, longest %d", ends, split, drip, longest)
	}
}

func TestDeliveryChunks(t *testing.T) {
	d := Delivery{Splits: []int{2, 2, 5, 9, 40}, Pause: time.Millisecond, End: EndStall}
	got := d.chunks([]byte("abcdefghij"))
	want := []string{"ab", "cde", "fghi", "j"}
	if len(got) != len(want) {
		t.Fatalf("chunks %q", got)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Fatalf("chunks %q, want %q", got, want)
		}
	}
	if c := d.clip(3); len(c.Splits) != 1 || c.Splits[0] != 2 || c.Pause != time.Millisecond {
		t.Fatalf("clip(3) = %+v", c)
	}
	if c := d.clip(2); len(c.Splits) != 0 || c.Pause != 0 || c.End != EndStall {
		t.Fatalf("clip(2) = %+v", c)
	}
}

func TestCorpusFile(t *testing.T) {
	in := []byte("\x00\x01\"\\\xff\n" + "LIST")
	got := CorpusFile(in)
	if !bytes.Equal(decodeCorpus(t, got), in) {
		t.Fatalf("%q does not decode to %q", got, in)
	}
	if want := "go test fuzz v1\n[]byte(\"\\x00\\x01\\\"\\\\\\xff\\nLIST\")\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestRunUnreachable(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	if _, err := Run(context.Background(), Config{Addr: addr, Timeout: time.Second}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("Run: %v, want ErrUnreachable", err)
	}
	in := Input{Bytes: listRequest(1)}
	if _, err := ReplayInput(context.Background(), addr, in, ReplayOptions{Timeout: time.Second}); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("ReplayInput: %v, want ErrUnreachable", err)
	}
}

func TestRunConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Addr: "no-port"},
		{Addr: "127.0.0.1:1", MaxInputs: -1},
		// A documentation address (RFC 5737): never dialed, refused as not loopback.
		{Addr: "192.0.2.1:1"},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
}

// ReplayInput judges a saved input against the reference server: a LIST of a fresh user is
// answered 1002 and nothing is wrong; an unknown op is answered 1003.
func TestReplayReference(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	for _, tc := range []struct {
		in, want string
	}{
		{"0b000000 01 ca", "01 ea03"},
		{"0b000000 01 07", "01 eb03"},
	} {
		rep, err := ReplayInput(context.Background(), srv.Addr, Input{Bytes: fakepeer.Hex(t, tc.in), Delivery: Delivery{Splits: []int{3}, Pause: time.Millisecond}}, ReplayOptions{Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Kind != "" || rep.Finding != nil || rep.Outcome != "answered" || rep.ResponseHex != hex.EncodeToString(fakepeer.Hex(t, tc.want)) {
			t.Fatalf("%s: %+v", tc.in, rep)
		}
	}
}
