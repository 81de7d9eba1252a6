package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// writeFile writes content to a file of the test's own folder and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// handReplay is a model replay file written by hand: a BACKUP and the RESTORE of it.
const handReplay = `{"schema": "fbp-model-replay/1", "mode": "sequential", "seed": 1, "users": 1,
 "steps": [{"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "68690a"}},
           {"user": "A", "op": "RESTORE", "name": "a"}]}`

// sharedUsageErrors are command lines of the tester sub that misuse the flags every tester
// has (testerFlags), each refused.
func sharedUsageErrors(sub string) [][]string {
	return [][]string{
		{sub, "-no-such-flag"}, {sub, "-format", "xml"}, {sub, "-timeout", "0s"}, {sub, "-deadline", "0s"},
		{sub, "-exec", "true"}, {sub, "-addr", "nowhere"}, {sub, "extra-argument"},
	}
}

// wantUsageErrors runs conform with each command line and wants exit 2 and the message of
// the subcommand (its first word).
func wantUsageErrors(t *testing.T, cmdlines ...[][]string) {
	t.Helper()
	for _, args := range slices.Concat(cmdlines...) {
		code, _, errs := conform(t, args...)
		if code != exitUsage || !strings.Contains(errs, "conform "+args[0]+": ") {
			t.Errorf("conform %q: exit %d, want 2\n%s", args, code, errs)
		}
	}
}

func TestSubcommandUsageErrorsExit2(t *testing.T) {
	replay := writeFile(t, "replay.json", handReplay)
	wantUsageErrors(t, sharedUsageErrors("model"), sharedUsageErrors("fuzz"), [][]string{
		{"model", "-users", "0"},
		{"model", "-users", "27"},
		{"model", "-names", "7"},
		{"model", "-steps", "0"},
		{"model", "-max-file", "2GiB"},
		{"model", "-max-file", "lots"},
		{"model", "-seed", "-1"},
		{"model", "-html", "x.html"},
		{"model", "-max-shrinks", "0"},
		{"model", "-max-shrinks", "-2"},
		{"fuzz", "-duration", "0s"},
		{"fuzz", "-max-inputs", "-3"},
		{"fuzz", "-max-size", "0"},
		{"fuzz", "-max-size", "4GiB"},
		{"fuzz", "-max-size", "many"},
		{"replay"},
		{"replay", replay, replay},
		{"replay", replay, "-no-such-flag"},
		{"replay", replay, "-format", "xml"},
		{"replay", replay, "-exec", "true"},
		{"replay", replay, "-seed", "3"},
		{"replay", filepath.Join(t.TempDir(), "missing.json")},
		{"replay", writeFile(t, "broken.json", `{"schema": `)},
		{"replay", writeFile(t, "other.json", `{"schema": "fbp-conformance/1"}`)},
		{"replay", writeFile(t, "neither.json", `{"steps": []}`)},
		{"replay", writeFile(t, "bad-step.json", strings.Replace(handReplay, `"RESTORE"`, `"RENAME"`, 1))},
		{"replay", writeFile(t, "corpus", "go test fuzz v1\nstring(\"x\")\n")},
		{"replay", writeFile(t, "empty.bin", "")},
	})
}

