package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/servertest"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/cliargs"
)

// findingsDir is where model and fuzz runs save their reproducers unless told otherwise: a
// folder of its own, which the project's .gitignore and a user's can name, rather than loose
// files in the current folder.
const findingsDir = "conform-findings"

// testerFlags are the flags every subcommand has.
type testerFlags struct {
	name    string // the subcommand, for messages
	addr    string
	seed    int64
	timeout time.Duration
	format  string
	out     string
	execCmd string
	execLog string
	verbose bool
	// junit: the subcommand's report has a JUnit form, which -format junit asks for; html: an
	// HTML page (its report embeds report.Head), which -format html asks for.
	junit bool
	html  bool
	exec  []string
	// deadline bounds the whole run.
	deadline time.Duration
}

// command makes the command of the tester `conform name` and defines on it the flags every
// tester has (register); the caller adds its own to cmd.Flags. Every tester's report has a
// JUnit and an HTML form.
func (f *testerFlags) command(name, usage string, seed bool, timeout time.Duration, execUse string) *cliargs.Command {
	f.name, f.junit, f.html = name, true, true
	cmd := cliargs.New("conform "+name, usage)
	f.register(cmd.Flags, seed, timeout, execUse)
	return cmd
}

// tester gives the flags every tester has, of an options type that embeds them.
func (f *testerFlags) tester() *testerFlags { return f }

// register defines the flags on fs; execUse says what becomes of the -exec process.
func (f *testerFlags) register(fs *flag.FlagSet, seed bool, timeout time.Duration, execUse string) {
	fs.StringVar(&f.addr, "addr", "", "`host:port` of the server under test (default: start the built-in reference server)")
	if seed {
		fs.Int64Var(&f.seed, "seed", 0, "reproduce the run of this `seed` (0: draw one; it is always printed first)")
	}
	fs.DurationVar(&f.timeout, "timeout", timeout, "deadline of the first connect and of every read and write")
	fs.StringVar(&f.format, "format", "text", "report format: "+f.formats())
	fs.StringVar(&f.out, "o", "", "write the report to `file` (the verdict still goes to stderr)")
	fs.StringVar(&f.execCmd, "exec", "", execUsage("the server under test", "-addr")+"; "+execUse)
	fs.StringVar(&f.execLog, "exec-log", "", execLogUsage)
	fs.BoolVar(&f.verbose, "v", false, "log the tester's progress to stderr")
	fs.DurationVar(&f.deadline, "deadline", servertest.DefaultDeadline, "bound on the whole run, shrinking included: it stops there and reports what it found")
}

// errRunDeadline is the cause of a subcommand's context that ended at -deadline.
var errRunDeadline = errors.New("the run's deadline passed")

// withDeadline bounds ctx by -deadline. stoppedAtDeadline then tells a run that ended there
// from one the user interrupted.
func (f *testerFlags) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, f.deadline, errRunDeadline)
}

// stoppedAtDeadline reports whether runCtx, made by withDeadline from parent, ended at the
// deadline rather than by the user's interrupt.
func stoppedAtDeadline(parent, runCtx context.Context) bool {
	return parent.Err() == nil && context.Cause(runCtx) == errRunDeadline
}

// parse parses the flags of a subcommand that takes no argument, and checks the tester's.
func (f *testerFlags) parse(cmd *cliargs.Command, args []string) error {
	pos, err := cmd.Parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return unexpectedArgs(pos)
	}
	return f.check()
}

// formats are the values -format takes: "text, json or junit".
func (f *testerFlags) formats() string {
	list := []string{"text", "json"}
	if f.junit {
		list = append(list, "junit")
	}
	if f.html {
		list = append(list, "html")
	}
	return strings.Join(list[:len(list)-1], ", ") + " or " + list[len(list)-1]
}

func (f *testerFlags) check() error {
	switch {
	case f.format == "text", f.format == "json", f.format == "junit" && f.junit, f.format == "html" && f.html:
	default:
		return fmt.Errorf("-format %q: want %s", f.format, f.formats())
	}
	if f.timeout <= 0 || f.deadline <= 0 {
		return errors.New("-timeout and -deadline must be positive")
	}
	if f.seed < 0 {
		return errors.New("-seed must not be negative")
	}
	if err := checkOutput(f.out); err != nil {
		return err
	}
	var err error
	f.exec, err = checkTarget(f.addr, f.execCmd, f.execLog)
	return err
}

// checkTarget checks -addr, -exec and -exec-log together, and returns the -exec command's
// words (nil without one).
func checkTarget(addr, execCmd, execLog string) ([]string, error) {
	if addr != "" {
		if err := cliargs.CheckAddr("addr", addr); err != nil {
			return nil, err
		}
	}
	exec, err := execCommand(addr, execCmd)
	if err != nil {
		return nil, err
	}
	return exec, checkExecLog(execLog, exec)
}

