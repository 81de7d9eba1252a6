// Command soak attacks a reference server as a hostile client and a careless operator would,
// on loopback only, and prints what it measured: kill -9 at random points of uploads, uploads
// cut mid-payload, 1,000 stalled and 300 trickling connections with a probe's latency and the
// server's memory, concurrent LISTs of a large folder, a planted link, FIFO and leftover, and a
// full disk where it can mount a small tmpfs. Each trial is bounded in time, and so is the run.
//
//	go run ./scripts/soak [-short] [-only kill,cut,slow,list,planted,disk] [-refserver PATH]
//
// It builds cmd/refserver unless -refserver names a binary (an older build, to compare). It
// raises its open-file limit, which the servers it starts inherit. Exit status: 0 every check
// held, 1 one failed, 2 usage.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/internal/content"
	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// config is what one run does.
type config struct {
	short      bool
	bin        string
	killTrials int
	cutTrials  int
	slowFor    time.Duration
	stalled    int
	trickling  int
	listFiles  int
	listConc   int
	listRounds int
	rng        *rand.Rand
}

// row is one line of the report.
type row struct {
	attack, setting, measured, target, verdict string
}

const (
	pass = "ok"
	fail = "FAIL"
	skip = "skipped"
)

// broken is the row of an attack whose setup failed, so that nothing was measured.
func broken(attack string, err error) row {
	return row{attack, "", err.Error(), "", fail}
}

func verdict(ok bool) string {
	if ok {
		return pass
	}
	return fail
}

type scenario struct {
	name string
	// run runs the scenario with root, an empty folder of its own, to work in.
	run func(cfg *config, root string) []row
}

var scenarios = []scenario{
	{"kill", killTrials},
	{"cut", cutUploads},
	{"slow", slowPeers},
	{"list", listFlood},
	{"planted", planted},
	{"disk", fullDisk},
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	short := fs.Bool("short", false, "a short run, for CI: fewer trials, a shorter siege")
	only := fs.String("only", "", "comma-separated scenarios to run (default all): kill, cut, slow, list, planted, disk")
	bin := fs.String("refserver", "", "the refserver binary to attack (default: build cmd/refserver)")
	seed := fs.Uint64("seed", 0, "random seed (default: from the clock, printed)")
	limit := fs.Duration("timeout", 10*time.Minute, "give up on the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	cfg := &config{
		short: *short, killTrials: 100, cutTrials: 100, slowFor: 40 * time.Second, stalled: 1000, trickling: 300,
		listFiles: 10000, listConc: 64, listRounds: 3, rng: rand.New(rand.NewPCG(*seed, *seed>>1|1)),
	}
	if *short {
		cfg.killTrials, cfg.cutTrials, cfg.slowFor, cfg.listRounds = 20, 20, 12*time.Second, 1
	}
	selected := map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			selected[name] = true
		}
	}
	for name := range selected {
		if !slices.ContainsFunc(scenarios, func(s scenario) bool { return s.name == name }) {
			fmt.Fprintf(os.Stderr, "soak: unknown scenario %q\n", name)
			return 2
		}
	}

	// The whole run is bounded: a hung scenario ends the process and its servers.
	go func() {
		time.Sleep(*limit)
		fmt.Fprintf(os.Stderr, "soak: the run took longer than -timeout %v\n", *limit)
		running.Range(func(s, _ any) bool { s.(*server).cmd.Process.Signal(syscall.SIGKILL); return true })
		os.Exit(1)
	}()

	work, err := os.MkdirTemp("", "fbp-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		return 1
	}
	defer os.RemoveAll(work)
	cfg.bin = *bin
	if cfg.bin == "" {
		cfg.bin = filepath.Join(work, "refserver")
		build := exec.Command("go", "build", "-o", cfg.bin, "./cmd/refserver")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "soak: building refserver:", err)
			return 1
		}
	}
	files := raiseFileLimit()
	fmt.Printf("soak: seed %d, refserver %s, open-file limit %d, %s run\n", *seed, cfg.bin, files, map[bool]string{true: "short", false: "full"}[*short])

	var rows []row
	for _, s := range scenarios {
		if len(selected) > 0 && !selected[s.name] {
			continue
		}
		start := time.Now()
		got := s.run(cfg, filepath.Join(work, s.name))
		fmt.Fprintf(os.Stderr, "soak: %s done in %v\n", s.name, time.Since(start).Round(time.Millisecond))
		rows = append(rows, got...)
	}
	printTable(os.Stdout, rows)
	for _, r := range rows {
		if r.verdict == fail {
			return 1
		}
	}
	return 0
}

// raiseFileLimit lifts the open-file limit as far as it may go, the hard one too when run as
// root: 1,300 connections and their server need more than the common 1,024. Children inherit it.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	want := max(lim.Max, 1<<16)
	if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: want, Max: want}) != nil {
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim.Max, Max: lim.Max})
	}
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