func TestSubcommandUnreachableExit3(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	replay := writeFile(t, "replay.json", handReplay)
	for _, args := range [][]string{
		{"model", "-seed", "5"},
		{"fuzz", "-seed", "5"},
		{"replay", replay},
		{"replay", writeFile(t, "input.bin", "\x00\x00\x00\x00\x01\xca")},
	} {
		code, _, errs := conform(t, append(args, "-addr", addr, "-timeout", "1s")...)
		if code != exitUnreachable || !strings.Contains(errs, "cannot reach "+addr) {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
		if args[0] != "replay" && firstLine(errs) != "conform "+args[0]+": seed 5" {
			t.Errorf("%q: the seed is not the first line: %q", args, errs)
		}
	}
	// An -exec command that cannot start names itself and the address it was given, which a
	// {port} command has no other way to tell.
	for _, sub := range [][]string{nil, {"doctor"}, {"fuzz"}, {"model"}, {"bench"}} {
		args := append(slices.Clone(sub), "-exec", "/nonexistent/fbp-server {port}", "-timeout", "1s")
		code, _, errs := conform(t, args...)
		if code != exitUnreachable || strings.Contains(errs, "cannot reach :") ||
			!strings.Contains(errs, `cannot reach the -exec server: starting "/nonexistent/fbp-server `) || !strings.Contains(errs, `" to listen on 127.0.0.1:`) {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
	// An -exec command that ends without listening: unreachable at the start too.
	code, _, errs := conform(t, "model", "-addr", addr, "-exec", "false", "-timeout", "1s", "-runs", "1")
	if code != exitUnreachable || !strings.Contains(errs, "cannot reach "+addr+": false exited before listening on "+addr+": the server process ended: exit status 1") {
		t.Errorf("-exec sleep: exit %d, stderr %q", code, errs)
	}
}

// A model replay file written by hand runs and passes the reference server; as JSON the
// report says so.
func TestReplayHandWrittenModelFileJSON(t *testing.T) {
	replay := writeFile(t, "replay.json", handReplay)
	out, errs := conformExit(t, exitPass, "replay", replay, "-format", "json")
	var rep replayReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Schema != ReplaySchema || rep.Kind != "model" || rep.Verdict != "pass" || len(rep.Findings) != 0 || rep.Requests != 2 || len(rep.Script) != 2 ||
		!strings.Contains(rep.Script[1], `RESTORE "a" -> 210 "a" (3 bytes)`) || !rep.BuiltIn {
		t.Fatalf("report %+v", rep)
	}
	if !strings.Contains(errs, "passes") {
		t.Errorf("stderr lacks the verdict: %q", errs)
	}
}

func TestReplayStillFailingJSON(t *testing.T) {
	addr := startMutant(t, "overwrite-appends")
	// The second BACKUP replaces the first: a RESTORE must give "b" alone.
	replay := writeFile(t, "replay.json", `{"schema": "fbp-model-replay/1", "mode": "sequential", "seed": 1, "users": 1,
 "steps": [{"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "61"}},
           {"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "62"}},
           {"user": "A", "op": "RESTORE", "name": "a"}]}`)
	path := filepath.Join(t.TempDir(), "out.json")
	code, out, errs := conform(t, "replay", replay, "-addr", addr, "-format", "json", "-o", path)
	if code != exitFail || out != "" || !strings.Contains(errs, "still fails") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	var rep replayReport
	readJSON(t, path, &rep)
	if rep.Verdict != "fail" || len(rep.Findings) != 1 || rep.Findings[0].Step != 3 || rep.Findings[0].Requirement != "R-4.1" ||
		rep.Findings[0].Exchange == nil || len(rep.Problems) != 1 || rep.Problems[0].Requirement != "R-4.1" || rep.Target != addr {
		t.Fatalf("report %+v", rep)
	}
}

// An interrupted run is not a pass: exit 1, the verdict incomplete, and the report covers
// what ran.
func TestSubcommandInterruptedExit1(t *testing.T) {
	peer := countingProxy(t, servertest.Start(t, server.Config{}).Addr)
	replay := writeFile(t, "replay.json", `{"schema": "fbp-model-replay/1", "mode": "concurrent", "seed": 1, "users": 1, "rounds": 100000,
 "clients": [[{"user": "A", "op": "BACKUP", "name": "a", "payload": {"hex": "61"}}, {"user": "A", "op": "LIST"}],
             [{"user": "A", "op": "RESTORE", "name": "a"}]]}`)
	for _, args := range [][]string{
		{"model", "-addr", peer.Addr, "-runs", "2000", "-steps", "10", "-seed", "2"},
		{"fuzz", "-addr", peer.Addr, "-max-inputs", "100000000", "-duration", "10m", "-seed", "2", "-out", t.TempDir()},
		{"replay", replay, "-addr", peer.Addr},
		{"bench", "-addr", peer.Addr, "-clients", "2", "-duration", "10m", "-warmup", "0s", "-rounds", "1", "-seed", "2"},
	} {
		for _, format := range []string{"text", "json"} {
			ctx, cancel := context.WithCancel(context.Background())
			underway := peer.afterAccepts(20)
			go func() {
				// Cancel once the run is under way, as Ctrl-C does.
				<-underway
				cancel()
			}()
			var out, errb bytes.Buffer
			code := run(ctx, append(args, "-format", format), &out, &errb)
			cancel()
			if code != exitFail {
				t.Errorf("%q -format %s: exit %d\n%s\n%s", args, format, code, out.String(), errb.String())
				continue
			}
			if format == "text" {
				seeded := args[0] == "model" || args[0] == "fuzz"
				if !strings.Contains(out.String(), "INCOMPLETE") || seeded && firstLine(out.String()) != "seed 2" {
					t.Errorf("%q: the text does not say the run is incomplete:\n%s\n%s", args, out.String(), errb.String())
				}
				continue
			}
			var head struct {
				Verdict     string            `json:"verdict"`
				Interrupted bool              `json:"interrupted"`
				Problems    []json.RawMessage `json:"problems"`
			}
			if err := json.Unmarshal(out.Bytes(), &head); err != nil || head.Verdict != "incomplete" || !head.Interrupted || head.Problems == nil {
				t.Errorf("%q: verdict %q, interrupted %v, problems %v (%v)\n%s", args, head.Verdict, head.Interrupted, head.Problems, err, out.String())
			}
		}
	}
}

// proxy passes every connection to a server untouched, half-closes included, and counts them:
// a test waits for a run to be under way by its connections.
type proxy struct {
	Addr     string
	mu       sync.Mutex
	accepted int
	waits    map[int][]chan struct{}
}

func countingProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &proxy{Addr: ln.Addr().String(), waits: map[int][]chan struct{}{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.accepted++
			for n, chs := range p.waits {
				if p.accepted >= n {
					for _, ch := range chs {
						close(ch)
					}
					delete(p.waits, n)
				}
			}
			p.mu.Unlock()
			go splice(c, target)
		}
	}()
	return p
}

// afterAccepts is closed once n more connections than now have been accepted.
func (p *proxy) afterAccepts(n int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{})
	p.waits[p.accepted+n] = append(p.waits[p.accepted+n], ch)
	return ch
}

func splice(c net.Conn, target string) {
	defer c.Close()
	up, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(up, c)
		_ = up.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(c, up)
	_ = c.(*net.TCPConn).CloseWrite()
	// A client that holds its end past the server's close is cut off.
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	<-done
}
