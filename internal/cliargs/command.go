package cliargs

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// Command is one command line of the toolkit, "conform", "conform fuzz", "refclient backup":
// its flags, and the text that explains it. Every command answers alike: -h prints the help on
// stdout and exits 0; a usage error prints one line and a hint on stderr and exits 2.
type Command struct {
	Name  string // as the user types it
	Usage string // what comes before the flags in the help: synopsis, description, exit status
	Flags *flag.FlagSet
	// Renamed maps each old name Rename kept readable to the flag's name now.
	Renamed map[string]string
}

// Rename keeps a flag readable under the name it had before now, so that the command lines
// already written go on working; the help shows the name now only. The flag now must be
// defined.
func (c *Command) Rename(old, now string) {
	f := c.Flags.Lookup(now)
	if f == nil {
		panic("cliargs: Rename of an undefined flag -" + now)
	}
	c.Flags.Var(f.Value, old, "old name of -"+now)
	if c.Renamed == nil {
		c.Renamed = map[string]string{}
	}
	c.Renamed[old] = now
}

// New makes a command whose flag set prints nothing of its own: Fail does.
func New(name, usage string) *Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &Command{Name: name, Usage: usage, Flags: fs}
}

// Parse parses the flags from args, as the package's Parse does, and returns the positional
// arguments.
func (c *Command) Parse(args []string) ([]string, error) { return Parse(c.Flags, args) }

// PrintHelp writes the usage text, then the flags with their defaults.
func (c *Command) PrintHelp(w io.Writer) {
	fmt.Fprint(w, c.Usage)
	if !strings.HasSuffix(c.Usage, "\n") {
		fmt.Fprintln(w)
	}
	// The flags without their old names, which stay out of the help.
	shown := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	var any bool
	c.Flags.VisitAll(func(f *flag.Flag) {
		if _, old := c.Renamed[f.Name]; !old {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
			any = true
		}
	})
	if !any {
		return
	}
	fmt.Fprint(w, "\nflags:\n")
	shown.SetOutput(w)
	shown.PrintDefaults()
}

// Usagef is an error of the command line found after its flags were parsed: a bad value, a
// missing argument.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// UsageError is an error of the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Fail reports an error of the command line and returns the exit status: for -h, the help on
// stdout and 0; for anything else, the error and a hint on stderr, and 2.
func (c *Command) Fail(err error, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		c.PrintHelp(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v%s\nrun '%s -h' for usage\n", c.Name, err, c.flagMeant(err), c.Name)
	return 2
}

// flagMeant names the flag an undefined one most likely meant: ": did you mean -max-size?",
// or "".
func (c *Command) flagMeant(err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return ""
	}
	var names []string
	c.Flags.VisitAll(func(f *flag.Flag) {
		if _, old := c.Renamed[f.Name]; !old {
			names = append(names, f.Name)
		}
	})
	if meant, ok := Suggest(strings.TrimPrefix(name, "-"), names); ok {
		return ": did you mean -" + meant + "?"
	}
	return ""
}

// CheckAddr checks a host:port flag's value: a host (or none, for every interface) and a port
// number. It says what is wrong in the flag's name.
func CheckAddr(flagName, addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Usagef("-%s %q: want host:port, as 127.0.0.1:9000", flagName, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Usagef("-%s %q: the port %q is no number from 0 to 65535", flagName, addr, port)
	}
	return nil
}
