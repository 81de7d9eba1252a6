package model

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/wire"
)

// testConfig is the bounded run the tests use: short sequences, few runs, small payloads.
func testConfig(t testing.TB, addr string, seed int64) Config {
	return Config{Addr: addr, Seed: seed, Steps: 16, Runs: 60, Users: 2, Names: 3, MaxPayload: 8 << 10,
		Timeout: 2 * time.Second, Log: testLog(t)}
}

// concurrentConfig is a bounded concurrent run: one user, two names, payloads of several
// 4 KiB chunks so that torn-overwrite's in-place write stays half done for a while.
func concurrentConfig(t testing.TB, addr string, seed int64) Config {
	return Config{Addr: addr, Seed: seed, Steps: 6, Runs: 30, Users: 1, Names: 2, MaxPayload: 32 << 10,
		Timeout: 2 * time.Second, Concurrent: true, Clients: 3, MaxShrinks: 60, ShrinkTime: 2 * time.Second, Log: testLog(t)}
}

// testLog shows the run's log lines with -v.
func testLog(t testing.TB) io.Writer {
	if testing.Verbose() {
		return &tbWriter{t: t}
	}
	return nil
}

type tbWriter struct{ t testing.TB }

func (w *tbWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startMutant(t testing.TB, name string) string {
	return mutants.StartTB(t, name, mutants.Options{})
}

func run(t testing.TB, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Seed != cfg.Seed {
		t.Fatalf("Result.Seed %d, want %d", res.Seed, cfg.Seed)
	}
	return res
}

func TestNamePoolIsValid(t *testing.T) {
	var long, spaced bool
	for _, n := range namePool {
		if err := wire.CheckName([]byte(n), wire.DefaultMaxName); err != nil {
			t.Errorf("%q: %v", n, err)
		}
		long = long || len(n) == wire.DefaultMaxName
		spaced = spaced || strings.Contains(n, " ") && strings.Count(n, ".") > 1
	}
	if !long || !spaced {
		t.Errorf("pool lacks a name of %d bytes (%v) or one with spaces and dots (%v)", wire.DefaultMaxName, long, spaced)
	}
	if len(namePool) != MaxNames || len(slices.Compact(slices.Sorted(slices.Values(namePool)))) != MaxNames {
		t.Errorf("pool of %d names, %d distinct wanted", len(namePool), MaxNames)
	}
}

func TestFormatScript(t *testing.T) {
	steps := []Step{
		{User: 0, Op: wire.OpBackup, Name: "f1", Content: content.Drawn(5, 1), Got: `212 "f1"`},
		{User: 1, Op: wire.OpRestore, Name: namePool[3], Got: `1001 "long-0123456789012345678901234567890123456789012345678901234567890123456"…(255 bytes)`},
		{User: 0, Op: wire.OpList, Got: `211 ["f1"]`},
		{User: 0, Op: wire.OpDelete, Name: "f1", Got: `212 "f1"`},
		{User: 0, Op: wire.OpList, Got: `211 ["f1"]`, Want: "1002", Requirement: "R-4.4"},
	}
	want := `1. user A BACKUP "f1" (5 bytes) -> 212 "f1"
2. user B RESTORE "long-0123456789012345678901234567890123456789012345678901234567890123456"…(255 bytes) -> 1001 "long-0123456789012345678901234567890123456789012345678901234567890123456"…(255 bytes)
3. user A LIST -> 211 ["f1"]
4. user A DELETE "f1" -> 212 "f1"
5. user A LIST -> 211 ["f1"]   want 1002   [R-4.4]
`
	if got := FormatScript(steps); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Addr: "127.0.0.1:1", Users: MaxUsers + 1},
		{Addr: "127.0.0.1:1", Names: MaxNames + 1},
		{Addr: "127.0.0.1:1", MaxPayload: MaxPayloadLimit + 1},
		{Addr: "127.0.0.1:1", Steps: -1},
	} {
		if _, err := Run(context.Background(), cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("Run(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

// TestReferenceServerPasses: the model finds nothing on the reference server, sequential or
// concurrent.
func TestReferenceServerPasses(t *testing.T) {
	t.Parallel()
	ref := servertest.Start(t, server.Config{})
	cfg := testConfig(t, ref.Addr, 1)
	cfg.Runs = 40
	res := run(t, cfg)
	if res.Failed || res.Runs != 40 || res.Requests < 40*8 {
		t.Fatalf("sequential: failed=%v runs=%d requests=%d\n%s%v", res.Failed, res.Runs, res.Requests, FormatScript(res.Script), res.Failure)
	}
	cfg = concurrentConfig(t, ref.Addr, 1)
	cfg.Runs = 20
	res = run(t, cfg)
	if res.Failed || res.Runs != 20 || res.Requests != 20*3*6 {
		t.Fatalf("concurrent: failed=%v runs=%d requests=%d\n%v", res.Failed, res.Runs, res.Requests, res.Failure)
	}
}

// TestFaultFreeMutantPasses: the zoo's fault-free server passes too, so a mutant that fails
// fails for its fault; so do the mutants whose deviation the spec allows (a listing in
// "\r\n" or without its final newline, a close after every response).
func TestFaultFreeMutantPasses(t *testing.T) {
	t.Parallel()
	addr := startMutant(t, "none")
	if res := run(t, testConfig(t, addr, 2)); res.Failed {
		t.Fatalf("sequential:\n%s%v", FormatScript(res.Script), res.Failure)
	}
	if res := run(t, concurrentConfig(t, addr, 2)); res.Failed {
		t.Fatalf("concurrent:\n%v", res.Failure)
	}
	allowed := 0
	for _, m := range mutants.All() {
		if !m.Allowed {
			continue
		}
		allowed++
		cfg := testConfig(t, startMutant(t, m.Name), 2)
		cfg.Runs = 20
		if res := run(t, cfg); res.Failed {
			t.Errorf("%s (allowed):\n%s%v", m.Name, FormatScript(res.Script), res.Failure)
		}
	}
	if allowed == 0 {
		t.Fatal("the zoo lists no allowed variation")
	}
}

// statefulMutants are the faults only a sequence of requests shows, and the requirements the
// shrunk failure may name.
var statefulMutants = []struct {
	name         string
	requirements []string
}{
	{"list-stale-after-delete", []string{"R-4.4"}},
	{"overwrite-appends", []string{"R-4.1"}},
	// A file DELETE kept shows to a second DELETE, a RESTORE or a LIST.
	{"delete-ignored", []string{"R-4.3", "R-4.4"}},
	{"list-shows-listing", []string{"R-4.4"}},
}

// maxShrunkSteps is what a shrunk sequential failure of a stateful mutant may hold: the
// longest of them needs a BACKUP, a LIST, a DELETE and a second LIST.
const maxShrunkSteps = 4

func TestFindsStatefulMutants(t *testing.T) {
	t.Parallel()
	for _, m := range statefulMutants {
		t.Run(m.name, func(t *testing.T) {
			res := run(t, testConfig(t, startMutant(t, m.name), 3))
			if !res.Failed {
				t.Fatalf("not found in %d sequences, %d requests", res.Runs, res.Requests)
			}
			t.Logf("found after %d sequences (%v), shrunk from %d to %d steps in %d runs:\n%s%v",
				res.Runs, res.FoundAfter, res.OriginalSteps, len(res.Script), res.ShrinkRuns, FormatScript(res.Script), res.Failure)
			checkSequentialFailure(t, res, m.requirements)
		})
	}
}

func checkSequentialFailure(t *testing.T, res *Result, requirements []string) {
	t.Helper()
	n := len(res.Script)
	if n == 0 || n > maxShrunkSteps || n > res.OriginalSteps {
		t.Fatalf("shrunk script has %d steps (from %d), want 1 to %d", n, res.OriginalSteps, maxShrunkSteps)
	}
	f := res.Failure
	last := res.Script[n-1]
	if f.Step != n-1 || last.Want == "" || last.Want != f.Expected || last.Got != f.Actual || last.Requirement != string(f.Requirement) {
		t.Fatalf("the failure (step %d, want %q) is not the script's last step %+v", f.Step+1, f.Expected, last)
	}
	if !slices.Contains(requirements, string(f.Requirement)) {
		t.Fatalf("failure names %s, want one of %v", f.Requirement, requirements)
	}
	if len(f.Raw) < wire.ResponsePrefixLen {
		t.Fatalf("failure keeps %d bytes of the response", len(f.Raw))
	}
	// The finding, as every tester reports one: a check, where, and the exchange's bytes.
	if f.Check == "" || f.Detail == "" || f.Where != fmt.Sprintf("step %d", n) || f.Exchange == nil ||
		f.Exchange.Sent.Total < wire.RequestPrefixLen || !bytes.HasPrefix(f.Raw, f.Exchange.Received.Head) || f.Exchange.Label != last.Request() {
		t.Fatalf("finding %+v: want a check, the step and the exchange's bytes", f.Finding)
	}
	for i, s := range res.Script[:n-1] {
		if s.Got == "" || s.Want != "" {
			t.Fatalf("step %d before the failure: got %q, want %q", i+1, s.Got, s.Want)
		}
	}
	if res.Script[0].User != 0 {
		t.Fatalf("script starts with user %s, want A", UserLabel(res.Script[0].User))
	}
	if res.Replay == nil || len(res.Replay.Steps) != n || res.Replay.Requirement != string(f.Requirement) {
		t.Fatalf("replay %+v does not match the script", res.Replay)
	}
}

// TestSeedReproducesTheRun: the same seed draws the same sequences and so finds and shrinks
// to the same script; the users, drawn afresh, do not matter.
func TestSeedReproducesTheRun(t *testing.T) {
	t.Parallel()
	addr := startMutant(t, "overwrite-appends")
	a := run(t, testConfig(t, addr, 11))
	b := run(t, testConfig(t, addr, 11))
	if !a.Failed || a.Runs != b.Runs || a.OriginalSteps != b.OriginalSteps || FormatScript(a.Script) != FormatScript(b.Script) {
		t.Fatalf("runs differ:\n%d runs, %d steps\n%s\n%d runs, %d steps\n%s", a.Runs, a.OriginalSteps, FormatScript(a.Script),
			b.Runs, b.OriginalSteps, FormatScript(b.Script))
	}
	cfg := testConfig(t, addr, 0)
	cfg.Runs = 1
	if c := run(t, withSeed(cfg)); c.Seed == 0 {
		t.Fatal("a run without a seed does not report the one it drew")
	}
}

// withSeed lets run compare the seed it reports: Run draws it when cfg.Seed is 0.
func withSeed(cfg Config) Config {
	c, err := cfg.withDefaults()
	if err != nil {
		panic(err)
	}
	cfg.Seed = c.Seed
	return cfg
}

func TestShrinkingOff(t *testing.T) {
	cfg := testConfig(t, startMutant(t, "overwrite-appends"), 3)
	cfg.MaxShrinks = -1
	res := run(t, cfg)
	if !res.Failed || res.ShrinkRuns != 0 || res.Failure.Step+1 != len(res.Script) || res.Failure.Step+1 > res.OriginalSteps {
		t.Fatalf("failed=%v, %d shrink runs, failing step %d of %d", res.Failed, res.ShrinkRuns, res.Failure.Step+1, res.OriginalSteps)
	}
}

// TestReplayFile: a failure's replay file reads back to the same steps, fails again on the
// mutant that produced it and passes the reference server.
func TestReplayFile(t *testing.T) {
	t.Parallel()
	addr := startMutant(t, "list-stale-after-delete")
	res := run(t, testConfig(t, addr, 5))
	if !res.Failed {
		t.Fatal("not found")
	}
	var file bytes.Buffer
	if err := WriteReplay(&file, res.Replay); err != nil {
		t.Fatal(err)
	}
	t.Logf("replay file:\n%s", file.String())
	if file.Len() > 4<<10 {
		t.Fatalf("replay file of %d bytes for %d steps", file.Len(), len(res.Script))
	}
	rf, err := ReadReplay(bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if rf.Mode != ModeSequential || rf.Seed != res.Seed || rf.Users != 2 || !slices.EqualFunc(rf.Steps, inputs(res.Script), sameStep) {
		t.Fatalf("read back %+v", rf)
	}

	again, err := Replay(context.Background(), addr, rf, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Failed || FormatScript(again.Script) != FormatScript(res.Script) {
		t.Fatalf("replay on the mutant:\n%s\nwant\n%s", FormatScript(again.Script), FormatScript(res.Script))
	}

	ref := servertest.Start(t, server.Config{})
	clean, err := Replay(context.Background(), ref.Addr, rf, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if clean.Failed || len(clean.Script) != len(rf.Steps) {
		t.Fatalf("replay on the reference server:\n%s%v", FormatScript(clean.Script), clean.Failure)
	}
}

func sameStep(a, b Step) bool {
	return a.User == b.User && a.Op == b.Op && a.Name == b.Name && a.Content.N == b.Content.N &&
		a.Content.Seed == b.Content.Seed && bytes.Equal(a.Content.Literal, b.Content.Literal)
}

// TestReplayWrittenByHand: a replay with literal payloads, as a person writes one.
func TestReplayWrittenByHand(t *testing.T) {
	const file = `{
  "schema": "fbp-model-replay/1", "mode": "sequential", "seed": 0, "users": 1,
  "steps": [
    {"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "6f6c64"}},
    {"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "6e6577"}},
    {"user": "A", "op": "RESTORE", "name": "a"}
  ]
}`
	rf, err := ReadReplay(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Replay(context.Background(), startMutant(t, "overwrite-appends"), rf, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want := `1. user A BACKUP "a" (3 bytes) -> 212 "a"
2. user A BACKUP "a" (3 bytes) -> 212 "a"
3. user A RESTORE "a" -> 210 "a" (6 bytes)   want 210 "a" (3 bytes)   [R-4.1]
`
	if !res.Failed || FormatScript(res.Script) != want {
		t.Fatalf("got\n%s\nwant\n%s", FormatScript(res.Script), want)
	}
	// "old" then "new": the appended content is "oldnew".
	if !bytes.HasSuffix(res.Failure.Raw, []byte("\x06\x00\x00\x00oldnew")) {
		t.Fatalf("raw response % x", res.Failure.Raw)
	}
}

func TestReadReplayRejects(t *testing.T) {
	step := func(s string) string {
		return `{"schema": "fbp-model-replay/1", "mode": "sequential", "users": 1, "steps": [` + s + `]}`
	}
	for _, bad := range []string{
		`{"schema": "fbp-model-replay/2", "mode": "sequential", "users": 1, "steps": [{"user": "A", "op": "LIST"}]}`,
		`{"schema": "fbp-model-replay/1", "mode": "parallel", "users": 1, "steps": [{"user": "A", "op": "LIST"}]}`,
		`{"schema": "fbp-model-replay/1", "mode": "sequential", "users": 1, "steps": []}`,
		`{"schema": "fbp-model-replay/1", "mode": "sequential", "users": 1, "extra": 1, "steps": [{"user": "A", "op": "LIST"}]}`,
		step(`{"user": "B", "op": "LIST"}`),
		step(`{"user": "a", "op": "LIST"}`),
		step(`{"user": "A", "op": "FETCH", "name": "a"}`),
		step(`{"user": "A", "op": "LIST", "name": "a"}`),
		step(`{"user": "A", "op": "RESTORE", "name": "../b"}`),
		step(`{"user": "A", "op": "RESTORE", "name": ""}`),
		step(`{"user": "A", "op": "RESTORE", "name": "a", "payload": {"hex": "00"}}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a"}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "0g"}}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "00", "len": 1, "seed": 1}}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"len": 1}}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"len": -1, "seed": 1}}`),
		step(`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"len": 2000000000, "seed": 1}}`),
	} {
		if _, err := ReadReplay(strings.NewReader(bad)); !errors.Is(err, ErrReplay) && !errors.Is(err, wire.ErrBadName) {
			t.Errorf("ReadReplay(%s) = %v, want ErrReplay", bad, err)
		}
	}
}

// TestEachSequenceHasFreshUsers: every sequence, shrink attempts included, uses users no other
// sequence used, so that what one left on the server cannot make another pass or fail.
func TestEachSequenceHasFreshUsers(t *testing.T) {
	var mu sync.Mutex
	seen := map[uint32]bool{}
	addr := recordingProxy(t, startMutant(t, "delete-ignored"), func(user uint32) {
		mu.Lock()
		seen[user] = true
		mu.Unlock()
	})
	cfg := testConfig(t, addr, 3)
	cfg.Users = 1
	res := run(t, cfg)
	if !res.Failed || res.ShrinkRuns == 0 {
		t.Fatalf("failed=%v shrink runs=%d: the test needs a shrunk failure", res.Failed, res.ShrinkRuns)
	}
	mu.Lock()
	defer mu.Unlock()
	// With one user a sequence, each sequence sends its first request for a user of its own.
	if len(seen) != res.Runs+res.ShrinkRuns {
		t.Fatalf("%d distinct users in %d sequences", len(seen), res.Runs+res.ShrinkRuns)
	}
}

// recordingProxy forwards connections to addr and reports each request's user_id.
func recordingProxy(t *testing.T, addr string, record func(uint32)) string {
	return fakepeer.Start(t, fakepeer.ReadHeader(), fakepeer.Func(func(c *fakepeer.Conn) error {
		record(c.Req.UserID)
		return nil
	}), fakepeer.Forward(addr)).Addr
}

// errCrashed ends the script of the connection a crashingProxy dies on.
var errCrashed = errors.New("crashed")

// crashingProxy forwards connections to addr until it sees a DELETE of a file it passed a
// BACKUP of: it then closes that connection unanswered and stops listening, as a server does
// that crashes on a fault of its state.
func crashingProxy(t *testing.T, addr string) string {
	var mu sync.Mutex
	backedUp := map[string]bool{}
	return fakepeer.Start(t, fakepeer.ReadHeader(), fakepeer.Func(func(c *fakepeer.Conn) error {
		key := fmt.Sprintf("%d/%s", c.Req.UserID, c.Req.Name)
		mu.Lock()
		crash := c.Req.Op == wire.OpDelete && backedUp[key]
		backedUp[key] = backedUp[key] || c.Req.Op == wire.OpBackup
		mu.Unlock()
		if crash {
			c.Peer().Stop()
			return errCrashed
		}
		return nil
	}), fakepeer.Forward(addr)).Addr
}

// TestHostileSizesAreNotRead: a server that states a 4 GiB restore or listing is not read
// from; the failure says what it stated.
func TestHostileSizesAreNotRead(t *testing.T) {
	addr := fakeServer(t, func(h *wire.RequestHeader) []byte {
		switch h.Op {
		case wire.OpBackup:
			return (&wire.Response{Version: 1, Status: wire.StatusOK, Name: h.Name}).Append(nil)
		case wire.OpRestore:
			rh := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: h.Name, Size: 1<<32 - 1}
			return rh.Append(nil)
		}
		rh := wire.ResponseHeader{Version: 1, Status: wire.StatusListed, Name: []byte(strings.Repeat("x", 32)), Size: 1<<32 - 1}
		return rh.Append(nil)
	})
	for _, tc := range []struct {
		steps string
		want  string
	}{
		{`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"len": 10, "seed": 1}}, {"user": "A", "op": "RESTORE", "name": "a"}`,
			"content of 4294967295 bytes, want 10"},
		{`{"user": "A", "op": "BACKUP", "name": "a", "payload": {"len": 10, "seed": 1}}, {"user": "A", "op": "LIST"}`,
			"listing of 4294967295 bytes, longer than any correct one"},
	} {
		rf, err := ReadReplay(strings.NewReader(`{"schema": "fbp-model-replay/1", "mode": "sequential", "users": 1, "steps": [` + tc.steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Replay(context.Background(), addr, rf, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Failed || res.Failure.Detail != tc.want {
			t.Fatalf("failure %v, want %q", res.Failure, tc.want)
		}
	}
}

// fakeServer answers each request on its own connection with the bytes answer gives, then
// holds the connection open: a reader that trusted a stated size would wait.
func fakeServer(t *testing.T, answer func(*wire.RequestHeader) []byte) string {
	return fakepeer.Start(t, fakepeer.ReadRequest(), fakepeer.Answer(answer), fakepeer.Hold()).Addr
}

// TestUnreachableServerFails: no server is a failure of the first step, not a hang.
func TestUnreachableServerFails(t *testing.T) {
	cfg := testConfig(t, fakepeer.ClosedAddr(t), 1)
	res := run(t, cfg)
	if !res.Failed || len(res.Script) != 1 || !strings.HasPrefix(res.Failure.Detail, "no response: dial") {
		t.Fatalf("failed=%v\n%s%v", res.Failed, FormatScript(res.Script), res.Failure)
	}
}

func TestCancelledRunStops(t *testing.T) {
	ref := servertest.Start(t, server.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cfg := range []Config{testConfig(t, ref.Addr, 1), concurrentConfig(t, ref.Addr, 1)} {
		res, err := Run(ctx, cfg)
		if !errors.Is(err, context.Canceled) || res == nil || res.Failed {
			t.Fatalf("Run with a cancelled context: %+v, %v", res, err)
		}
	}
}

// TestCancelledRunEndsPromptly: a run with far more runs than it could ever do ends soon after
// its context is cancelled, in both modes.
func TestCancelledRunEndsPromptly(t *testing.T) {
	ref := servertest.Start(t, server.Config{})
	// The run reaches the server through a peer that counts its connections, so that the
	// cancel comes once the run is under way, however slow the machine.
	peer := fakepeer.Start(t, fakepeer.ReadHeader(), fakepeer.Forward(ref.Addr))
	for _, cfg := range []Config{testConfig(t, peer.Addr, 1), concurrentConfig(t, peer.Addr, 1)} {
		cfg.Runs = 1 << 30
		ctx, cancel := context.WithCancel(context.Background())
		type ended struct {
			res *Result
			err error
		}
		done := make(chan ended, 1)
		go func() {
			res, err := Run(ctx, cfg)
			done <- ended{res, err}
		}()
		<-peer.AfterAccepts(peer.Accepted() + 20)
		cancel()
		// A run that does not end is caught by the test binary's own timeout.
		e := <-done
		if !errors.Is(e.err, context.Canceled) || e.res == nil || e.res.Runs == 0 || e.res.Failed {
			t.Fatalf("concurrent=%v: Run after a cancel: %+v, %v", cfg.Concurrent, e.res, e.err)
		}
	}
}

// TestRestartKeepsShrinkingAgainstALiveServer: a server that crashes on the DELETE of a file
// it stored fails that step. With Restart, every shrink attempt meets a live server again, and
// the failure shrinks to the BACKUP and the DELETE that kill it; without, every attempt after
// the crash fails at its first step, refused, and the script shrinks to that one step.
func TestRestartKeepsShrinkingAgainstALiveServer(t *testing.T) {
	ref := servertest.Start(t, server.Config{})
	cfg := testConfig(t, crashingProxy(t, ref.Addr), 1)
	restarts := 0
	cfg.Restart = func(context.Context) (string, error) {
		restarts++
		return crashingProxy(t, ref.Addr), nil
	}
	res := run(t, cfg)
	if !res.Failed || len(res.Script) != 2 || res.Script[0].Op != wire.OpBackup || res.Script[1].Op != wire.OpDelete ||
		!strings.HasPrefix(res.Failure.Detail, "no response: read response") {
		t.Fatalf("with Restart: failed=%v, %d steps:\n%s%v", res.Failed, len(res.Script), FormatScript(res.Script), res.Failure)
	}
	if res.Restarts == 0 || res.Restarts != restarts || res.ShrinkRuns == 0 {
		t.Fatalf("Result.Restarts %d, Restart called %d times, %d shrink runs", res.Restarts, restarts, res.ShrinkRuns)
	}

	cfg = testConfig(t, crashingProxy(t, ref.Addr), 1)
	res = run(t, cfg)
	if !res.Failed || len(res.Script) != 1 || !strings.HasPrefix(res.Failure.Detail, "no response: dial") || res.Restarts != 0 {
		t.Fatalf("without Restart: failed=%v, %d steps, %d restarts:\n%s%v", res.Failed, len(res.Script), res.Restarts, FormatScript(res.Script), res.Failure)
	}
}

// TestConcurrentFindsTornOverwrite: concurrent clients find the restore that saw half an
// overwrite, shrink the round, and the replay file fails again on the mutant and passes the
// reference server.
func TestConcurrentFindsTornOverwrite(t *testing.T) {
	t.Parallel()
	addr := startMutant(t, "torn-overwrite")
	res := run(t, concurrentConfig(t, addr, 7))
	if !res.Failed {
		t.Fatalf("not found in %d rounds", res.Runs)
	}
	t.Logf("found in round %d (%v), shrunk from %d to %d steps in %d rounds:\n%s%v",
		res.Runs, res.FoundAfter, res.OriginalSteps, len(res.Script), res.ShrinkRuns, FormatScript(res.Script), res.Failure)
	torn := slices.ContainsFunc(res.Script, func(s Step) bool { return strings.HasSuffix(s.Got, "matching no version ever written") })
	if !torn || res.Failure.Requirement != spec.R4_1 || len(res.Failure.History) != len(res.Script) {
		t.Fatalf("failure does not show the torn restore: %v", res.Failure)
	}
	// The finding, as every tester reports one: the torn RESTORE's exchange, and where.
	if f := res.Failure; f.Check != checkLinearizable || f.Exchange == nil || !bytes.HasPrefix(f.Raw, f.Exchange.Received.Head) ||
		!strings.HasSuffix(f.Where, fmt.Sprintf(", step %d of the failing round's history", f.Step+1)) {
		t.Fatalf("finding %+v", f.Finding)
	}
	if got := res.Script[res.Failure.Step].Got; !strings.HasSuffix(got, "matching no version ever written") || len(res.Failure.Raw) == 0 {
		t.Fatalf("failure points at step %d, %q (%d raw bytes), not the torn restore", res.Failure.Step+1, got, len(res.Failure.Raw))
	}
	if len(res.Script) > res.OriginalSteps || res.Replay == nil || res.Replay.Mode != ModeConcurrent {
		t.Fatalf("shrunk to %d of %d steps, replay %+v", len(res.Script), res.OriginalSteps, res.Replay)
	}

	var file bytes.Buffer
	if err := WriteReplay(&file, res.Replay); err != nil {
		t.Fatal(err)
	}
	rf, err := ReadReplay(&file)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Replay(context.Background(), addr, rf, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Failed {
		t.Fatalf("replay passed the mutant in %d rounds", again.Runs)
	}
	ref := servertest.Start(t, server.Config{})
	rf.Rounds = 10
	clean, err := Replay(context.Background(), ref.Addr, rf, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if clean.Failed || clean.Runs != 10 {
		t.Fatalf("replay on the reference server: %d rounds\n%v", clean.Runs, clean.Failure)
	}
}

// TestConcurrentVisualization: a non-linearizable history is written as porcupine's HTML view.
func TestConcurrentVisualization(t *testing.T) {
	t.Parallel()
	var html bytes.Buffer
	cfg := concurrentConfig(t, startMutant(t, "torn-overwrite"), 7)
	cfg.Visualization, cfg.MaxShrinks = &html, -1
	res := run(t, cfg)
	if !res.Failed || res.ShrinkRuns != 0 || len(res.Script) != res.OriginalSteps {
		t.Fatalf("failed=%v, %d shrink rounds, %d of %d steps: want a failure, not shrunk", res.Failed, res.ShrinkRuns, len(res.Script), res.OriginalSteps)
	}
	if !bytes.Contains(html.Bytes(), []byte("<html")) {
		t.Fatalf("visualization of %d bytes is not HTML", html.Len())
	}
}