func printTable(w io.Writer, rows []row) {
	head := row{"attack", "setting", "measured", "target", "verdict"}
	widths := make([]int, 5)
	all := append([]row{head}, rows...)
	for _, r := range all {
		for i, c := range []string{r.attack, r.setting, r.measured, r.target, r.verdict} {
			widths[i] = max(widths[i], len(c))
		}
	}
	line := func(r row) {
		cells := []string{r.attack, r.setting, r.measured, r.target, r.verdict}
		for i := range cells {
			cells[i] = cells[i] + strings.Repeat(" ", widths[i]-len(cells[i]))
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintln(w)
	line(head)
	seps := make([]string, 5)
	for i := range seps {
		seps[i] = strings.Repeat("-", widths[i])
	}
	fmt.Fprintf(w, "|-%s-|\n", strings.Join(seps, "-|-"))
	for _, r := range rows {
		line(r)
	}
}

// server is a refserver process.
type server struct {
	cmd  *exec.Cmd
	addr string
	root string

	mu    sync.Mutex
	lines []string // the log lines kept, up to keepLines
	count int      // log lines in all
	ended chan struct{}
}

const keepLines = 400

var listenRE = regexp.MustCompile(`"listen":"([^"]+)"`)

// running holds the servers started and not yet ended, for the run's time limit.
var running sync.Map

// startServer starts the binary on a loopback port over root, and waits for its startup line.
func startServer(cfg *config, root string, args ...string) (*server, error) {
	cmd := exec.Command(cfg.bin, append([]string{"-addr", "127.0.0.1:0", "-root", root, "-log-format", "json"}, args...)...)
	// A server outlives no harness, however the harness ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, root: root, ended: make(chan struct{})}
	running.Store(s, nil)
	started := make(chan string, 1)
	go func() {
		defer close(s.ended)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if m := listenRE.FindStringSubmatch(l); m != nil && strings.Contains(l, "refserver started") {
				started <- m[1]
			}
			s.mu.Lock()
			s.count++
			if len(s.lines) < keepLines {
				s.lines = append(s.lines, l)
			}
			s.mu.Unlock()
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case s.addr = <-started:
		return s, nil
	case <-s.ended:
		cmd.Wait()
		running.Delete(s)
		lines := s.log()
		last := ""
		if len(lines) > 0 {
			last = lines[len(lines)-1]
		}
		return nil, fmt.Errorf("refserver exited before it listened: %s", last)
	case <-time.After(30 * time.Second):
		s.kill()
		return nil, errors.New("refserver did not start within 30s")
	}
}

// log returns the kept log lines.
func (s *server) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// kill ends the server at once, as a crash or kill -9 would.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	<-s.ended
	running.Delete(s)
}

// stop asks the server to stop, and kills it if it takes longer than its grace.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
	<-s.ended
	running.Delete(s)
}

// memory reads the server's resident set now and at its peak, in bytes, from /proc.
func (s *server) memory() (rss, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1, -1
	}
	field := func(name string) int64 {
		m := regexp.MustCompile(`(?m)^` + name + `:\s+(\d+) kB`).FindSubmatch(b)
		if m == nil {
			return -1
		}
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		return n << 10
	}
	return field("VmRSS"), field("VmHWM")
}

func mib(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// startWithFile starts a server and backs up previous as user's file "f".
func startWithFile(cfg *config, root string, user uint32, previous []byte, args ...string) (*server, error) {
	srv, err := startServer(cfg, root, args...)
	if err != nil {
		return nil, err
	}
	if resp, _, _, err := exchange(srv.addr, req(user, wire.OpBackup, "f", previous), false); err != nil || resp.Status != wire.StatusOK {
		srv.stop()
		return nil, fmt.Errorf("setup: backup answered %s", statusText(resp, err))
	}
	return srv, nil
}

// drawn is n bytes of the content drawn from seed, held in memory.
func drawn(n int, seed uint64) []byte {
	return content.Drawn(int64(n), seed).Prefix(n)
}

// restores reports whether user's file name restores as exactly want.
func restores(addr string, user uint32, name string, want []byte) bool {
	resp, _, _, err := exchange(addr, req(user, wire.OpRestore, name, nil), true)
	return err == nil && bytes.Equal(resp.Payload, want)
}

// ioTimeout bounds every exchange of the harness's own clients.
const ioTimeout = 20 * time.Second

// exchange sends req on a fresh connection and reads one response under ioTimeout. It returns
// the response (its payload only if keep), the payload's size and how long it all took.
func exchange(addr string, req []byte, keep bool) (wire.Response, int64, time.Duration, error) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return wire.Response{}, 0, 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(req); err != nil {
		return wire.Response{}, 0, 0, err
	}
	resp, size, err := readResponse(c, keep)
	return resp, size, time.Since(start), err
}

// readResponse reads one response from c: the payload is kept only if keep.
func readResponse(c net.Conn, keep bool) (wire.Response, int64, error) {
	rd := wire.NewReader(c, wire.Limits{MaxName: wire.DefaultMaxName, MaxPayload: 64 << 20})
	var h wire.ResponseHeader
	if err := rd.ReadResponseHeader(&h); err != nil {
		return wire.Response{}, 0, err
	}
	resp := wire.Response{Version: h.Version, Status: h.Status, Name: append([]byte(nil), h.Name...)}
	if keep {
		b, err := io.ReadAll(rd.Payload())
		resp.Payload = b
		return resp, int64(len(b)), err
	}
	n, err := io.Copy(io.Discard, rd.Payload())
	return resp, n, err
}

func req(user uint32, op wire.Op, name string, payload []byte) []byte {
	r := wire.Request{UserID: user, Version: wire.Version, Op: op, Name: []byte(name), Payload: payload}
	return r.Append(nil)
}

func head(user uint32, name string, size uint32) []byte {
	h := wire.RequestHeader{UserID: user, Version: wire.Version, Op: wire.OpBackup, Name: []byte(name), Size: size}
	return h.Append(nil)
}

// leftovers lists the temporary upload files under root.
func leftovers(root string) []string {
	var found []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), storage.TempPrefix) {
			found = append(found, p)
		}
		return nil
	})
	return found
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// spread gives the median and the largest of lat.
func spread(lat []time.Duration) (p50, worst time.Duration) {
	if len(lat) == 0 {
		return 0, 0
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)-1]
}
