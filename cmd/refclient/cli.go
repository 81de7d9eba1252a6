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
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/wire"
)

// Exit codes.
const (
	exitOK      = 0
	exitStatus  = 1 // the server answered an error status
	exitUsage   = 2
	exitFailure = 3 // network or protocol failure, or a local file failing mid-transfer
)

const (
	defaultServer = "127.0.0.1:1234"
	// defaultTimeout is conform's -timeout, as every command of the toolkit bounds a connect, a
	// read and a write alike.
	defaultTimeout = 5 * time.Second
	// progressMin: smaller transfers end before a bar would tell anything.
	progressMin = 1 << 20
)

// cli is one invocation of the command, with its surroundings made explicit so that tests run
// it in-process.
type cli struct {
	ctx            context.Context
	dir            string // the working folder relative paths start from; "" is the process's
	stdout, stderr io.Writer
	stderrTerminal bool

	g      globals
	out    string           // restore -o
	runDir string           // run -dir
	cmd    *cliargs.Command // the command line being run, which reports its usage errors
}

type globals struct {
	addr       string
	addrFlag   string // the name the address came by: "addr", or its old name "server"
	user       userFlag
	format     string
	timeout    time.Duration
	maxTime    time.Duration
	speedLimit int64
	speedTime  time.Duration
	maxRestore cliargs.Size
	keepConns  bool
}

// jsonOut reports whether the results go out as one JSON document.
func (c *cli) jsonOut() bool { return c.g.format == "json" }

type userFlag struct {
	id  uint32
	set bool
}

func (u *userFlag) String() string {
	if !u.set {
		return ""
	}
	return strconv.FormatUint(uint64(u.id), 10)
}

func (u *userFlag) Set(s string) error {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return errors.New("not a number from 0 to 4294967295")
	}
	u.id, u.set = uint32(v), true
	return nil
}

type command struct {
	name, args, summary string
	about               string // what the command's help says after its synopsis
	flags               func(c *cli, fs *flag.FlagSet)
	run                 func(c *cli, args []string) int
}

// commands is set in init: the commands refer to it, to name one another in their errors.
var commands []command

func init() {
	commands = []command{
		{name: "backup", args: "FILE...", summary: "store each FILE on the server under its base name", run: (*cli).backup,
			about: "Stores each FILE on the server under its base name (docs/a.bin as a.bin), one BACKUP each.\n"},
		{name: "restore", args: "NAME [-o PATH]", summary: "fetch NAME into PATH (default: NAME in the current folder)", run: (*cli).restore,
			about: "Fetches the file NAME into PATH (default: NAME in the current folder). The file is\n" +
				"written whole or not at all, never under a name the server sends; a new file gets mode\n" +
				"0644 less the umask, a file replaced keeps its mode.\n",
			flags: func(c *cli, fs *flag.FlagSet) {
				fs.StringVar(&c.out, "o", "", "write the file to `PATH` (a folder: NAME inside it)")
			}},
		{name: "delete", args: "NAME", summary: "remove NAME from the server", run: (*cli).delete,
			about: "Removes the file NAME from the server.\n"},
		{name: "list", summary: "print the names of the user's files on the server", run: (*cli).list,
			about: "Prints the names of the user's files on the server.\n"},
		{name: "run", args: "[-dir DIR]", summary: "the exercise's scripted run, with server.info and backup.info from DIR", run: (*cli).script,
			about: "The exercise's scripted run (SPEC.md §6), with the files of DIR:\n" +
				"  server.info  one line, the server's host:port (127.0.0.1:1234)\n" +
				"  backup.info  the files to back up, one name per line; the run backs up the first two\n" +
				"It picks a random user (or -user's), then: LIST; BACKUP file 1; BACKUP file 2; LIST;\n" +
				"RESTORE file 1 as DIR/tmp; DELETE file 1; RESTORE file 1 again, which must answer 1001.\n",
			flags: func(c *cli, fs *flag.FlagSet) {
				fs.StringVar(&c.runDir, "dir", ".", "the `folder` holding server.info, backup.info and the files; tmp is written there")
			}},
	}
}

const exitStatusHelp = "Exit status: 0 success, 1 the server answered an error status, 2 usage error,\n" +
	"3 network or protocol failure (or a local file failing during a transfer).\n"

