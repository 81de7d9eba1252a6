package clienttest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// runEvidence is everything one run of the client left: what the server recorded, and, when
// conform started the client, how it ended, what it printed, its memory and its files.
type runEvidence struct {
	sc        *Scenario
	exchanges []*exchange
	stall     *stallRecord
	// tmpAtDelete is tmp when the first DELETE arrived, tmpAtEnd at the end of the run, both
	// against the last whole 210's payload; nil when there was none, or no folder to look in.
	tmpAtDelete, tmpAtEnd *tmpCheck
	// tmp is tmp at the end, whatever was served (nil with -listen).
	tmp *entry
	// proc is the client's process; nil with -listen.
	proc    *process
	changes []change
	// elsewhere lists files the run made or changed, besides tmp, outside the client's folder
	// or holding a payload the server sent.
	elsewhere []string
	folder    string // the scenario's folder, when kept
	took      time.Duration
}

// requests are the exchanges the server read a request of, in order: those sent on a
// connection it had closed are left out.
func (r *runEvidence) requests() []*exchange {
	var out []*exchange
	for _, ex := range r.exchanges {
		if !ex.onClosed {
			out = append(out, ex)
		}
	}
	return out
}

// summary says in a line what the run came to.
func (r *runEvidence) summary() string {
	conns := 0
	for _, ex := range r.exchanges {
		conns = max(conns, ex.conn)
	}
	s := fmt.Sprintf("%d requests on %d connections", len(r.requests()), conns)
	if r.proc != nil {
		s = r.proc.summary() + "; " + s
	}
	var made []string
	for _, c := range r.changes {
		made = append(made, c.String())
	}
	if len(made) > 0 {
		s += "; " + strings.Join(made, ", ")
	}
	if r.folder != "" {
		s += "; kept in " + r.folder
	}
	return s
}

// Run runs the client, or serves it with Listen, in every scenario the selected cases need,
// and judges it. Its errors are a *UsageError, ErrNoCases or a *StartError; the client's
// failures are in the report. A cancelled ctx ends the run early: the report marks the cases
// whose runs did not happen, and is still returned.
func Run(ctx context.Context, cfg Config) (report.Report, error) {
	if err := cfg.defaults(); err != nil {
		return report.Report{}, err
	}
	selected := Select(&cfg)
	if len(selected) == 0 {
		return report.Report{}, ErrNoCases
	}
	rep := report.Report{Schema: report.Schema, Target: target(&cfg), Dialect: "canonical", Strict: cfg.Strict, Started: time.Now()}
	if cfg.Listen == "" {
		if err := checkFolder(cfg.Dir); err != nil {
			return report.Report{}, &UsageError{Msg: "-dir: " + err.Error()}
		}
		cfg.Command = slices.Clone(cfg.Command)
		cfg.Command[0] = programPath(cfg.Command[0], cfg.Dir)
	}
	judged := withPrerequisites(selected)
	needed := scenariosOf(judged)
	if cfg.Listen != "" {
		// Every scenario is a run of the client by hand: only those a case can judge are served.
		needed = scenariosOf(slices.DeleteFunc(slices.Clone(judged), func(c *Case) bool { return c.Process }))
	}
	var runs map[string]*runEvidence
	var err error
	if cfg.Listen != "" {
		runs, err = listenRuns(ctx, &cfg, needed)
	} else {
		runs, err = startRuns(ctx, &cfg, needed)
	}
	if err != nil {
		return report.Report{}, err
	}
	var warnings []string
	rep.Results, rep.Problems, warnings = judgeAll(&cfg, selected, judged, runs)
	if cfg.Capture != nil {
		endCaptures(cfg.Capture, judged, rep.Results, needed)
	}
	rep.Warnings = append(rep.Warnings, warnings...)
	if cfg.Listen == "" && !slices.ContainsFunc(rep.Results, func(r report.Result) bool { return r.Status == report.VerdictNotRun }) {
		if rs := runs[scCanonical]; rs != nil && rs.proc != nil && rs.proc.peakRSS == 0 {
			rep.Warnings = append(rep.Warnings, "the system does not report the client's peak memory: memory/huge-claim is skipped")
		}
	}
	rep.Interrupted = ctx.Err() != nil
	rep.Duration = time.Since(rep.Started)
	rep.Summarize()
	rep.NextSteps = nextSteps(&cfg, &rep)
	return rep, nil
}

