package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
)

// The mutants of the zoo (conformance/internal/mutants) are faulty servers that prove a tester
// finds what it should. Being internal to package conformance, they reach this command as the
// mutantserver program, built once per test binary, the way a user runs a server of their own.
var (
	mutantServerOnce sync.Once
	mutantServerPath string
	mutantServerErr  error
	mutantServerDir  string
)

func TestMain(m *testing.M) {
	if addr := os.Getenv(crashServerEnv); addr != "" {
		os.Exit(runCrashServer(addr))
	}
	code := m.Run()
	if mutantServerDir != "" {
		os.RemoveAll(mutantServerDir)
	}
	os.Exit(code)
}

func mutantServer(t *testing.T) string {
	t.Helper()
	mutantServerOnce.Do(func() {
		if mutantServerDir, mutantServerErr = os.MkdirTemp("", "conform-test-"); mutantServerErr != nil {
			return
		}
		mutantServerPath = filepath.Join(mutantServerDir, "mutantserver")
		cmd := exec.Command("go", "build", "-o", mutantServerPath, "github.com/fbpkit/fbp/conformance/internal/mutants/mutantserver")
		if out, err := cmd.CombinedOutput(); err != nil {
			mutantServerErr = &buildError{err: err, out: string(out)}
		}
	})
	if mutantServerErr != nil {
		t.Fatalf("building mutantserver: %v", mutantServerErr)
	}
	return mutantServerPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// mutantArgs are the flags every mutant process gets: a short read deadline, so that a fuzz
// input left hanging does not hold a connection for long.
func mutantArgs(name, addr string) []string {
	return []string{"-fault", name, "-addr", addr, "-read-timeout", "2s"}
}

// startMutant runs the named mutant as a process on a free loopback port until the test ends.
func startMutant(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command(mutantServer(t), mutantArgs(name, "127.0.0.1:0")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			t.Fatalf("mutantserver -fault %s said %q", name, line)
		}
		return addr
	case <-time.After(10 * time.Second):
		t.Fatalf("mutantserver -fault %s did not start listening", name)
	}
	return ""
}

// execMutant makes the -exec command that serves the named mutant on a free loopback address.
func execMutant(t *testing.T, name string) (addr, command string) {
	t.Helper()
	addr = fakepeer.ClosedAddr(t)
	return addr, strings.Join(append([]string{mutantServer(t)}, mutantArgs(name, addr)...), " ")
}

// portFree checks that nothing listens on addr any more: the -exec process was stopped.
func portFree(t *testing.T, addr string) {
	t.Helper()
	d := net.Dialer{Timeout: time.Second}
	if c, err := d.DialContext(context.Background(), "tcp", addr); err == nil {
		c.Close()
		t.Fatalf("the server still listens on %s", addr)
	}
}
