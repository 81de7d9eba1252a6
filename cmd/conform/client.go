package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/clienttest"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/cliargs"
)

const clientUsage = `usage: conform client [flags] -- COMMAND [ARGS...]
       conform client -listen host:port [flags]
       conform client -list

Tests an FBP client against SPEC.md by running it. For each scenario, conform starts a server of
its own on 127.0.0.1, copies -dir (the client's folder) to a fresh folder with server.info naming
that server and backup.info naming two files it makes, runs COMMAND there (a relative program
path is taken from that folder), and judges the bytes the client sends, the files it writes,
what it prints, its peak memory and how it ends. Build a compiled client first: its memory is
measured, and "go run" would be measured instead.

With -listen, conform serves the scenarios one per run to a client it does not start (another
machine, a GUI): it prints which scenario the next run meets, and a run ends when no
connection has been open for -quiet. Only the client's bytes are judged then.

Exit status: 0 every selected MUST case passed (and SHOULD under -strict), 1 a failure, 2 a
usage error or no case selected, 3 the client could not be started.
`

type clientOptions struct {
	cfg      clienttest.Config
	list     bool
	format   string
	out      string
	baseline string
	runRe    string
	skipRe   string
}

func parseClientFlags(args []string) (*clientOptions, *cliargs.Command, error) {
	o := &clientOptions{}
	c := &o.cfg
	cmd := cliargs.New("conform client", clientUsage)
	fs := cmd.Flags
	fs.StringVar(&c.Dir, "dir", ".", "the client's `folder`, copied for every scenario (its .git, server.info, backup.info and tmp left out)")
	fs.StringVar(&c.Listen, "listen", "", "serve the scenarios on `host:port` to a client conform does not start")
	fs.StringVar(&o.runRe, "run", "", "run only the cases whose ID or one of whose requirements (R-7.1) matches `regexp`")
	fs.StringVar(&o.skipRe, "skip", "", "leave out the cases whose ID or one of whose requirements matches `regexp`")
	fs.BoolVar(&o.list, "list", false, "print the cases and the scenarios, and run nothing")
	fs.BoolVar(&c.Strict, "strict", false, "SHOULD failures fail the run")
	// Not -timeout: that is a deadline of every read and write everywhere else.
	fs.DurationVar(&c.Timeout, "hang-after", clienttest.DefaultTimeout, "how long one run of the client may take before it is killed, as hung")
	fs.DurationVar(&c.Wait, "wait", clienttest.DefaultWait, "on a kept connection, how long the client may do nothing after a whole response before it counts as waiting for the close")
	fs.DurationVar(&c.StallLimit, "stall-limit", clienttest.DefaultStallLimit, "how long the client may wait for a server that sends nothing (SHOULD)")
	fs.DurationVar(&c.Drip, "drip", clienttest.DefaultDrip, "how long the slow-drip scenario spreads each response over")
	fs.DurationVar(&c.Quiet, "quiet", clienttest.DefaultQuiet, "with -listen: how long without an open connection ends a run")
	fs.IntVar(&c.Parallel, "parallel", clienttest.DefaultParallel, "scenarios run at once")
	fs.StringVar(&o.format, "format", "text", "report format: text, json or junit")
	fs.StringVar(&o.out, "o", "", "write the report to `file` (the verdict still goes to stderr)")
	fs.BoolVar(&c.Verbose, "v", false, "show how every run went and the bytes of passing cases too")
	fs.StringVar(&o.baseline, "baseline", "", "`file` of case IDs known to fail, one per line: not counted; a pass is reported")
	fs.BoolVar(&c.Keep, "keep", false, "keep every scenario's folder, and name it in the report")
	if err := fs.Parse(args); err != nil {
		if strings.Contains(err.Error(), "-timeout") {
			// Its first name, before -timeout meant a read deadline in every command.
			err = cliargs.Usagef("-timeout is -hang-after here: how long one run of the client may take before it is killed")
		}
		return nil, cmd, err
	}
	c.Command = fs.Args()
	var err error
	if o.runRe != "" {
		if c.Run, err = regexp.Compile(o.runRe); err != nil {
			return nil, cmd, fmt.Errorf("-run: %w", err)
		}
	}
	if o.skipRe != "" {
		if c.Skip, err = regexp.Compile(o.skipRe); err != nil {
			return nil, cmd, fmt.Errorf("-skip: %w", err)
		}
	}
	switch o.format {
	case "text", "json", "junit":
	default:
		return nil, cmd, fmt.Errorf("-format %q: want text, json or junit", o.format)
	}
	if c.Timeout <= 0 || c.Wait <= 0 || c.StallLimit <= 0 || c.Drip <= 0 || c.Quiet <= 0 || c.Parallel <= 0 {
		return nil, cmd, errors.New("-timeout, -wait, -stall-limit, -drip, -quiet and -parallel must be positive")
	}
	if !o.list && c.Listen == "" && len(c.Command) == 0 {
		return nil, cmd, errors.New("no client command: conform client [flags] -- COMMAND [ARGS...], or -listen host:port")
	}
	if c.Listen != "" {
		if err := cliargs.CheckAddr("listen", c.Listen); err != nil {
			return nil, cmd, err
		}
	}
	if c.Listen != "" && len(c.Command) > 0 {
		return nil, cmd, fmt.Errorf("-listen and a client command %q: conform either starts the client or serves one it does not start", c.Command)
	}
	if o.baseline != "" {
		if c.Baseline, err = readBaseline(o.baseline); err != nil {
			return nil, cmd, err
		}
	}
	return o, cmd, nil
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, err := parseClientFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	cases := clienttest.Select(&o.cfg)
	if len(cases) == 0 {
		fmt.Fprintf(stderr, "conform client: -run %q -skip %q matched no case (see conform client -list)\n", o.runRe, o.skipRe)
		return exitUsage
	}
	if o.list {
		printClientCatalog(stdout, cases)
		return exitPass
	}
	o.cfg.Progress = func(scenario, summary string) {
		fmt.Fprintf(stderr, "conform client: %-22s %s\n", scenario, summary)
	}
	if o.cfg.Listen != "" {
		o.cfg.Announce = func(a clienttest.Announcement) {
			if a.Done {
				fmt.Fprintf(stderr, "conform client: run %d of %d (%s) is over\n", a.Index+1, a.Runs, a.Scenario.Name)
				return
			}
			fmt.Fprintf(stderr, "conform client: run %d of %d, scenario %s: %s.\n  Start the client against %s now (backup.info: two files of your own).\n",
				a.Index+1, a.Runs, a.Scenario.Name, a.Scenario.Desc, a.Addr)
		}
	}
	start := time.Now()
	rep, err := clienttest.Run(ctx, o.cfg)
	var se *clienttest.StartError
	var ue *clienttest.UsageError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "conform client: %v\n", err)
		return exitUnreachable
	case errors.As(err, &ue), errors.Is(err, clienttest.ErrNoCases):
		fmt.Fprintf(stderr, "conform client: %v\n", err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "conform client: %v\n", err)
		return exitFail
	}
	if cmd := rerunCommand(append([]string{"client"}, clientFlagArgs(args, o.cfg.Command)...), &rep); cmd != "" {
		for i, w := range o.cfg.Command {
			if i == 0 {
				cmd += " --"
			}
			cmd += " " + shellQuote(w)
		}
		rep.NextSteps = append(rep.NextSteps, "re-run the cases that failed: "+cmd)
	}
	if err := writeClientReport(o, &rep, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "conform client: writing the report: %v\n", err)
		return exitFail
	}
	if rep.Interrupted {
		fmt.Fprintf(stderr, "conform client: interrupted after %v; the report covers the runs that ended\n", time.Since(start).Round(time.Millisecond))
	}
	if !rep.OK() {
		return exitFail
	}
	return exitPass
}