// nextSteps says what would help, from what the run found.
func nextSteps(cfg *Config, rep *report.Report) []string {
	var out casebook.Steps
	if cfg.Listen == "" && len(cfg.Command) > 1 && filepath.Base(cfg.Command[0]) == "go" && cfg.Command[1] == "run" {
		out.Add("build the client first (go build): under go run every run compiles, and the compiler's memory is measured")
	}
	out.AddHints(rep, []casebook.Hint{
		{Case: "run/connects", Step: "the client never reached the server: it must read server.info in the folder it runs in (conform runs it in a copy of -dir)"},
		{Case: "response/no-wait-for-close", Step: "read a response as §3 lays it out: 3 bytes of version and status, then only the fields the status carries, each to its length"},
		{Case: "response/split-reads", Step: "read each field to its length in a loop: one recv may return any part of a response"},
		{Case: "response/read-whole", Step: "read every response to the length its fields give before closing: a listing may be longer than one read"},
		{Case: "backup/partial-sends", Step: "send a request with sendall (or loop on send's count): one send may take only part of it"},
		{Case: "run/exit-status", Step: "exit non-zero when a step failed, so that a script running the client can tell"},
		{Case: "memory/huge-claim", Step: "stream a restored payload to a file as it arrives, and refuse a size over the client's own limit"},
		{Case: "robust/stalled-server", Step: "give every read a timeout (socket.settimeout in Python, SetReadDeadline in Go)"},
	})
	if cfg.Listen != "" && slices.ContainsFunc(rep.Results, func(r report.Result) bool { return r.Status == report.VerdictSkip }) {
		out.Add("let conform start the client (conform client -- COMMAND) to judge its files, output and memory too")
	}
	return out
}

// programPath is where the client's program is: a relative path is taken from the client's
// folder, whose copy the client runs in, or else from the current folder.
func programPath(prog, dir string) string {
	if filepath.IsAbs(prog) || !strings.ContainsRune(prog, filepath.Separator) {
		return prog
	}
	if _, err := os.Stat(filepath.Join(dir, prog)); err == nil {
		return prog
	}
	if abs, err := filepath.Abs(prog); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs
		}
	}
	return prog
}

func target(cfg *Config) string {
	if cfg.Listen != "" {
		return "the client connecting to " + cfg.Listen
	}
	return "the client " + strings.Join(cfg.Command, " ")
}

