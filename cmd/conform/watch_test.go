package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// runWatchCmd runs `conform watch` with args (a free loopback port to listen on added), sends
// req on one connection once it listens, reads the answer, and returns the exit status.
func runWatchCmd(t *testing.T, req []byte, args ...string) int {
	t.Helper()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		defer pw.Close()
		code <- run(context.Background(), append([]string{"watch", "-listen", "127.0.0.1:0", "-count", "1"}, args...), io.Discard, pw)
	}()
	sc := bufio.NewScanner(pr)
	var addr string
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
			addr, _, _ = strings.Cut(rest, ",")
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if addr == "" {
		t.Fatal("conform watch never said where it listens")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	var resp [3]byte
	if _, err := io.ReadFull(c, resp[:]); err != nil {
		t.Fatalf("no answer through the watch: %v", err)
	}
	c.Close()
	return <-code
}

var listRequest = []byte{7, 0, 0, 0, 1, 202}

// TestWatchReports: a clean LIST through `conform watch` passes with the JSON report's head;
// a LIST with a name_len after it fails, the client's problem named in the JSON and JUnit.
func TestWatchReports(t *testing.T) {
	t.Parallel()
	ref := servertest.Start(t, server.Config{})
	dir := t.TempDir()

	clean := filepath.Join(dir, "clean.json")
	if code := runWatchCmd(t, listRequest, "-to", ref.Addr, "-format", "json", "-o", clean); code != exitPass {
		t.Fatalf("exit %d on a clean LIST", code)
	}
	var rep struct {
		Schema, Verdict string
		Findings        []json.RawMessage
		Connections     int
		Exchanges       int
	}
	readJSON(t, clean, &rep)
	if rep.Schema != WatchSchema || rep.Verdict != report.RunPass || len(rep.Findings) != 0 || rep.Connections != 1 || rep.Exchanges != 1 {
		t.Errorf("clean report %+v", rep)
	}

	bad := filepath.Join(dir, "bad.json")
	if code := runWatchCmd(t, append(listRequest, 0, 0), "-to", ref.Addr, "-format", "json", "-o", bad); code != exitFail {
		t.Fatalf("exit %d on a LIST with bytes after it", code)
	}
	var badRep struct {
		Verdict  string
		Findings []struct {
			Requirement, Check, Side string
			Exchange                 *report.Exchange
		}
		ClientProblems []report.Problem `json:"client_problems"`
		ServerProblems []report.Problem `json:"server_problems"`
	}
	readJSON(t, bad, &badRep)
	if badRep.Verdict != report.RunFail || len(badRep.Findings) != 1 || len(badRep.ClientProblems) != 1 || len(badRep.ServerProblems) != 0 {
		t.Fatalf("report %+v", badRep)
	}
	f := badRep.Findings[0]
	if f.Requirement != "R-7.1" || f.Check != "bytes-after" || f.Side != "client" || f.Exchange == nil || string(f.Exchange.Sent.Head) != string(append(listRequest, 0, 0)) {
		t.Errorf("finding %+v, want the client's R-7.1 bytes-after with the 8 bytes it sent", f)
	}

	junit := filepath.Join(dir, "bad.xml")
	runWatchCmd(t, append(listRequest, 0, 0), "-to", ref.Addr, "-format", "junit", "-o", junit)
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `failures="1"`) || !strings.Contains(string(b), "R-7.1") {
		t.Errorf("JUnit report:\n%s", b)
	}
}

func TestWatchNeedsTo(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	if code := run(context.Background(), []string{"watch"}, io.Discard, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "-to") {
		t.Errorf("exit %d, stderr %q: want a usage error naming -to", code, stderr.String())
	}
}

// TestModelAndFuzzPcap: conform model and conform fuzz record their connections under their
// run's name with -pcap (a comment is stored as written: option 1, its length, the text).
func TestModelAndFuzzPcap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		args []string
	}{
		{"model", []string{"model", "-runs", "2", "-steps", "4"}},
		{"fuzz", []string{"fuzz", "-max-inputs", "20"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), c.name+".pcapng")
			code, _, errs := conform(t, append(c.args, "-pcap", path)...)
			b, err := os.ReadFile(path)
			comment := "\x01\x00" + string(rune(len(c.name))) + "\x00" + c.name
			if code != exitPass || err != nil || strings.Count(string(b), comment) < 10 || !strings.Contains(errs, "connections written to "+path) {
				t.Errorf("exit %d, %v, %d packets commented %q in %d bytes; stderr:\n%s", code, err, strings.Count(string(b), comment), c.name, len(b), errs)
			}
		})
	}
}