// commandNames lists the commands as a usage error offers them: "backup, ... list or run".
func commandNames() string {
	names := make([]string, len(commands))
	for i, cmd := range commands {
		names[i] = cmd.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func lookupCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func (c *cli) run(args []string) int {
	if c.ctx == nil {
		c.ctx = context.Background()
	}
	out := &checkedWriter{w: c.stdout}
	c.stdout = out
	code := c.dispatch(args)
	if out.err != nil {
		fmt.Fprintf(c.stderr, "refclient: writing the results: %v\n", out.err)
		code = max(code, exitFailure)
	}
	return code
}

// checkedWriter keeps the first write error, so that output lost to a full disk or a closed
// pipe turns into a failure instead of a silent success.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (w *checkedWriter) Write(b []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.w.Write(b)
	w.err = err
	return n, err
}

// dispatch parses the global flags up to the command, then the command's own flags (the global
// ones again among them) and arguments, in any order.
func (c *cli) dispatch(args []string) int {
	c.g.timeout, c.g.format = defaultTimeout, "text"
	c.g.speedLimit, c.g.speedTime = client.DefaultMinRate, client.DefaultMinRateTime
	c.g.maxRestore = cliargs.Size{N: client.DefaultMaxRestore, Max: cliargs.MaxSizeField}
	var b strings.Builder
	b.WriteString("usage: refclient [flags] COMMAND [flags] [args]\n\nThe reference FBP client.\n\ncommands:\n")
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  %-24s %s\n", strings.TrimSpace(cmd.name+" "+cmd.args), cmd.summary)
	}
	fmt.Fprintf(&b, "  %-24s %s\n", "version", "the version of this build")
	b.WriteString("\nThe flags below go before or after the command; each command has its own help\n" +
		"(refclient run -h).\n" + exitStatusHelp)
	c.cmd = c.command("refclient", b.String())
	if len(args) > 0 && (args[0] == "-version" || args[0] == "--version") {
		args = append([]string{"version"}, args[1:]...)
	}
	if err := c.cmd.Flags.Parse(args); err != nil {
		return c.usageFail(misplacedFlag(err))
	}
	c.cmd.Flags.Visit(c.noteAddrFlag)
	rest := c.cmd.Flags.Args()
	if len(rest) == 0 {
		return c.usageFail(cliargs.Usagef("no command given: want %s", commandNames()))
	}
	switch rest[0] {
	case "help":
		c.cmd.PrintHelp(c.stdout)
		return exitOK
	case "version":
		fmt.Fprintln(c.stdout, cliargs.Version("refclient"))
		return exitOK
	}
	cmd := lookupCommand(rest[0])
	if cmd == nil {
		return c.usageFail(unknownCommand(rest[0]))
	}
	c.cmd = c.command("refclient "+cmd.name, fmt.Sprintf("usage: refclient %s [flags]\n\n%s%s",
		strings.TrimSpace(cmd.name+" "+cmd.args), cmd.about, exitStatusHelp))
	if cmd.flags != nil {
		cmd.flags(c, c.cmd.Flags)
	}
	pos, err := c.cmd.Parse(rest[1:])
	if err != nil {
		return c.usageFail(misplacedFlag(err))
	}
	c.cmd.Flags.Visit(c.noteAddrFlag)
	if c.g.timeout <= 0 || c.g.speedLimit <= 0 || c.g.speedTime <= 0 {
		return c.usageFail(cliargs.Usagef("-timeout, -speed-limit and -speed-time must be positive"))
	}
	if c.g.maxTime < 0 {
		return c.usageFail(cliargs.Usagef("-max-time must not be negative (0: no bound)"))
	}
	if c.g.format != "text" && c.g.format != "json" {
		return c.usageFail(cliargs.Usagef("-format %q: want text or json", c.g.format))
	}
	if c.g.addr != "" {
		if err := cliargs.CheckAddr(c.g.addrFlag, c.g.addr); err != nil {
			return c.usageFail(err)
		}
	}
	return cmd.run(c, pos)
}

// noteAddrFlag remembers which name gave the server's address, so that an error names it.
func (c *cli) noteAddrFlag(f *flag.Flag) {
	if f.Name == "addr" || f.Name == "server" {
		c.g.addrFlag = f.Name
	}
}

