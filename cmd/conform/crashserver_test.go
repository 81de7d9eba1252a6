package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

// crashServerEnv, when set to an address, makes the test binary a server for -exec: the
// built-in reference server behind a front on that address which exits with status 2 at the
// DELETE of a file it passed a BACKUP of. Unlike the mutants, whose crashes need malformed
// input, this one crashes on a sequence of valid requests, which a model run can reach.
const crashServerEnv = "CONFORM_TEST_CRASH_SERVER"

// runCrashServer serves until the crash; it returns the process's exit status.
func runCrashServer(addr string) int {
	ref, _, stop, err := startReference()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	backedUp := map[string]bool{}
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			r := wire.NewReader(c, wire.Limits{})
			var h wire.RequestHeader
			if r.ReadRequestHeader(&h) != nil {
				return
			}
			key := fmt.Sprintf("%d/%s", h.UserID, h.Name)
			mu.Lock()
			if h.Op == wire.OpDelete && backedUp[key] {
				fmt.Println("crash server: DELETE of a stored file")
				os.Exit(2)
			}
			backedUp[key] = backedUp[key] || h.Op == wire.OpBackup
			mu.Unlock()
			up, err := net.DialTimeout("tcp", ref, time.Second)
			if err != nil {
				return
			}
			defer up.Close()
			_ = up.SetDeadline(time.Now().Add(5 * time.Second))
			if wire.NewWriter(up).WriteRequest(&h, r.Payload()) != nil {
				return
			}
			// The reference server keeps its end open for more requests: the client's close
			// ends the exchange.
			go func() {
				_, _ = io.Copy(io.Discard, c)
				_ = up.Close()
			}()
			_, _ = io.Copy(c, up)
		}()
	}
}

// Under -exec, a server that crashes is restarted before the next sequence, so the failure
// shrinks to the two steps that crash it, and the report says how the process ended.
func TestModelExecRestartsCrashedServer(t *testing.T) {
	addr := fakepeer.ClosedAddr(t)
	// The reference server's storage goes under the test's folder.
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv(crashServerEnv, addr)
	command := strings.Join([]string{os.Args[0], "-test.run=^$"}, " ")
	report := filepath.Join(t.TempDir(), "report.json")
	code, out, errs := conform(t, append([]string{"model", "-addr", addr, "-exec", command, "-seed", "3", "-format", "json", "-o", report,
		"-replay-out", filepath.Join(t.TempDir(), "replay.json")}, append(modelFast,
		// Shrinking ends when no step can go; each attempt restarts the server, which a loaded
		// machine makes slow, so the bound is set far past what shrinking needs.
		"-shrink-time", "2m")...)...)
	if code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	rep := readModelReport(t, report)
	f := rep.failure()
	if rep.Verdict != "fail" || f == nil || len(f.Script) != 2 || !strings.Contains(f.Script[0], "BACKUP") || !strings.Contains(f.Script[1], "DELETE") ||
		!strings.HasPrefix(f.Detail, "no response") {
		t.Fatalf("failure %+v", f)
	}
	if rep.Restarts == 0 || !strings.HasPrefix(rep.Crash, "the server process ended: exit status 2; its last output: crash server: DELETE") {
		t.Fatalf("restarts %d, crash %q", rep.Restarts, rep.Crash)
	}
	portFree(t, addr)
}
