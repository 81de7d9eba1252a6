// Command conform tests an FBP server against SPEC.md and says where it breaks the protocol,
// with the bytes to prove it.
//
//	conform                       # test the built-in reference server, started in-process
//	conform -addr host:1234       # test your server
//	conform -exec "./srv {port}"  # start your server on a free port, restart it when it dies
//	conform -list                 # print the catalog
//	conform doctor                # the diagnosis alone
//	conform client -- ./client    # test a client by running it
//	conform model                 # model-based random testing
//	conform fuzz                  # network fuzzing
//	conform replay FILE           # re-run a saved failure or finding
//	conform bench                 # load, with every answer checked
//	conform batch -exec CMD DIR...  # many submissions, then a matrix of them
//	conform matrix REPORT.json... # many reports in one table
//	conform watch -to host:port   # a judging proxy between a client and a server
//	conform version               # the version of this build
//
// Exit status: 0 every selected MUST case passed (and SHOULD under -strict); 1 a failure;
// 2 a usage error or a selection that matched no case; 3 the server could not be reached at
// the start. The subcommands exit alike: 0 nothing found, 1 a failure or finding, 2 usage,
// 3 unreachable.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/servertest"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/wire"
)

// Exit codes.
const (
	exitPass        = 0
	exitFail        = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first interrupt, a second one ends the process the usual way.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	caseFlags
	cfg       servertest.Config
	execCmd   string
	execLog   string
	largeSize string
	maxSize   string
	pcap      pcapFlags
}

func parseFlags(args []string) (*options, *cliargs.Command, error) {
	o := &options{}
	cmd := cliargs.New("conform", `usage: conform [-addr host:port | -exec "CMD {port}"] [flags]   test a server
       conform doctor [-addr host:port] [flags]     the diagnosis alone: a server's root causes, in seconds
       conform client [flags] -- COMMAND [ARGS...]  test a client by running it
       conform model [-addr host:port] [flags]      random sequences checked against a model
       conform fuzz [-addr host:port] [flags]       mutated requests, with crash and hang detection
       conform replay FILE [-addr host:port]        re-run a model replay file or a fuzz finding
       conform bench [-addr host:port] [flags]      load from concurrent clients, every answer checked
       conform batch -exec "CMD {dir} {port}" DIR... many submissions, their reports and a matrix
       conform matrix REPORT.json...                many reports merged in one table
       conform watch -to host:port [flags]          a proxy that judges your client and server as they talk
       conform version                              the version of this build

Tests an FBP server against SPEC.md: a diagnosis first, then the catalog of cases, each failure
with its requirement and the bytes. Without -addr or -exec it tests the built-in reference
server. -run and -skip match case IDs (backup/new) and requirement IDs (R-4.2).
Exit status: 0 pass, 1 a failure, 2 usage error or no case selected, 3 server unreachable.
Each subcommand has its own help: conform model -h, conform client -h, ...
`)
	fs := cmd.Flags
	c := &o.cfg
	fs.StringVar(&c.Addr, "addr", "", "`host:port` of the server under test (default: start the built-in reference server)")
	o.caseFlags.register(fs, "R-4.2", "the catalog (ID, level, requirements, description)")
	fs.BoolVar(&c.Strict, "strict", false, "SHOULD failures fail the run")
	fs.DurationVar(&c.Timeout, "timeout", 5*time.Second, "deadline of every connect, read and write")
	fs.DurationVar(&c.Deadline, "deadline", servertest.DefaultDeadline, "bound on the whole run: the cases it does not reach are reported so, with the -deadline that would reach them (a run that cannot fit runs the cases that protect the most first)")
	fs.DurationVar(&c.Grace, "grace", 50*time.Millisecond, "how long to watch for bytes after a response's end")
	fs.IntVar(&c.Parallel, "parallel", 4, "cases run at once (cases sending bad input always run alone)")
	fs.BoolVar(&c.Verbose, "v", false, "show the bytes of passing cases too")
	fs.BoolVar(&c.Keep, "keep", false, "leave the files the cases stored on the server")
	fs.StringVar(&c.Dialect, "dialect", "auto", "wire format (status mapping and layout of responses): "+servertest.DialectNames()+" (auto: report a mapping or layout other than the spec's, then test the rest under it)")
	fs.StringVar(&o.largeSize, "large-size", "32MiB", "size of the backup/large case's file (e.g. 64MiB, 1GiB; at most 4GiB-1)")
	fs.BoolVar(&c.SkipLarge, "skip-large", false, "leave out the backup/large case")
	fs.StringVar(&o.maxSize, "max-size", "", "the server's size limit, when known (e.g. 1GiB): runs security/size-over-limit (default: the built-in server's, else unknown)")
	fs.IntVar(&c.Clients, "clients", 8, "clients of the concurrency cases")
	fs.DurationVar(&c.Stall, "stall", 300*time.Millisecond, "how long the stalled-client case stalls at least")
	fs.DurationVar(&c.StallCutoff, "stall-cutoff", 0, "run transport/stall-cut-off: the server must drop a stalled client within this `duration`")
	fs.StringVar(&c.Root, "root", "", "the server's storage `folder`, when local: check it for escaped files and upload leftovers")
	fs.StringVar(&o.execCmd, "exec", "", execUsage("the server under test", "-addr")+"; restarted after a crash")
	fs.StringVar(&o.execLog, "exec-log", "", execLogUsage)
	o.pcap.register(fs)
	fs.BoolVar(&c.ContinueAfterCrash, "continue", false, "after the server stops answering, run the remaining cases when it answers again (default: stop)")
	if err := fs.Parse(args); err != nil {
		return nil, cmd, err
	}
	if fs.NArg() > 0 {
		return nil, cmd, unknownSubcommand(fs.Args())
	}
	var err error
	if c.Run, c.Skip, c.Baseline, err = o.caseFlags.parse(); err != nil {
		return nil, cmd, err
	}
	if c.LargeSize, err = parseSize(o.largeSize); err != nil {
		return nil, cmd, fmt.Errorf("-large-size: %w", err)
	}
	if o.maxSize != "" {
		if c.MaxSize, err = parseSize(o.maxSize); err != nil {
			return nil, cmd, fmt.Errorf("-max-size: %w", err)
		}
	}
	if !servertest.KnownDialect(c.Dialect) {
		return nil, cmd, fmt.Errorf("-dialect %q: want %s", c.Dialect, servertest.DialectNames())
	}
	if c.Exec, err = checkTarget(c.Addr, o.execCmd, o.execLog); err != nil {
		return nil, cmd, err
	}
	if c.Timeout <= 0 || c.Grace <= 0 || c.Parallel <= 0 || c.Clients <= 0 || c.Stall <= 0 || c.Deadline <= 0 {
		return nil, cmd, errors.New("-timeout, -deadline, -grace, -stall, -parallel and -clients must be positive")
	}
	return o, cmd, nil
}

