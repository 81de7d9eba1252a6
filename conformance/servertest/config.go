package servertest

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/target"
)

// Config is what a run tests and how.
type Config struct {
	// Addr is the server under test, host:port.
	Addr string
	// Run and Skip select cases by ID; nil selects all, skips none.
	Run, Skip *regexp.Regexp
	// Strict makes SHOULD failures fail the run.
	Strict bool
	// Timeout bounds every connect, read and write, and, with an allowance for the bytes it
	// moves, every exchange; a server whose answers take longer to begin, as the diagnosis
	// measured, is waited for several times that instead. Default 5s.
	Timeout time.Duration
	// Deadline bounds the whole run: the cases it does not reach are reported as not run, with
	// the deadline that would reach them (Report.DeadlineNeeded). When the measured latency
	// says the catalog cannot fit, the cases that protect the most run first. Default 60s.
	Deadline time.Duration
	// Grace is how long the runner waits after a response's end for bytes that should not be
	// there. Default 50ms.
	Grace time.Duration
	// Parallel is how many cases run at once; cases that send bad input always run alone. Default 4.
	Parallel int
	// Keep leaves what the cases stored on the server.
	Keep bool
	// Dialect is "auto" (the diagnosis finds the server's status mapping and its layout of
	// responses, and any other than the spec's is reported and then spoken), "canonical" or the
	// name of a known dialect, whose wire format (status mapping and layout) is spoken whatever
	// the server does; a layout the diagnosis saw the server use is read by all the same.
	// Default auto.
	Dialect string
	// LargeSize is the size of the backup/large case's file: past the caps (10 MB, 16 MiB) that
	// servers put on a buffer or a file. Default 32 MiB.
	LargeSize int64
	// SkipLarge leaves the backup/large case out.
	SkipLarge bool
	// Clients is how many clients the concurrency cases run at once. Default 8.
	Clients int
	// Stall is how long the stalled client holds its connection at least. Default 300ms.
	Stall time.Duration
	// MaxSize is the server's size limit, when the tester knows it: security/size-over-limit
	// then checks that a BACKUP stating one byte more is answered 1003 before any payload byte
	// is sent. Unset, the runner cannot tell a limit from a slow upload and skips it.
	MaxSize int64
	// StallCutoff is the longest read deadline the transport/stall-cut-off case accepts from
	// the server; unset, that case is skipped, for a server's deadline may be minutes.
	StallCutoff time.Duration
	// MaxList bounds the listings and unchecked payloads the runner reads. Default 1 MiB.
	MaxList int64
	// Verbose keeps the bytes of passing cases in the report too.
	Verbose bool
	// Baseline lists IDs of cases known to fail: their failure does not count, their pass is
	// reported.
	Baseline []string
	// Root is the server's storage folder, when it is local: the runner then checks it for
	// files that escaped a user's folder and for leftovers of failed uploads.
	Root string
	// Exec is a command that starts the server under test listening on Addr; the runner starts
	// it, and restarts it after a crash.
	Exec []string
	// ExecStartTimeout bounds how long the Exec command may take to listen. Default 10s.
	ExecStartTimeout time.Duration
	// ExecRestartTimeout bounds how long a restart after a crash keeps trying. Default 15s.
	ExecRestartTimeout time.Duration
	// ExecLog receives the server's output under Exec; nil discards it.
	ExecLog io.Writer
	// ContinueAfterCrash runs the remaining cases after the server stopped answering (each
	// waits for it to answer again); by default the run stops there. Under Exec the server is
	// restarted and the run always goes on.
	ContinueAfterCrash bool
	// Progress, if set, is called as each case ends (one call at a time), and once more when
	// the run ends.
	Progress func(Progress)
	// Capture, if set, records every connection a case opens, under the case's ID (-pcap).
	Capture *capture.Recorder
}

func (c *Config) defaults() error {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Grace <= 0 {
		c.Grace = 50 * time.Millisecond
	}
	if c.Parallel <= 0 {
		c.Parallel = 4
	}
	if c.Dialect == "" {
		c.Dialect = "auto"
	}
	if c.Deadline <= 0 {
		c.Deadline = DefaultDeadline
	}
	if !KnownDialect(c.Dialect) {
		return &UsageError{Msg: fmt.Sprintf("unknown dialect %q: want %s", c.Dialect, spec.DialectNames())}
	}
	if c.LargeSize <= 0 {
		c.LargeSize = 32 << 20
	}
	if c.LargeSize > 1<<32-1 {
		return &UsageError{Msg: fmt.Sprintf("large size %d does not fit the 4-byte size field", c.LargeSize)}
	}
	if c.MaxSize < 0 || c.MaxSize > 1<<32-1 {
		return &UsageError{Msg: fmt.Sprintf("max size %d does not fit the 4-byte size field", c.MaxSize)}
	}
	if c.ExecStartTimeout <= 0 {
		c.ExecStartTimeout = target.DefaultStartTimeout
	}
	if c.Clients <= 0 {
		c.Clients = 8
	}
	if c.Stall <= 0 {
		c.Stall = 300 * time.Millisecond
	}
	if c.MaxList <= 0 {
		c.MaxList = 1 << 20
	}
	if c.Addr == "" && len(c.Exec) == 0 {
		return &UsageError{Msg: "no address to test"}
	}
	return nil
}

// DefaultDeadline bounds a run whose Config says nothing: whatever the server does, a run with
// the default flags ends within it.
const DefaultDeadline = 60 * time.Second

// KnownDialect reports whether Config.Dialect may be name.
func KnownDialect(name string) bool { return name == "auto" || spec.DialectByName(name) != nil }

// DialectNames lists what Config.Dialect may be: "canonical, seed003 or auto".
func DialectNames() string { return spec.DialectNames() }

// UsageError is a configuration the run cannot start with.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ErrNoCases is returned when the selection matches no case: a run that tests nothing must
// not look like a pass.
var ErrNoCases = errors.New("the selection matched no case")