// command returns a command line holding the global flags, so that they may follow the
// command. Their current values are the defaults, so that parsing one set does not undo
// another. The flags that conform also has bear its names and defaults; the older names
// still work.
func (c *cli) command(name, usage string) *cliargs.Command {
	cmd := cliargs.New(name, usage)
	fs := cmd.Flags
	fs.StringVar(&c.g.addr, "addr", c.g.addr, "the server's `host:port` (default: the one server.info names, else "+defaultServer+"; run needs server.info or -addr)")
	fs.Var(&c.g.user, "user", "user `id`, 0 to 4294967295 (default: random, printed)")
	fs.StringVar(&c.g.format, "format", c.g.format, "output: text, or json for one JSON document on stdout")
	fs.BoolFunc("json", "the same as -format json", func(v string) error {
		on, err := strconv.ParseBool(v)
		if on {
			c.g.format = "json"
		}
		return err
	})
	fs.DurationVar(&c.g.timeout, "timeout", c.g.timeout, "deadline of every connect, and of every read and write: give up on a server that moves no data for this `duration`")
	fs.DurationVar(&c.g.maxTime, "max-time", c.g.maxTime, "give up on a request that takes longer than this `duration` in all (0: no bound; -speed-limit ends a trickle)")
	fs.Int64Var(&c.g.speedLimit, "speed-limit", c.g.speedLimit, "give up on a transfer slower than this many `bytes` a second over -speed-time")
	fs.DurationVar(&c.g.speedTime, "speed-time", c.g.speedTime, "the `duration` over which -speed-limit is averaged")
	fs.Var(&c.g.maxRestore, "max-restore", "largest file restore accepts, refused before a byte is written (`size`, e.g. 4GiB-1 at most: 4294967295)")
	fs.BoolVar(&c.g.keepConns, "keep-conns", c.g.keepConns, "send every request of the user on one connection, kept open (default: a connection per request)")
	cmd.Rename("server", "addr")
	cmd.Rename("reuse", "keep-conns")
	return cmd
}

// misplacedFlag turns an unknown flag that another command takes into the order put right:
// "-dir belongs to run and comes after it: refclient run [-dir DIR]".
func misplacedFlag(err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	for _, cmd := range commands {
		if cmd.flags == nil {
			continue
		}
		fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
		cmd.flags(&cli{}, fs)
		if fs.Lookup(name) != nil {
			return cliargs.Usagef("-%s belongs to %s and comes after it: refclient %s %s", name, cmd.name, cmd.name, cmd.args)
		}
	}
	return err
}

// unknownCommand is the usage error of a word that names no command: one a letter or two from
// a command is that command mistyped.
func unknownCommand(word string) error {
	names := []string{"help", "version"}
	for _, cmd := range commands {
		names = append(names, cmd.name)
	}
	if name, ok := cliargs.Suggest(word, names); ok {
		return cliargs.Usagef("unknown command %q: did you mean %q?", word, name)
	}
	return cliargs.Usagef("unknown command %q: want %s", word, commandNames())
}

// wrongArgs is the usage error of a command given the wrong number of arguments: a command
// name among them gets the order put right.
func wrongArgs(cmd string, args []string, format string, a ...any) error {
	for _, arg := range args {
		if other := lookupCommand(arg); other != nil {
			return cliargs.Usagef("%q after %s: refclient does one command at a time (refclient %s)",
				arg, cmd, strings.TrimSpace(other.name+" "+other.args))
		}
	}
	return cliargs.Usagef(format, a...)
}

// usageFail reports a mistake in the command line, or in the files it names, found before any
// request is sent: -h prints the help on stdout, anything else one line and the hint.
func (c *cli) usageFail(err error) int { return c.cmd.Fail(err, c.stdout, c.stderr) }

// path resolves a path given on the command line against the working folder.
func (c *cli) path(p string) string {
	if c.dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.dir, p)
}