// execUsage is the help of an -exec flag, whose command starts server: every one takes {port}.
func execUsage(server, addrFlag string) string {
	return "`command` that starts " + server + " (quote words as in a shell): " + target.PortPlaceholder +
		" in it is replaced by a free port (\"./server " + target.PortPlaceholder + "\"); without " +
		target.PortPlaceholder + ", the server must listen on " + addrFlag
}

const execLogUsage = "write the -exec server's output to `file` ('-': stderr); by default only its last lines are kept, to quote if it crashes"

// checkExecLog: -exec-log is the output of the -exec server, so it needs one, and a file that
// cannot be written is a usage error, said before anything starts.
func checkExecLog(path string, exec []string) error {
	switch {
	case path == "":
		return nil
	case exec == nil:
		return errors.New("-exec-log needs -exec: it is the output of the server conform starts")
	case path == "-":
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("-exec-log: %w", err)
	}
	return f.Close()
}

// openExecLog opens the -exec-log file, or stderr for "-"; nil when none was given, so that
// the server's output, ordinary warnings and all, stays out of the report. The file is new
// for each run: a log of two runs would mix their servers' lines.
func openExecLog(path string, stderr io.Writer) (io.Writer, func(), error) {
	switch path {
	case "":
		return nil, func() {}, nil
	case "-":
		return stderr, func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, fmt.Errorf("-exec-log: %w", err)
	}
	return f, func() { _ = f.Close() }, nil
}

// execCommand splits an -exec command line; nil when none was given. The command's server
// listens on -addr, so -exec without -addr is a usage error.
func execCommand(addr, line string) ([]string, error) {
	if line == "" {
		return nil, nil
	}
	if addr == "" && !strings.Contains(line, target.PortPlaceholder) {
		return nil, errors.New("-exec needs -addr, the address the command's server listens on, or {port} in the command where it takes its port")
	}
	words, err := target.SplitCommand(line)
	if err != nil {
		return nil, fmt.Errorf("-exec: %w", err)
	}
	return words, nil
}

// unexpectedArgs is the usage error of words a command does not take: a subcommand after
// the flags gets the order put right.
func unexpectedArgs(pos []string) error {
	for _, sub := range subcommands {
		if pos[0] == sub {
			return cliargs.Usagef("%q after the flags: a subcommand comes first (conform %s [flags])", sub, sub)
		}
	}
	if len(pos) == 1 && cliargs.CheckAddr("addr", pos[0]) == nil {
		return cliargs.Usagef("unexpected argument %q: the server's address goes after -addr (-addr %s)", pos[0], pos[0])
	}
	return cliargs.Usagef("unexpected arguments: %q", pos)
}

// startSeeded is a seeded tester's first steps: it parses args with parse, draws the seed
// unless -seed gave one and prints it first, so that every run can be reproduced, then starts
// the target. With a nil tgt it has said on stderr why, and code is the command's exit
// status: 2 for a usage error, 3 for a target it cannot reach.
func startSeeded[O interface{ tester() *testerFlags }](ctx context.Context, args []string, stdout, stderr io.Writer,
	parse func([]string) (O, *cliargs.Command, error)) (o O, cmd *cliargs.Command, tgt *underTest, code int) {
	o, cmd, err := parse(args)
	if err != nil {
		return o, cmd, nil, cmd.Fail(err, stdout, stderr)
	}
	f := o.tester()
	if f.seed == 0 {
		f.seed = drawSeed()
	}
	fmt.Fprintf(stderr, "conform %s: seed %d\n", f.name, f.seed)
	if tgt, err = startTarget(ctx, f, stderr); err != nil {
		fmt.Fprintf(stderr, "conform %s: %v\n", f.name, err)
		return o, cmd, nil, exitUnreachable
	}
	return o, cmd, tgt, exitPass
}

// drawSeed draws a positive seed: zero means "draw one" on the command line.
func drawSeed() int64 {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		if s := int64(binary.LittleEndian.Uint64(b[:]) >> 1); s != 0 {
			return s
		}
	}
}

// underTest is the server a subcommand tests.
type underTest struct {
	addr    string
	builtIn bool                  // the in-process reference server: its address dies with the command
	proc    *target.ServerProcess // the -exec process, or nil
	close   func()
}

