package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// running is the command started in-process by start.
type running struct {
	addr, root string
	logged     chan string // the log lines after the startup line
	done       chan int    // the exit status
}

// start runs the command with args and a fresh root, and waits for its startup line.
func start(t *testing.T, root string, args ...string) *running {
	t.Helper()
	pr, pw := io.Pipe()
	r := &running{root: root, logged: make(chan string, 64), done: make(chan int, 1)}
	go func() {
		r.done <- run(append([]string{"-addr", "127.0.0.1:0", "-root", root, "-log-format", "json"}, args...), io.Discard, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	for {
		if !lines.Scan() {
			t.Fatalf("no startup line: exit %d", <-r.done)
		}
		if strings.Contains(lines.Text(), "refserver started") {
			break
		}
		r.logged <- lines.Text()
	}
	m := regexp.MustCompile(`"msg":"refserver started","listen":"(127\.0\.0\.1:\d+)","root":"([^"]+)"`).FindStringSubmatch(lines.Text())
	if m == nil || m[2] != root {
		t.Fatalf("startup line %s", lines.Text())
	}
	r.addr = m[1]
	go func() {
		for lines.Scan() {
			r.logged <- lines.Text()
		}
		close(r.logged)
	}()
	return r
}

// stop sends SIGTERM, as a service manager would, and waits for a clean exit.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-r.done:
		if code != exitOK {
			t.Fatalf("exit %d after SIGTERM", code)
		}
	case <-time.After(30 * time.Second):
		// A bound on the wait for the exit, not a wait: well over the 10s a shutdown may take.
		t.Fatal("no exit after SIGTERM")
	}
}

// nextLine returns the next log line; ok is false once the command has ended. A server that
// never logs fails the test instead of hanging it.
func (r *running) nextLine(t *testing.T) (line string, ok bool) {
	t.Helper()
	select {
	case line, ok = <-r.logged:
		return line, ok
	case <-time.After(30 * time.Second):
		t.Fatal("no log line")
		return "", false
	}
}

func dialTest(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// The command starts, says where it listens and stores, serves, logs each request, and stops
// cleanly on SIGTERM.
func TestRunServesAndStopsOnSignal(t *testing.T) {
	r := start(t, filepath.Join(t.TempDir(), "store"))
	c := dialTest(t, r.addr)
	req := wire.Request{UserID: 1, Version: 1, Op: wire.OpBackup, Name: []byte("f"), Payload: []byte("content")}
	c.Write(req.Append(nil))
	var got [5]byte
	if _, err := io.ReadFull(c, got[:]); err != nil || !bytes.Equal(got[:], []byte{1, 212, 0, 1, 0}) {
		t.Fatalf("BACKUP answer %q, %v", got, err)
	}
	c.Close()
	if b, err := os.ReadFile(filepath.Join(r.root, "1", "f")); err != nil || string(b) != "content" {
		t.Fatalf("stored %q, %v", b, err)
	}
	if l, _ := r.nextLine(t); !strings.Contains(l, `"msg":"request"`) || !strings.Contains(l, `"status":212`) {
		t.Fatalf("request line %s", l)
	}
	r.stop(t)
}

// -one-request answers, then closes, even when the client sent more; a store folder holding
// leftovers it cannot remove still starts, and the log says what was left alone; sizes take
// units.
func TestRunOneRequestOverLeftovers(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	odd := filepath.Join(root, "7", storage.TempPrefix+"a-folder")
	if err := os.MkdirAll(odd, 0o700); err != nil {
		t.Fatal(err)
	}
	r := start(t, root, "-one-request", "-quota", "1KiB", "-max-size", "64KiB", "-min-rate", "4KiB")
	if l, _ := r.nextLine(t); !strings.Contains(l, "left alone") || !strings.Contains(l, "a-folder") {
		t.Fatalf("first log line %s, want the leftover folder left alone", l)
	}
	c := dialTest(t, r.addr)
	list := wire.Request{UserID: 7, Version: 1, Op: wire.OpList}
	c.Write(append(list.Append(nil), list.Append(nil)...))
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, []byte{1, 0xea, 3}) {
		t.Fatalf("two LISTs with -one-request: %q, %v; want one 1002, then the close", got, err)
	}
	// Over the 1 KiB quota: refused before the payload.
	c = dialTest(t, r.addr)
	h := wire.RequestHeader{UserID: 7, Version: 1, Op: wire.OpBackup, Name: []byte("big"), Size: 2048}
	c.Write(h.Append(nil))
	if got, err := io.ReadAll(c); err != nil || !bytes.Equal(got, []byte{1, 0xeb, 3}) {
		t.Fatalf("BACKUP over the quota: %q, %v; want 1003, then the close", got, err)
	}
	// A 1003 has many causes: the log line must name the quota, 1 KiB read as 1024 bytes.
	found := false
	for l, ok := r.nextLine(t); ok; l, ok = r.nextLine(t) {
		var line struct{ Msg, Op, Err string }
		if json.Unmarshal([]byte(l), &line) != nil || line.Msg != "request" || line.Op != "BACKUP" {
			continue
		}
		if !strings.Contains(line.Err, "over the quota of 1024") {
			t.Fatalf("BACKUP's log line %s, want its err to name the quota of 1024 bytes", l)
		}
		found = true
		break
	}
	if !found {
		t.Fatal("no log line of the BACKUP")
	}
	r.stop(t)
}
