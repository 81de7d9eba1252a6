package clienttest

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
)

// Config is what a run tests and how.
type Config struct {
	// Command is the client and its arguments. It runs in a fresh copy of Dir for every scenario,
	// which holds server.info and backup.info; a relative program path is taken from there.
	Command []string
	// Dir is the client's folder, copied for every scenario ("" copies nothing). The copy leaves
	// out .git and any server.info, backup.info and tmp it holds.
	Dir string
	// Listen serves the scenarios on host:port, one per run of a client that conform does not
	// start (another machine, a GUI): Command is then empty, and the cases that need the
	// client's files, output or memory are skipped.
	Listen string
	// Announce, with Listen, is told which scenario the next run of the client meets, before
	// conform waits for it, and when that run has ended.
	Announce func(Announcement)
	// Run and Skip select cases by ID; nil selects all, skips none.
	Run, Skip *regexp.Regexp
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// Timeout bounds one run of the client: one still running then is killed, with its process
	// group, and has hung. Default 30s.
	Timeout time.Duration
	// Wait is how long the server waits, on a connection it keeps, for the client to act after
	// a whole response (send, close, connect, end) before it takes the client to be waiting for
	// the close and closes the connection itself. Default 2s.
	Wait time.Duration
	// StallLimit is how long a client may hold a connection on which the server sends nothing
	// before robust/stalled-server fails. Default 45s, above the 30s many clients use.
	StallLimit time.Duration
	// Drip is how long the slow-drip scenario spreads each response over. Default 1s.
	Drip time.Duration
	// Quiet, with Listen, is how long no connection may be open or opened before a run counts
	// as ended. Default 3s.
	Quiet time.Duration
	// HugeSend is how many bytes the server sends after claiming a 4 GiB payload. Default 64 MiB.
	HugeSend int64
	// Parallel is how many scenarios run at once. Default 4.
	Parallel int
	// Baseline lists IDs of cases known to fail: their failure does not count, their pass is
	// reported.
	Baseline []string
	// Verbose keeps the bytes of passing cases too.
	Verbose bool
	// Keep leaves every scenario's folder in place and names it in the report.
	Keep bool
	// Progress, if set, is called as each scenario's run of the client ends, one at a time.
	Progress func(scenario string, summary string)
	// Capture, if set, records every connection of every scenario (-pcap).
	Capture *capture.Recorder
}

// Defaults of Config.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultWait       = 2 * time.Second
	DefaultStallLimit = 45 * time.Second
	DefaultDrip       = time.Second
	DefaultQuiet      = 3 * time.Second
	DefaultHugeSend   = 64 << 20
	DefaultParallel   = 4
)

// orDefault puts d in a setting left at zero or below.
func orDefault[T ~int | ~int64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func (c *Config) defaults() error {
	orDefault(&c.Timeout, DefaultTimeout)
	orDefault(&c.Wait, DefaultWait)
	orDefault(&c.StallLimit, DefaultStallLimit)
	orDefault(&c.Drip, DefaultDrip)
	orDefault(&c.Quiet, DefaultQuiet)
	orDefault(&c.HugeSend, DefaultHugeSend)
	orDefault(&c.Parallel, DefaultParallel)
	switch {
	case c.Listen == "" && len(c.Command) == 0:
		return &UsageError{Msg: "no client command to run, and no -listen address"}
	case c.Listen != "" && len(c.Command) > 0:
		return &UsageError{Msg: "a client command and -listen: conform starts the client, or serves one it does not start, not both"}
	case c.Listen != "":
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return &UsageError{Msg: fmt.Sprintf("listen address %q: %v", c.Listen, err)}
		}
	}
	if c.HugeSend > 1<<32-1 {
		return &UsageError{Msg: fmt.Sprintf("HugeSend %d is over what a 4 GiB claim can carry", c.HugeSend)}
	}
	return nil
}

// runLimit is how long a run of the client in sc may take: the stall scenario holds the client
// up to StallLimit by design, on top of its Timeout.
func (c *Config) runLimit(sc *Scenario) time.Duration {
	if sc.twist == twistStall {
		return c.Timeout + c.StallLimit
	}
	return c.Timeout
}

// Announcement tells the user of a Listen run what comes next.
type Announcement struct {
	Scenario Scenario
	// Index counts the runs from 0, of Runs in all.
	Index, Runs int
	// Addr is where the server listens: Listen, with its port once chosen.
	Addr string
	// Done: the run of Scenario has ended; otherwise it is about to begin.
	Done bool
}

// UsageError is a configuration the run cannot start with.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrNoCases is returned when the selection matches no case: a run that tests nothing must
// not look like a pass.
var ErrNoCases = errors.New("the selection matched no case")

// StartError says the client could not be started at all: the program is missing or cannot
// be run. A client that starts and fails is judged, not this.
type StartError struct {
	Command []string
	Err     error
}

func (e *StartError) Error() string {
	return fmt.Sprintf("cannot start the client %q: %v", e.Command, e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }
