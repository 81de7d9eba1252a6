package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fbpkit/fbp/ref/wire"
)

// The command starts, says where it listens and stores, serves, logs each request, and stops
// cleanly on SIGTERM.
func TestRunServesAndStopsOnSignal(t *testing.T) {
	root := filepath.Join(t.TempDir(), "store")
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"-addr", "127.0.0.1:0", "-root", root, "-log-format", "json"}, pw)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	if !lines.Scan() {
		t.Fatalf("no startup line: %v", <-done)
	}
	m := regexp.MustCompile(`"msg":"refserver started","listen":"(127\.0\.0\.1:\d+)","root":"([^"]+)"`).FindStringSubmatch(lines.Text())
	if m == nil || m[2] != root {
		t.Fatalf("startup line %s", lines.Text())
	}
	logged := make(chan string, 16)
	go func() {
		for lines.Scan() {
			logged <- lines.Text()
		}
		close(logged)
	}()

	c, err := net.DialTimeout("tcp", m[1], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := wire.Request{UserID: 1, Version: 1, Op: wire.OpBackup, Name: []byte("f"), Payload: []byte("content")}
	c.Write(req.Append(nil))
	var got [5]byte
	if _, err := io.ReadFull(c, got[:]); err != nil || !bytes.Equal(got[:], []byte{1, 212, 0, 1, 0}) {
		t.Fatalf("BACKUP answer %q, %v", got, err)
	}
	c.Close()
	if b, err := os.ReadFile(filepath.Join(root, "1", "f")); err != nil || string(b) != "content" {
		t.Fatalf("stored %q, %v", b, err)
	}
	if l := <-logged; !strings.Contains(l, `"msg":"request"`) || !strings.Contains(l, `"status":212`) {
		t.Fatalf("request line %s", l)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-log-format", "xml"},
		{"-max-size", "0"},
		{"-max-size", "4294967296"},
		{"-max-name", "0"},
		{"-max-name", "65536"},
		{"extra"},
		{"-no-such-flag"},
	} {
		err := run(append(args, "-addr", "127.0.0.1:0", "-root", t.TempDir()), io.Discard)
		if !errors.As(err, new(usageError)) {
			t.Errorf("%q: %v, want a usage error (exit status 2)", args, err)
		}
	}
	if err := run([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp (exit status 0)", err)
	}
}