// scenariosOf lists the scenarios cases judge, the longest first, so that a run in parallel
// ends soonest.
func scenariosOf(cases []*Case) []*Scenario {
	var out []*Scenario
	for _, sc := range scenarios {
		for _, c := range cases {
			if slices.Contains(c.Scenarios, sc.Name) {
				out = append(out, sc)
				break
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Scenario) int { return expectedLength(b) - expectedLength(a) })
	return out
}

func expectedLength(sc *Scenario) int {
	switch {
	case sc.twist == twistStall:
		return 3
	case sc.pacing == spec.SlowDrip:
		return 2
	case sc.keep:
		return 1
	}
	return 0
}

// startRuns runs the client once per scenario, Parallel at a time. A client that cannot be
// started stops the whole run with a *StartError.
func startRuns(ctx context.Context, cfg *Config, scs []*Scenario) (map[string]*runEvidence, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runs := map[string]*runEvidence{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan *Scenario)
	var wg sync.WaitGroup
	for range min(cfg.Parallel, len(scs)) {
		wg.Go(func() {
			for sc := range work {
				ev, err := runScenario(ctx, cfg, sc)
				mu.Lock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
					cancel()
				case err == nil && ctx.Err() == nil:
					runs[sc.Name] = ev
					if cfg.Progress != nil {
						cfg.Progress(sc.Name, ev.summary())
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, sc := range scs {
		select {
		case work <- sc:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return runs, firstErr
}

// runScenario runs the client once against the scenario's server, in a folder of its own.
func runScenario(ctx context.Context, cfg *Config, sc *Scenario) (*runEvidence, error) {
	root, err := os.MkdirTemp("", "conform-client-"+sc.Name+"-")
	if err != nil {
		return nil, err
	}
	// The escape paths of the name twists are absolute: resolve the temporary folder's links.
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	defer func() {
		if !cfg.Keep {
			os.RemoveAll(root)
		}
	}()
	lc := net.ListenConfig{}
	if sc.slowReader {
		lc.Control = smallReceiveBuffer
	}
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	clientDir, err := layout(root, cfg.Dir, sc, ln.Addr().String())
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("laying out the client's folder: %v", err)}
	}
	s, err := newSession(sc, cfg, root, clientDir)
	if err != nil {
		return nil, err
	}
	before := snapshot(root)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accept(c)
		}
	}()
	proc, err := runClient(ctx, cfg.Command, clientDir, cfg.runLimit(sc), s.bump)
	if err != nil {
		ln.Close()
		s.stop()
		return nil, err
	}
	// The client is gone, and with it its connections: let the server see them end.
	s.settleDown(cfg.Wait)
	ln.Close()
	s.stop()
	ev := s.evidence()
	ev.proc = proc
	ev.took = proc.took
	ev.changes = diff(before, snapshot(root))
	tmp := filepath.Join(clientDir, "tmp")
	if st, err := os.Stat(tmp); err == nil {
		ev.tmp = &entry{size: st.Size(), mtime: st.ModTime()}
	}
	if s.lastServed != nil {
		chk := checkTmp(tmp, s.lastServed)
		ev.tmpAtEnd = &chk
	}
	ev.elsewhere = writtenElsewhere(root, ev)
	if cfg.Keep {
		ev.folder = root
	}
	return ev, nil
}

// settleDown waits up to d for every connection of the run to end.
func (s *session) settleDown(d time.Duration) {
	limit := time.Now().Add(d)
	for time.Now().Before(limit) {
		s.mu.Lock()
		open := s.open
		s.mu.Unlock()
		if open == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// evidence is what the server recorded, once the run is over.
func (s *session) evidence() *runEvidence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &runEvidence{sc: s.sc, exchanges: slices.Clone(s.exchanges), stall: s.stall, tmpAtDelete: s.tmpAtDelete}
}

// writtenElsewhere lists the files a run made or changed, tmp aside, that lie outside the
// client's folder, hold a payload a whole 210 carried, or bear a name a response gave that its
// request did not (a 211's random name, a twisted 210's).
func writtenElsewhere(root string, ev *runEvidence) []string {
	var served []*version
	given := map[string]bool{}
	for _, ex := range ev.exchanges {
		if ex.served != nil && ex.whole {
			served = append(served, ex.served)
		}
		if len(ex.answerName) > 0 && string(ex.answerName) != string(ex.req.Name) {
			given[filepath.Base(string(ex.answerName))] = true
		}
	}
	var out []string
	for _, c := range ev.changes {
		if c.kind == "removed" || c.path == filepath.Join("client", "tmp") {
			continue
		}
		if given[filepath.Base(c.path)] {
			out = append(out, c.path)
			continue
		}
		if !strings.HasPrefix(c.path, "client"+string(filepath.Separator)) {
			if c.path != "client" {
				out = append(out, c.path)
			}
			continue
		}
		for _, v := range served {
			if c.size != v.n {
				continue
			}
			if d, err := firstDifference(filepath.Join(root, c.path), v.path); err == nil && d < 0 {
				out = append(out, c.path)
				break
			}
		}
	}
	return out
}

// listenRuns serves the scenarios one after the other on cfg.Listen to a client conform does
// not start: each waits for the client's first connection, and ends when no connection has been
// open for Quiet, or the client's time is up.
func listenRuns(ctx context.Context, cfg *Config, scs []*Scenario) (map[string]*runEvidence, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("-listen: %v", err)}
	}
	defer ln.Close()
	conns := make(chan net.Conn)
	go func() {
		defer close(conns)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- c:
			case <-ctx.Done():
				c.Close()
			}
		}
	}()
	runs := map[string]*runEvidence{}
	for i, sc := range scs {
		if ctx.Err() != nil {
			break
		}
		if cfg.Announce != nil {
			cfg.Announce(Announcement{Scenario: *sc, Index: i, Runs: len(scs), Addr: ln.Addr().String()})
		}
		ev, err := listenOne(ctx, cfg, sc, conns)
		if err != nil {
			return nil, err
		}
		if ev == nil {
			break
		}
		runs[sc.Name] = ev
		if cfg.Announce != nil {
			cfg.Announce(Announcement{Scenario: *sc, Index: i, Runs: len(scs), Addr: ln.Addr().String(), Done: true})
		}
		if cfg.Progress != nil {
			cfg.Progress(sc.Name, ev.summary())
		}
	}
	return runs, nil
}

// listenOne serves one scenario's run; nil when ctx ended it.
func listenOne(ctx context.Context, cfg *Config, sc *Scenario, conns <-chan net.Conn) (*runEvidence, error) {
	root, err := os.MkdirTemp("", "conform-client-"+sc.Name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	s, err := newSession(sc, cfg, root, "")
	if err != nil {
		return nil, err
	}
	defer s.stop()
	limit := cfg.runLimit(sc)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var first time.Time
	for {
		select {
		case c, ok := <-conns:
			if !ok {
				return nil, nil
			}
			if first.IsZero() {
				first = time.Now()
			}
			s.accept(c)
		case <-ctx.Done():
			return nil, nil
		case <-tick.C:
			if first.IsZero() {
				continue
			}
			s.mu.Lock()
			quiet := s.open == 0 && time.Since(s.lastQuiet) >= cfg.Quiet
			s.mu.Unlock()
			if quiet || time.Since(first) > limit {
				s.bump()
				s.stop()
				ev := s.evidence()
				ev.took = time.Since(first)
				return ev, nil
			}
		}
	}
}
