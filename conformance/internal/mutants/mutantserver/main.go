// Command mutantserver serves one mutant of the zoo as a real process, for conformance runs
// against a server the runner does not start itself.
//
//	mutantserver -fault NAME[,NAME...] [-addr 127.0.0.1:0] [-delay 3s] [-read-timeout 10s] [-max-size N]
//	             [-drip 1s] [-max-concurrent 1] [-fail-starts N -state FILE] [-fail-restarts -state FILE]
//	mutantserver -list
//	mutantserver -problems
//
// Several names separated by commas switch on every fault of each: a server wrong in several
// ways at once.
//
// -fail-starts N -state FILE makes the first N starts fail at once, as a server that does not
// set SO_REUSEADDR fails to bind its port again while the connections of its previous run are
// in TIME_WAIT: it prints "listen tcp ADDR: bind: address already in use" to stderr and exits
// with status 1. FILE counts the starts (a missing file counts none), so that a supervisor's
// retries with backoff can be tested; it is not locked, for a supervisor starts one at a time.
//
// -fail-restarts -state FILE makes every start after the first end at once with an error of
// the server's own, as a server does that cannot open what its crash left behind (a store still
// locked): it prints "fatal: cannot open the store: locked by a previous run" to stderr and exits
// with status 1. A supervisor that restarts it after a crash must report that once, not try
// it again and again.
//
// When it is ready it prints one line, "listening on ADDR", to stdout. SIGINT and SIGTERM stop
// it with status 0. A mutant whose fault kills the server (dies-on-unknown-op and the others
// whose description says so) exits with status 2 when it dies, so that a supervisor sees a
// crash; every other error exits with status 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitDied  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mutantserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fault := fs.String("fault", "none", "the mutant to serve (see -list); names separated by commas combine their faults")
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	list := fs.Bool("list", false, "print every mutant with its description and exit")
	listProblems := fs.Bool("problems", false, "print every mutant with the number of faults it switches on (none for a variation the spec allows) and the problems conform must report, by ID (? when not agreed), and exit")
	delay := fs.Duration("delay", mutants.LateAnswerDelay, "late-answer: wait before every response")
	readTimeout := fs.Duration("read-timeout", mutants.DefaultReadTimeout, "deadline of every read and write")
	maxSize := fs.Uint("max-size", mutants.DefaultMaxFileSize, "largest BACKUP size accepted, in bytes (1 to 4294967295)")
	drip := fs.Duration("drip", mutants.DefaultDripInterval, "drip: wait between the bytes of a response")
	maxConcurrent := fs.Int("max-concurrent", mutants.DefaultMaxConcurrent, "serves-one-at-a-time: connections served at once")
	failStarts := fs.Int("fail-starts", 0, "fail the first N starts counted in -state, as a bind to a port in use fails")
	failRestarts := fs.Bool("fail-restarts", false, "end every start after the first counted in -state at once, with an error of the server's own")
	state := fs.String("state", "", "file that counts the starts, for -fail-starts and -fail-restarts")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mutantserver: unexpected arguments %q\n", fs.Args())
		return exitError
	}
	if *list {
		for _, m := range mutants.All() {
			fmt.Fprintf(stdout, "%s\t%s\n", m.Name, m.Desc)
		}
		return exitOK
	}
	if *listProblems {
		for _, m := range mutants.All() {
			faults := len(m.Faults)
			if m.Allowed {
				// What the spec allows is no fault.
				faults = 0
			}
			fmt.Fprintf(stdout, "%s\t%d\t%s\n", m.Name, faults, problemIDs(m))
		}
		return exitOK
	}
	if *maxSize == 0 || *maxSize > 1<<32-1 || *delay <= 0 || *readTimeout <= 0 || *drip <= 0 || *maxConcurrent <= 0 {
		fmt.Fprintln(stderr, "mutantserver: -max-size, -delay, -read-timeout, -drip and -max-concurrent must be positive (and -max-size fit 32 bits)")
		return exitError
	}
	if *failStarts < 0 || (*failStarts > 0 || *failRestarts) != (*state != "") || *failStarts > 0 && *failRestarts {
		fmt.Fprintln(stderr, "mutantserver: -fail-starts takes a count of 0 or more; -state goes with a positive one or with -fail-restarts, which -fail-starts excludes")
		return exitError
	}
	s, err := mutants.NewWithOptions(*fault, mutants.Options{
		AnswerDelay:   *delay,
		ReadTimeout:   *readTimeout,
		MaxFileSize:   uint32(*maxSize),
		DripInterval:  *drip,
		MaxConcurrent: *maxConcurrent,
	})
	if err != nil {
		fmt.Fprintf(stderr, "mutantserver: %v\n", err)
		return exitError
	}
	if *failRestarts {
		starts, err := countStart(*state)
		if err != nil {
			fmt.Fprintf(stderr, "mutantserver: %v\n", err)
			return exitError
		}
		if starts > 0 {
			fmt.Fprintln(stderr, "fatal: cannot open the store: locked by a previous run")
			return exitError
		}
	}
	if *failStarts > 0 {
		starts, err := countStart(*state)
		fail := starts < *failStarts
		if err != nil {
			fmt.Fprintf(stderr, "mutantserver: %v\n", err)
			return exitError
		}
		if fail {
			// What a listen without SO_REUSEADDR says while the old port is in TIME_WAIT.
			fmt.Fprintf(stderr, "mutantserver: listen tcp %s: bind: address already in use\n", *addr)
			return exitError
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "mutantserver: %v\n", err)
		return exitError
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	go func() {
		if _, ok := <-signals; ok {
			_ = s.Close()
		}
	}()
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	err = s.Serve(ln)
	switch {
	case errors.Is(err, mutants.ErrDied):
		fmt.Fprintf(stderr, "mutantserver: %s: %v\n", *fault, err)
		return exitDied
	case errors.Is(err, mutants.ErrServerClosed):
		return exitOK
	}
	fmt.Fprintf(stderr, "mutantserver: %v\n", err)
	return exitError
}

// countStart counts one more start in the state file and returns how many came before it.
func countStart(file string) (int, error) {
	starts := 0
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("-state: %w", err)
	default:
		if starts, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || starts < 0 {
			return 0, fmt.Errorf("-state %s: %q is not a count of starts", file, b)
		}
	}
	if err := os.WriteFile(file, []byte(strconv.Itoa(starts+1)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("-state: %w", err)
	}
	return starts, nil
}

// problemIDs are the distinct problems conform must report m as, sorted and separated by
// spaces, or "?" when a fault of m has none agreed.
func problemIDs(m mutants.Mutant) string {
	byFault, ok := m.Problems()
	if !ok {
		return "?"
	}
	ids := slices.Sorted(maps.Values(byFault))
	return strings.Join(slices.Compact(ids), " ")
}