// parseSize reads a size the 4-byte size field can state: 1048576, 64KiB, 8MiB, 1GiB.
func parseSize(s string) (int64, error) { return cliargs.ParseSize(s, cliargs.MaxSizeField) }

// readBaseline reads case IDs, one per line; # starts a comment.
func readBaseline(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-baseline: %w", err)
	}
	var ids []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			ids = append(ids, line)
		}
	}
	return ids, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())) && os.Getenv("NO_COLOR") == ""
}

// subcommands are the words conform takes before its flags.
var subcommands = []string{"model", "fuzz", "replay", "doctor", "bench", "client", "batch", "matrix", "watch", "version", "help"}

// subcommandRuns are what runs each subcommand but help and version. A function, not a
// variable: batch runs the catalog through run, which would make a variable's
// initialization refer to itself.
func subcommandRuns() map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return map[string]func(context.Context, []string, io.Writer, io.Writer) int{
		"model": runModel, "fuzz": runFuzz, "replay": runReplay, "doctor": runDoctor, "bench": runBench,
		"client": runClient, "batch": runBatch, "matrix": runMatrix, "watch": runWatch,
	}
}

// unknownSubcommand is the usage error of words the catalog's command line does not take: a
// word a letter or two from a subcommand is that subcommand mistyped.
func unknownSubcommand(pos []string) error {
	if sub, ok := cliargs.Suggest(pos[0], subcommands); ok && sub != pos[0] {
		return cliargs.Usagef("unknown subcommand %q: did you mean %q?", pos[0], sub)
	}
	return unexpectedArgs(pos)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "help":
			return run(ctx, []string{"-h"}, stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprintln(stdout, cliargs.Version("conform"))
			return exitPass
		}
		if sub, ok := subcommandRuns()[args[0]]; ok {
			return sub(ctx, args[1:], stdout, stderr)
		}
	}
	o, cmd, err := parseFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	cases := servertest.Select(&o.cfg)
	if len(cases) == 0 {
		return cmd.Fail(o.noneSelected("conform"), stdout, stderr)
	}
	if o.list {
		printCatalog(stdout, cases)
		return exitPass
	}

	if o.cfg.Addr == "" && o.cfg.Exec == nil {
		addr, root, stop, err := startReference()
		if err != nil {
			fmt.Fprintf(stderr, "conform: starting the built-in reference server: %v\n", err)
			return exitUnreachable
		}
		defer stop()
		o.cfg.Addr = addr
		if o.cfg.Root == "" {
			o.cfg.Root = root
		}
		if o.cfg.MaxSize == 0 {
			o.cfg.MaxSize = builtinMaxSize
		}
		if o.cfg.StallCutoff == 0 {
			o.cfg.StallCutoff = builtinStallCutoff
		}
		fmt.Fprintf(stderr, "conform: no -addr given: testing the built-in reference server on %s (storage %s)\n", addr, root)
	}
	log, closeLog, err := openExecLog(o.execLog, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "conform: %v\n", err)
		return exitUsage
	}
	defer closeLog()
	o.cfg.ExecLog = log

	file, err := o.reportFile()
	if err != nil {
		fmt.Fprintf(stderr, "conform: %v\n", err)
		return exitUsage
	}
	defer file.Close()
	if o.cfg.Capture, err = o.pcap.open(); err != nil {
		return cmd.Fail(cliargs.Usagef("%v", err), stdout, stderr)
	}
	defer closeRecorder(o.cfg.Capture, "", o.cfg.Addr, stderr)
	if isTerminal(stderr) {
		// A live line on the terminal while the cases run; never in a file or a pipe.
		line := newProgressLine(stderr)
		o.cfg.Progress = line.update
		defer line.clear()
	}
	rep, err := servertest.Run(ctx, o.cfg)
	var ue *target.UnreachableError
	var use *servertest.UsageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "conform: %v\n", err)
		return exitUnreachable
	case errors.As(err, &use), errors.Is(err, servertest.ErrNoCases):
		return cmd.Fail(err, stdout, stderr)
	case err != nil:
		fmt.Fprintf(stderr, "conform: %v\n", err)
		return exitFail
	}
	if cmd := rerunCommand(args, &rep); cmd != "" {
		rep.NextSteps = append(rep.NextSteps, "re-run the cases that failed: "+cmd)
	}

	if err := o.writeReport(&rep, o.cfg.Verbose, file, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "conform: writing the report: %v\n", err)
		return exitFail
	}
	if rep.Interrupted {
		fmt.Fprintln(stderr, "conform: interrupted; the report covers the cases that ran")
	}
	if !rep.OK() {
		return exitFail
	}
	return exitPass
}

