// Package headless opens pages in headless Chromium for tests: the DOM after the page's
// scripts ran, what the page wrote to the console, and how many network requests it made. It
// drives the distribution's chromium binary by its command line, so the tests need no
// browser-automation module: a proxy of its own on loopback counts every request the page
// makes, and Chromium's log carries its console.
package headless

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/required"
)

// Binary finds Chromium: $CHROMIUM, else chromium or chromium-browser on the PATH. Without
// one the test ends as required.Missing says.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	required.Missing(t, "no chromium on the PATH (apt-get install chromium, or set CHROMIUM): the browser tests need it")
	return ""
}

// Page is what a page did in the browser.
type Page struct {
	DOM string
	// Console holds every line the page wrote to its console, uncaught errors included.
	Console []string
	// Requests are the network requests it made, as the proxy saw their first line ("GET
	// http://host/x HTTP/1.1", "CONNECT host:443 HTTP/1.1"), the browser's own left out.
	Requests []string
}

// ownDomain is where Chromium goes on its own, whatever the page, even with the flags that turn
// its background services off: the clock check, accounts, search, messaging, all hosts of
// google.com. A page that asks one of them is not caught here; the renderers' tests check that
// their pages name no address outside them at all.
const ownDomain = ".google.com"

var consoleLine = regexp.MustCompile(`:CONSOLE[:(][^\]]*\] (.*)`)

func ownRequest(line string) bool {
	f := strings.Fields(line)
	if len(f) == 0 {
		// A connection that asked nothing: Chromium opens one ahead of need and closes it unused.
		return true
	}
	if len(f) < 2 {
		return false
	}
	host := strings.TrimPrefix(f[1], "http://")
	host, _, _ = strings.Cut(host, "/")
	host, _, _ = strings.Cut(host, ":")
	return strings.HasSuffix(host, ownDomain)
}

// flags keep Chromium from reaching anything on its own: no updates, no sync, no QUIC, and
// every request through a proxy on loopback (loopback included), which counts them.
func flags(profile, proxy string) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
		"--disable-extensions",
		// Its model downloads and clock checks go to hosts beside google.com.
		"--disable-features=OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,OptimizationTargetPrediction,NetworkTimeServiceQuerying",
		"--user-data-dir=" + profile, "--proxy-server=http://" + proxy, "--proxy-bypass-list=<-loopback>",
		"--enable-logging=stderr", "--v=0"}
}

// proxy is a listener that counts connections: each request of the page is one.
type proxy struct {
	ln       net.Listener
	accepted chan request // each connection, in the order accepted
}

type request struct{ from, line string }

func newProxy(t testing.TB) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, accepted: make(chan request, 64)}
	go func() {
		defer close(p.accepted)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// One at a time, so that the requests come in the order accepted. A browser sends
			// its request line at once; the sentinel sends nothing and closes.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line, _ := bufio.NewReader(io.LimitReader(c, 4096)).ReadString('\n')
			c.Close()
			p.accepted <- request{c.RemoteAddr().String(), strings.TrimSpace(line)}
		}
	}()
	return p
}

// close returns the requests that reached the proxy, the browser's own left out. A last
// connection of its own, queued after every one the browser made, is accepted after them: when
// it is in, no request is still on its way.
func (p *proxy) close(t testing.TB) []string {
	c, err := net.Dial("tcp", p.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sentinel := c.LocalAddr().String()
	c.Close()
	var reqs []string
	for r := range p.accepted {
		if r.from == sentinel {
			break
		}
		if !ownRequest(r.line) {
			reqs = append(reqs, r.line)
		}
	}
	p.ln.Close()
	for range p.accepted {
	}
	return reqs
}

// profile is a fresh profile folder for one browser. Chromium's helper processes may still write
// to it after the browser has exited, so it is removed without the test's TempDir check that
// nothing is left.
func profile(t testing.TB) string {
	dir, err := os.MkdirTemp("", "fbp-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Open loads url (a file:// address) and returns the DOM after its scripts ran, its console
// and its requests.
func Open(t testing.TB, url string) Page {
	t.Helper()
	bin := Binary(t)
	px := newProxy(t)
	args := append(flags(profile(t), px.ln.Addr().String()), "--dump-dom", url)
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	reqs := px.close(t)
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", url, err, stderr.String())
	}
	p := Page{DOM: stdout.String(), Requests: reqs}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindStringSubmatch(line); m != nil {
			p.Console = append(p.Console, m[1])
		}
	}
	return p
}

// Screenshot saves url as a PNG of width × height pixels.
func Screenshot(t testing.TB, url, png string, width, height int) {
	t.Helper()
	bin := Binary(t)
	px := newProxy(t)
	abs, err := filepath.Abs(png)
	if err != nil {
		t.Fatal(err)
	}
	args := append(flags(profile(t), px.ln.Addr().String()), "--hide-scrollbars",
		fmt.Sprintf("--window-size=%d,%d", width, height), "--screenshot="+abs, url)
	out, err := exec.Command(bin, args...).CombinedOutput()
	px.close(t)
	if err != nil {
		t.Fatalf("chromium --screenshot %s: %v\n%s", url, err, out)
	}
}

// WritePage writes a page with write to path, its folder made if need be, for a test to open.
func WritePage(t testing.TB, path string, write func(io.Writer) error) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// FileURL is the file:// address of path, with query and fragment as given ("?state=fail",
// "#case-x"; "" for none).
func FileURL(t testing.TB, path, query, fragment string) string {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	u := "file://" + filepath.ToSlash(abs)
	if query != "" {
		u += "?" + query
	}
	if fragment != "" {
		u += "#" + fragment
	}
	return u
}