// writeClientReport writes the report where -o and -format say; with a file or a document the
// terminal still gets the failures and the verdict.
func writeClientReport(o *clientOptions, rep *report.Report, stdout, stderr io.Writer) error {
	dst := stdout
	var file *os.File
	if o.out != "" {
		var err error
		if file, err = os.Create(o.out); err != nil {
			return err
		}
		defer file.Close()
		dst = file
	}
	var err error
	switch o.format {
	case "text":
		err = rep.WriteText(dst, report.TextOptions{Color: file == nil && isTerminal(stdout), Verbose: o.cfg.Verbose})
	case "json":
		err = rep.WriteJSON(dst)
	case "junit":
		err = rep.WriteJUnit(dst)
	}
	if err == nil && file != nil {
		err = file.Close()
	}
	if err != nil {
		return err
	}
	if o.format != "text" || file != nil {
		for _, p := range rep.Problems {
			fmt.Fprintf(stderr, "problem [%s] %s %s: %s\n", p.ID, p.Level, p.Requirement, p.Summary)
		}
		for i := range rep.Results {
			if res := &rep.Results[i]; res.Status == report.VerdictFail || res.Status == report.VerdictUnexpectedPass {
				fmt.Fprintln(stderr, rep.Line(res, isTerminal(stderr)))
			}
		}
		fmt.Fprint(stderr, rep.SummaryText())
	}
	return nil
}

// clientFlagArgs are the flags of a conform client command line: what comes before the client's
// command and the "--" that may set it apart.
func clientFlagArgs(args, command []string) []string {
	flags := args[:len(args)-len(command)]
	if n := len(flags); n > 0 && flags[n-1] == "--" {
		flags = flags[:n-1]
	}
	return flags
}

func printClientCatalog(w io.Writer, cases []*clienttest.Case) {
	counts := map[report.Level]int{}
	for _, c := range cases {
		counts[c.Level]++
		fmt.Fprintf(w, "%-30s %-6s %-12s %s\n", c.ID, c.Level, strings.Join(c.Reqs, ","), c.Desc)
	}
	fmt.Fprintf(w, "\n%d cases: %d MUST, %d SHOULD\n\nscenarios, each a run of the client:\n", len(cases), counts[report.Must], counts[report.Should])
	for _, s := range clienttest.Scenarios() {
		fmt.Fprintf(w, "%-22s %s\n", s.Name, s.Desc)
	}
}
