package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/ref/wire"
)

// asMain makes the test binary run the command itself, so that exit statuses are real.
const asMain = "MUTANTSERVER_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const wait = 10 * time.Second

// startCommand runs the command with args and returns its address once it says it listens.
func startCommand(t *testing.T, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asMain+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
		if !ok {
			_ = cmd.Process.Kill()
			_ = cmd.Wait() // stderr is complete, and no longer written, once Wait returns
			t.Fatalf("first line %q, stderr %q", line, stderr.String())
		}
		return cmd, addr, &stderr
	case <-time.After(wait):
		t.Fatal("no \"listening on\" line")
	}
	return nil, "", nil
}

// exchange sends req on a new connection, half-closes it and returns everything until close.
func exchange(t *testing.T, addr string, req []byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatal(err)
	}
	return got
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode()
	case <-time.After(wait):
		t.Fatal("the process did not exit")
	}
	return -1
}

var listReq = (&wire.Request{UserID: 1, Version: 1, Op: wire.OpList}).Append(nil)

// servesThenStops checks that the command serves a LIST and exits with status 0 on an
// interrupt.
func servesThenStops(t *testing.T, cmd *exec.Cmd, addr string, stderr *bytes.Buffer) {
	t.Helper()
	if got := exchange(t, addr, listReq); !bytes.Equal(got, []byte{0x01, 0xea, 0x03}) {
		t.Fatalf("LIST of a new user: %x, want 01ea03", got)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd); code != 0 {
		t.Fatalf("exit status %d after an interrupt, stderr %q", code, stderr)
	}
}

func TestServesAndStopsOnInterrupt(t *testing.T) {
	cmd, addr, stderr := startCommand(t, "-fault", "none", "-addr", "127.0.0.1:0")
	servesThenStops(t, cmd, addr, stderr)
}

// -fault takes one mutant, or several whose faults it combines.
func TestFaultFlagSelectsTheMutant(t *testing.T) {
	for fault, want := range map[string][]byte{
		"version-zero":                   {0x00, 0xea, 0x03},
		"version-zero,status-big-endian": {0x00, 0x03, 0xea},
	} {
		cmd, addr, _ := startCommand(t, "-fault", fault)
		if got := exchange(t, addr, listReq); !bytes.Equal(got, want) {
			t.Errorf("%s: LIST answered %x, want %x", fault, got, want)
		}
		_ = cmd.Process.Signal(os.Interrupt)
		exitCode(t, cmd)
	}
}

func TestDiesWithStatusTwo(t *testing.T) {
	for fault, req := range map[string][]byte{
		"dies-on-unknown-op": (&wire.RawRequest{UserID: 1, Version: 1, Op: 99}).Append(nil),
		// A bare connect and close, as a supervisor's probe of the port does.
		"dies-on-connect-close": nil,
	} {
		cmd, addr, stderr := startCommand(t, "-fault", fault)
		if got := exchange(t, addr, req); len(got) != 0 {
			t.Errorf("%s: %x answered %x; the mutant dies without a word", fault, req, got)
		}
		if code := exitCode(t, cmd); code != 2 {
			t.Errorf("%s: exit status %d, want 2; stderr %q", fault, code, stderr)
		}
	}
}

// The first starts fail as a bind to a port in TIME_WAIT does; the next one serves.
func TestFailStartsThenServes(t *testing.T) {
	state := filepath.Join(t.TempDir(), "starts")
	args := []string{"-fail-starts", "2", "-state", state, "-addr", "127.0.0.1:0"}
	for i := range 2 {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "listen tcp 127.0.0.1:0: bind: address already in use") {
			t.Fatalf("start %d: exit %d, stdout %q, stderr %q; want a failed bind", i+1, code, out.String(), errb.String())
		}
	}
	cmd, addr, stderr := startCommand(t, args...)
	servesThenStops(t, cmd, addr, stderr)
	if b, err := os.ReadFile(state); err != nil || string(b) != "3\n" {
		t.Fatalf("state file %q, %v; want 3 starts counted", b, err)
	}
}

// The first start serves; every one after it ends at once with an error of the server's own,
// not one of a port in use.
func TestFailRestartsServesOnceThenFails(t *testing.T) {
	state := filepath.Join(t.TempDir(), "starts")
	args := []string{"-fail-restarts", "-state", state, "-addr", "127.0.0.1:0"}
	cmd, addr, stderr := startCommand(t, args...)
	servesThenStops(t, cmd, addr, stderr)
	for i := range 2 {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "fatal: cannot open the store: locked by a previous run") ||
			strings.Contains(errb.String(), "in use") {
			t.Fatalf("restart %d: exit %d, stdout %q, stderr %q; want an error of its own", i+1, code, out.String(), errb.String())
		}
	}
	if b, err := os.ReadFile(state); err != nil || string(b) != "3\n" {
		t.Fatalf("state file %q, %v; want 3 starts counted", b, err)
	}
}

func TestListPrintsEveryMutant(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-list"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	all := mutants.All()
	if len(lines) != len(all) {
		t.Fatalf("%d lines for %d mutants", len(lines), len(all))
	}
	for i, m := range all {
		if lines[i] != m.Name+"\t"+m.Desc {
			t.Errorf("line %d: %q, want %q", i, lines[i], m.Name+"\t"+m.Desc)
		}
	}
}

func TestProblemsPrintsEveryMutantsFaults(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-problems"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"none\t0\t\n", "real-quoted-paths\t7\tdies-on-early-close listing-format unsafe-names-accepted\n",
		"missing-file-1003\t1\tmissing-file-status\n", "list-crlf\t0\t\n", "truncated-name-stale-buffer\t1\t?\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q in:\n%s", want, out.String())
		}
	}
}

func TestBadUsageExitsOne(t *testing.T) {
	garbled := filepath.Join(t.TempDir(), "garbled")
	if err := os.WriteFile(garbled, []byte("many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-fault", "no-such-mutant"}, {"-fault", "version-zero,no-such-mutant"}, {"-max-size", "0"}, {"-bogus"}, {"extra"},
		{"-drip", "0s"}, {"-max-concurrent", "0"}, {"-fail-starts", "1"}, {"-state", garbled},
		{"-fail-starts", "-1", "-state", garbled}, {"-fail-starts", "1", "-state", garbled},
		{"-fail-restarts"}, {"-fail-restarts", "-fail-starts", "1", "-state", garbled},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 1 || errb.Len() == 0 || out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
}