// connect makes the client: the server is -server, else the one server.info in folder names,
// else the default.
func (c *cli) connect(folder string) (*client.Client, error) {
	addr := c.g.addr
	if addr == "" {
		addr = defaultServer
		info := filepath.Join(folder, "server.info")
		b, err := os.ReadFile(c.path(info))
		switch {
		case err == nil:
			line, _, _ := strings.Cut(string(b), "\n")
			addr = strings.TrimSpace(line)
			if cliargs.CheckAddr("server", addr) != nil {
				return nil, cliargs.Usagef("%s holds %q: want one line, the server's host:port (127.0.0.1:1234)", info, addr)
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, cliargs.Usagef("reading %v", err)
		}
	}
	return client.New(addr, client.Options{
		ReuseConn:    c.g.keepConns,
		DialTimeout:  c.g.timeout,
		StallTimeout: c.g.timeout,
		MaxTime:      c.g.maxTime,
		MinRate:      c.g.speedLimit,
		MinRateTime:  c.g.speedTime,
		MaxRestore:   uint32(c.g.maxRestore.N),
		Progress:     c.progress(),
	}), nil
}

// user returns the -user id, or picks a random one and says so.
func (c *cli) user() (id uint32, random bool) {
	if c.g.user.set {
		return c.g.user.id, false
	}
	var b [4]byte
	rand.Read(b[:])
	c.g.user = userFlag{id: binary.LittleEndian.Uint32(b[:]), set: true}
	return c.g.user.id, true
}

// announceUser tells a person which random id a single command used, so that they can act as
// that user again.
func (c *cli) announceUser(id uint32, random bool) {
	if random && !c.jsonOut() {
		fmt.Fprintf(c.stderr, "refclient: user %d (random; -user %d to use it again)\n", id, id)
	}
}

// progress shows a bar on a terminal for transfers over progressMin; never in JSON mode or
// when stderr goes to a file or a pipe.
func (c *cli) progress() func(op wire.Op, name string, size int64) client.ProgressMeter {
	if !c.stderrTerminal || c.jsonOut() {
		return nil
	}
	return func(op wire.Op, name string, size int64) client.ProgressMeter {
		if size <= progressMin {
			return nil
		}
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(c.stderr),
			progressbar.OptionSetDescription(op.String()+" "+name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
		return &barMeter{bar: bar, w: c.stderr}
	}
}

type barMeter struct {
	bar *progressbar.ProgressBar
	w   io.Writer
}

// Add ignores the bar's write errors: a display that fails must not fail the transfer.
func (m *barMeter) Add(n int) { m.bar.Add(n) }

func (m *barMeter) Done(err error) {
	if err == nil {
		m.bar.Finish()
		return
	}
	// Keep the bar where it stopped, and start the error on a line of its own.
	m.bar.Exit()
	fmt.Fprintln(m.w)
}

// result is the outcome of one request, as -json prints it.
type result struct {
	User       uint32   `json:"user"`
	Server     string   `json:"server"`
	Op         string   `json:"op"`
	Name       string   `json:"name,omitempty"`
	Path       string   `json:"path,omitempty"` // the local file read or written
	Status     int      `json:"status,omitzero"`
	StatusName string   `json:"status_name,omitempty"`
	Bytes      *int64   `json:"bytes,omitempty"` // the file's size, for a BACKUP or RESTORE that moved it
	Files      []string `json:"files,omitzero"`  // LIST: empty, not absent, for 1002
	OK         bool     `json:"ok"`
	Error      string   `json:"error,omitempty"`

	op   wire.Op
	code int    // exit code this outcome calls for
	text string // the line a person reads
}

func (c *cli) newResult(cl *client.Client, user uint32, op wire.Op, name string) *result {
	return &result{User: user, Server: cl.Addr(), Op: op.String(), Name: name, op: op}
}

// settle records the server's answer: status is the success status when err is nil. An error
// status is told as the rest of the toolkit tells it, by its name for the op (1001 (not-found)).
func (r *result) settle(success wire.Status, err error) {
	status, answered := statusOf(err)
	if err == nil {
		status, answered = success, true
	}
	if answered {
		r.Status, r.StatusName = int(status), status.Name(r.op)
	}
	r.OK = err == nil
	switch {
	case err == nil:
	case answered:
		r.code = exitStatus
		where := strings.ToLower(r.Op)
		if r.Name != "" {
			where += " " + strconv.Quote(r.Name)
		}
		r.Error = fmt.Sprintf("%s on %s: %s", where, r.Server, r.answerText(status))
	default:
		r.code = exitFailure
		r.Error = err.Error()
	}
}

// statusOf returns the status the server answered with, if err is such an answer.
func statusOf(err error) (wire.Status, bool) {
	var se *client.StatusError
	switch {
	case errors.Is(err, client.ErrNotExist):
		return wire.StatusNotExist, true
	case errors.Is(err, client.ErrNoFiles):
		return wire.StatusNoFiles, true
	case errors.As(err, &se):
		return se.Status, true
	}
	return 0, false
}

// statusText is a status as conform prints it: "212 (backup-ok)".
func (r *result) statusText(s wire.Status) string {
	return fmt.Sprintf("%d (%s)", uint16(s), s.Name(r.op))
}

// answerText says what an error status means for the request: "1001 (not-found), not on the
// server".
func (r *result) answerText(s wire.Status) string {
	switch s {
	case wire.StatusNotExist:
		return r.statusText(s) + ", not on the server"
	case wire.StatusNoFiles:
		return r.statusText(s) + ", no files"
	case wire.StatusServerError:
		return r.statusText(s)
	}
	return r.statusText(s) + ", not an answer to " + r.Op
}

// failureText is the line for a request the server did not grant.
func (r *result) failureText(err error) string {
	subject := r.Op
	if r.Name != "" {
		subject += " " + r.Name
	}
	if status, answered := statusOf(err); answered {
		return subject + ": " + r.answerText(status)
	}
	return fmt.Sprintf("%s: failed: %v", subject, err)
}

func (c *cli) doBackup(cl *client.Client, user uint32, path, name string) *result {
	r := c.newResult(cl, user, wire.OpBackup, name)
	r.Path = path
	err := func() error {
		f, err := os.Open(c.path(path))
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		r.Bytes = new(st.Size())
		return cl.Backup(c.ctx, user, name, f, st.Size())
	}()
	r.settle(wire.StatusOK, err)
	if err != nil {
		r.text = r.failureText(err)
	} else {
		r.text = fmt.Sprintf("BACKUP %s: %s, %d bytes stored", name, r.statusText(wire.StatusOK), *r.Bytes)
	}
	return r
}

func (c *cli) doRestore(cl *client.Client, user uint32, name, path string) *result {
	r := c.newResult(cl, user, wire.OpRestore, name)
	r.Path = path
	n, err := cl.RestoreFile(c.ctx, user, name, c.path(path))
	if errors.Is(err, wire.ErrPayloadTooLarge) {
		err = fmt.Errorf("%w (-max-restore raises the limit)", err)
	}
	r.settle(wire.StatusRestored, err)
	if err != nil {
		r.text = r.failureText(err)
	} else {
		r.Bytes = new(n)
		r.text = fmt.Sprintf("RESTORE %s: %s, %d bytes saved to %s", name, r.statusText(wire.StatusRestored), n, path)
	}
	return r
}

func (c *cli) doDelete(cl *client.Client, user uint32, name string) *result {
	r := c.newResult(cl, user, wire.OpDelete, name)
	err := cl.Delete(c.ctx, user, name)
	r.settle(wire.StatusOK, err)
	if err != nil {
		r.text = r.failureText(err)
	} else {
		r.text = fmt.Sprintf("DELETE %s: %s, deleted", name, r.statusText(wire.StatusOK))
	}
	return r
}

// doList treats 1002 as an empty listing: a user with no files is no failure.
func (c *cli) doList(cl *client.Client, user uint32) *result {
	r := c.newResult(cl, user, wire.OpList, "")
	names, err := cl.List(c.ctx, user)
	if errors.Is(err, client.ErrNoFiles) {
		r.Status, r.StatusName, r.OK, r.Files = int(wire.StatusNoFiles), wire.StatusNoFiles.Name(r.op), true, []string{}
		r.text = "LIST: " + r.statusText(wire.StatusNoFiles) + ", no files"
		return r
	}
	r.settle(wire.StatusListed, err)
	if err != nil {
		r.text = r.failureText(err)
		return r
	}
	r.Files = names
	var b strings.Builder
	fmt.Fprintf(&b, "LIST: %s, %s", r.statusText(wire.StatusListed), words.Count(len(names), "file"))
	for _, n := range names {
		b.WriteString("\n  " + n)
	}
	r.text = b.String()
	return r
}

// report prints the outcome of a single command: text on stdout, failures on stderr, or the
// JSON document v on stdout (and failures on stderr too, for a person watching).
func (c *cli) report(v any, results ...*result) int {
	code := exitOK
	for _, r := range results {
		code = max(code, r.code)
		switch {
		case !r.OK:
			fmt.Fprintf(c.stderr, "refclient: %s\n", r.Error)
		case !c.jsonOut():
			fmt.Fprintln(c.stdout, r.text)
		}
	}
	if c.jsonOut() {
		c.emit(v)
	}
	return code
}

func (c *cli) emit(v any) {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(c.stderr, "refclient: writing the JSON result: %v\n", err)
	}
}

// checkLocalFile checks, before any request, that path names a regular file that can be backed
// up as name.
func (c *cli) checkLocalFile(path string) (name string, err error) {
	st, err := os.Stat(c.path(path))
	if err != nil {
		return "", cliargs.Usagef("cannot back up %v", err)
	}
	if !st.Mode().IsRegular() {
		return "", cliargs.Usagef("cannot back up %s: not a regular file", path)
	}
	if st.Size() > math.MaxUint32 {
		return "", cliargs.Usagef("cannot back up %s: %d bytes, over the protocol's limit of 4 GiB - 1", path, st.Size())
	}
	name = filepath.Base(path)
	if err := wire.CheckName([]byte(name), wire.DefaultMaxName); err != nil {
		return "", cliargs.Usagef("cannot back up %s: %v", path, err)
	}
	return name, nil
}

func checkName(name string) error {
	if err := wire.CheckName([]byte(name), wire.DefaultMaxName); err != nil {
		return cliargs.Usagef("%v", err)
	}
	return nil
}

// open connects and picks the user, as every single command does before its requests.
func (c *cli) open() (*client.Client, uint32, error) {
	cl, err := c.connect(".")
	if err != nil {
		return nil, 0, err
	}
	user, random := c.user()
	c.announceUser(user, random)
	return cl, user, nil
}

func (c *cli) backup(args []string) int {
	if len(args) == 0 {
		return c.usageFail(cliargs.Usagef("no FILE given: want the files to back up"))
	}
	names := make([]string, len(args))
	from := map[string]string{}
	for i, path := range args {
		name, err := c.checkLocalFile(path)
		if err != nil {
			return c.usageFail(err)
		}
		if other, dup := from[name]; dup {
			return c.usageFail(cliargs.Usagef("%s and %s would both be stored as %s", other, path, name))
		}
		from[name], names[i] = path, name
	}
	cl, user, err := c.open()
	if err != nil {
		return c.usageFail(err)
	}
	defer cl.Close()
	results := make([]*result, len(args))
	for i, path := range args {
		results[i] = c.doBackup(cl, user, path, names[i])
	}
	return c.report(results, results...)
}

func (c *cli) restore(args []string) int {
	if len(args) != 1 {
		return c.usageFail(wrongArgs("restore", args, "want one NAME, got %d arguments", len(args)))
	}
	name := args[0]
	if err := checkName(name); err != nil {
		return c.usageFail(err)
	}
	// the file goes where the user says, or under the name the user asked for; never
	// under a name from the response.
	target := name
	if c.out != "" {
		target = c.out
		if st, err := os.Stat(c.path(target)); err == nil && st.IsDir() {
			target = filepath.Join(target, name)
		}
	}
	if st, err := os.Stat(c.path(filepath.Dir(target))); err != nil || !st.IsDir() {
		return c.usageFail(cliargs.Usagef("cannot write %s: %s is not a folder", target, filepath.Dir(target)))
	}
	cl, user, err := c.open()
	if err != nil {
		return c.usageFail(err)
	}
	defer cl.Close()
	r := c.doRestore(cl, user, name, target)
	return c.report(r, r)
}

func (c *cli) delete(args []string) int {
	if len(args) != 1 {
		return c.usageFail(wrongArgs("delete", args, "want one NAME, got %d arguments", len(args)))
	}
	if err := checkName(args[0]); err != nil {
		return c.usageFail(err)
	}
	cl, user, err := c.open()
	if err != nil {
		return c.usageFail(err)
	}
	defer cl.Close()
	r := c.doDelete(cl, user, args[0])
	return c.report(r, r)
}

func (c *cli) list(args []string) int {
	if len(args) != 0 {
		return c.usageFail(wrongArgs("list", args, "unexpected arguments %q: list takes none", args))
	}
	cl, user, err := c.open()
	if err != nil {
		return c.usageFail(err)
	}
	defer cl.Close()
	r := c.doList(cl, user)
	return c.report(r, r)
}