func printCatalog(w io.Writer, cases []*servertest.Case) {
	counts := map[report.Level]int{}
	for _, c := range cases {
		counts[c.Level]++
		fmt.Fprintf(w, "%-46s %-6s %-18s %s\n", c.ID, c.Level, strings.Join(c.Reqs, ","), c.Desc)
	}
	fmt.Fprintf(w, "\n%s: %d MUST, %d SHOULD, %d INFO\n", words.Count(len(cases), "case"),
		counts[report.Must], counts[report.Should], counts[report.Info])
}

// startReference starts the reference server on a loopback port with a fresh storage folder.
// The built-in server's size limit and read deadline. The catalog cannot guess a server's
// limits; knowing these, it checks that a size over the limit is refused before its payload
// (security/size-over-limit) and that a stalled client is cut off (transport/stall-cut-off), so
// a run against the built-in server skips nothing.
const (
	builtinMaxSize     = 1 << 30
	builtinReadTimeout = 2 * time.Second
	// builtinStallCutoff leaves the deadline room on a loaded machine.
	builtinStallCutoff = builtinReadTimeout + 3*time.Second
)

func startReference() (addr, root string, stop func(), err error) {
	root, err = os.MkdirTemp("", "fbp-conform-")
	if err != nil {
		return "", "", nil, err
	}
	srv, err := server.New(server.Config{Root: root, Limits: wire.Limits{MaxPayload: builtinMaxSize}, ReadTimeout: builtinReadTimeout})
	if err != nil {
		os.RemoveAll(root)
		return "", "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(root)
		return "", "", nil, err
	}
	go srv.Serve(ln)
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		os.RemoveAll(root)
	}
	return ln.Addr().String(), root, stop, nil
}