// startTarget starts the built-in reference server or the -exec command, or takes -addr as it
// is, and checks that a server listens there: from the socket table on this machine, else by
// a connection within -timeout. Its error is the command's exit status 3.
func startTarget(ctx context.Context, f *testerFlags, stderr io.Writer) (*underTest, error) {
	t := &underTest{addr: f.addr, close: func() {}}
	switch {
	case f.addr == "" && f.exec == nil:
		addr, root, stop, err := startReference()
		if err != nil {
			return nil, fmt.Errorf("starting the built-in reference server: %w", err)
		}
		t.addr, t.builtIn, t.close = addr, true, stop
		fmt.Fprintf(stderr, "conform %s: no -addr given: testing the built-in reference server on %s (storage %s)\n", f.name, addr, root)
	case f.exec != nil:
		log, closeLog, err := openExecLog(f.execLog, stderr)
		if err != nil {
			return nil, err
		}
		proc, err := target.StartServer(ctx, target.ExecConfig{Command: f.exec, Addr: f.addr, Log: log})
		if err != nil {
			closeLog()
			return nil, &target.UnreachableError{Addr: f.addr, Err: err}
		}
		t.proc, t.addr = proc, proc.Addr()
		t.close = func() { _ = proc.Stop(); closeLog() }
	}
	if t.builtIn || t.proc != nil {
		// Started here, and seen listening: any connection more may be what kills it.
		return t, nil
	}
	if err := target.Reach(ctx, t.addr, f.timeout); err != nil {
		t.close()
		return nil, fmt.Errorf("cannot reach %s: %w", t.addr, err)
	}
	return t, nil
}

// crashNote says how the -exec process ended, if it did during the run; "" otherwise.
func (t *underTest) crashNote() string {
	if t.proc == nil {
		return ""
	}
	// Describe first gives a process that has closed its port time to finish exiting.
	desc := t.proc.Describe()
	if !t.proc.Exited() || t.proc.Stopped() {
		// A process this run stopped (a restart cut short) did not crash.
		return ""
	}
	return desc
}

// replayCommand is the command line that re-runs file against the target of f.
func replayCommand(file string, f *testerFlags) string {
	return strings.Join(append([]string{"conform", "replay", shellQuote(file)}, targetFlags(f)...), " ")
}

// targetFlags name the target again in a command to paste, as the user gave it: nothing for
// the built-in server (the command starts a fresh one), the -exec command (the server this run
// started is stopped by then, and with {port} its port was this run's alone), else -addr.
func targetFlags(f *testerFlags) []string {
	var args []string
	if f.addr != "" {
		args = append(args, "-addr", shellQuote(f.addr))
	}
	if f.execCmd != "" {
		args = append(args, "-exec", shellQuote(f.execCmd))
	}
	return args
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain path characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@[]") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runError says why a tester's run stopped short and is its exit status: exitUsage for an
// error that is usage (a Config the tester refused), exitUnreachable for one that is
// unreachable (nil: none is), exitFail for any other.
func (f *testerFlags) runError(stderr io.Writer, err, usage, unreachable error) int {
	fmt.Fprintf(stderr, "conform %s: %v\n", f.name, err)
	switch {
	case errors.Is(err, usage):
		return exitUsage
	case unreachable != nil && errors.Is(err, unreachable):
		return exitUnreachable
	}
	return exitFail
}

// writeReport writes a subcommand's result: as text or JSON, to stdout or -o. With -o or JSON the
// verdict lines still go to stderr, so that a terminal or a CI log shows the outcome.
func writeReport(f *testerFlags, stdout, stderr io.Writer, text func(io.Writer) error, doc any, verdict string) error {
	write := formatWriters{
		"text": text,
		"json": func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			// Scripts hold "->": keep them readable, the document is no HTML.
			enc.SetEscapeHTML(false)
			return enc.Encode(doc)
		},
		// Only a subcommand whose report has these forms takes them (testerFlags.junit, html).
		"junit": func(w io.Writer) error { return doc.(interface{ WriteJUnit(io.Writer) error }).WriteJUnit(w) },
		"html":  func(w io.Writer) error { return doc.(interface{ WriteHTML(io.Writer) error }).WriteHTML(w) },
	}
	if err := writeTo(f.out, stdout, write[f.format]); err != nil {
		return err
	}
	if f.format != "text" || f.out != "" {
		fmt.Fprint(stderr, verdict)
	}
	return nil
}

// lazyFile creates its file on the first write: a file that is written only when there is
// something to say, such as the visualization of a failure.
type lazyFile struct {
	path string
	f    *os.File
	err  error
}

func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = os.Create(l.path)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Write(p)
}

// Close closes the file, if it was created, and reports whether it was.
func (l *lazyFile) Close() (bool, error) {
	if l.f == nil {
		return false, l.err
	}
	return true, errors.Join(l.err, l.f.Close())
}
