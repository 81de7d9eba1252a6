package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/clienttest"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
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
	caseFlags
	cfg  clienttest.Config
	pcap pcapFlags
}

func parseClientFlags(args []string) (*clientOptions, *cliargs.Command, error) {
	o := &clientOptions{}
	c := &o.cfg
	cmd := cliargs.New("conform client", clientUsage)
	fs := cmd.Flags
	fs.StringVar(&c.Dir, "dir", ".", "the client's `folder`, copied for every scenario (its .git, server.info, backup.info and tmp left out)")
	fs.StringVar(&c.Listen, "listen", "", "serve the scenarios on `host:port` to a client conform does not start")
	o.caseFlags.register(fs, "R-7.1", "the cases and the scenarios")
	o.pcap.register(fs)
	fs.BoolVar(&c.Strict, "strict", false, "SHOULD failures fail the run")
	// Not -timeout: that is a deadline of every read and write everywhere else.
	fs.DurationVar(&c.Timeout, "hang-after", clienttest.DefaultTimeout, "how long one run of the client may take before it is killed, as hung")
	fs.DurationVar(&c.Wait, "wait", clienttest.DefaultWait, "on a kept connection, how long the client may do nothing after a whole response before it counts as waiting for the close")
	fs.DurationVar(&c.StallLimit, "stall-limit", clienttest.DefaultStallLimit, "how long the client may wait for a server that sends nothing (SHOULD)")
	fs.DurationVar(&c.Drip, "drip", clienttest.DefaultDrip, "how long the slow-drip scenario spreads each response over")
	fs.DurationVar(&c.Quiet, "quiet", clienttest.DefaultQuiet, "with -listen: how long without an open connection ends a run")
	fs.IntVar(&c.Parallel, "parallel", clienttest.DefaultParallel, "scenarios run at once")
	fs.BoolVar(&c.Verbose, "v", false, "show how every run went and the bytes of passing cases too")
	fs.BoolVar(&c.Keep, "keep", false, "keep every scenario's folder, and name it in the report")
	cmd.Rename("timeout", "hang-after")
	if err := fs.Parse(args); err != nil {
		return nil, cmd, err
	}
	c.Command = fs.Args()
	var err error
	if c.Run, c.Skip, c.Baseline, err = o.caseFlags.parse(); err != nil {
		return nil, cmd, err
	}
	if c.Timeout <= 0 || c.Wait <= 0 || c.StallLimit <= 0 || c.Drip <= 0 || c.Quiet <= 0 || c.Parallel <= 0 {
		return nil, cmd, errors.New("-hang-after, -wait, -stall-limit, -drip, -quiet and -parallel must be positive")
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
	return o, cmd, nil
}

func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, err := parseClientFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	cases := clienttest.Select(&o.cfg)
	if len(cases) == 0 {
		return cmd.Fail(o.noneSelected("conform client"), stdout, stderr)
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
	file, err := o.reportFile()
	if err != nil {
		fmt.Fprintf(stderr, "conform client: %v\n", err)
		return exitUsage
	}
	defer file.Close()
	if o.cfg.Capture, err = o.pcap.open(); err != nil {
		return cmd.Fail(cliargs.Usagef("%v", err), stdout, stderr)
	}
	start := time.Now()
	rep, err := clienttest.Run(ctx, o.cfg)
	closeRecorder(o.cfg.Capture, "client", "", stderr)
	var se *clienttest.StartError
	var ue *clienttest.UsageError
	switch {
	case errors.As(err, &se):
		fmt.Fprintf(stderr, "conform client: %v\n", err)
		return exitUnreachable
	case errors.As(err, &ue), errors.Is(err, clienttest.ErrNoCases):
		return cmd.Fail(err, stdout, stderr)
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
	if err := o.writeReport(&rep, o.cfg.Verbose, file, stdout, stderr); err != nil {
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
	fmt.Fprintf(w, "\n%s: %d MUST, %d SHOULD\n\nscenarios, each a run of the client:\n", words.Count(len(cases), "case"), counts[report.Must], counts[report.Should])
	for _, s := range clienttest.Scenarios() {
		fmt.Fprintf(w, "%-22s %s\n", s.Name, s.Desc)
	}
}
