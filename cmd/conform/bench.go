package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/bench"
	"github.com/fbpkit/fbp/conformance/target"
	"github.com/fbpkit/fbp/internal/cliargs"
)

type benchOptions struct {
	testerFlags
	cfg         bench.Config
	clients     string
	mix         string
	size        string
	compare     string
	compareExec string
}

const benchUsage = `usage: conform bench [-addr host:port] [-clients 1,8,64] [-mix backup=1,restore=4] [-size 4KiB] [flags]

Puts the server under load from concurrent clients and checks every answer: a RESTORE must
return a whole version the client stored (with -shared, that any client stored), a LIST the
user's names. Reports ops/s, MB/s and latency per op, errors by kind, and what explains
the figures; -compare measures a second server in alternate rounds, -limits the machine's
limits (loopback TCP, durable writes on the local disk) at the same concurrency.
Exit status: 0 every answer right, 1 an error or a wrong answer, 2 usage error, 3 server unreachable.
`

func parseBenchFlags(args []string) (*benchOptions, *cliargs.Command, error) {
	o := &benchOptions{}
	cmd := o.command("bench", benchUsage, true, bench.DefaultTimeout, "stopped at the end; its CPU time and peak RSS are reported")
	fs := cmd.Flags
	c := &o.cfg
	fs.StringVar(&o.clients, "clients", "64", "concurrent clients; a list (1,8,64,256) sweeps and prints a row per number")
	fs.StringVar(&o.mix, "mix", bench.DefaultMix.String(), "weights of the ops each client draws from: backup, restore, list, delete")
	fs.StringVar(&o.size, "size", "4KiB", fmt.Sprintf("size of each BACKUP: fixed (4KiB) or a range drawn log-uniformly (1KiB-1MiB); at least %d bytes", bench.HeaderLen))
	fs.DurationVar(&c.Duration, "duration", 5*time.Second, "length of each measured round")
	fs.IntVar(&c.Count, "count", 0, "end each round after this many requests instead of after -duration")
	fs.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured load before the first round of each number of clients")
	fs.IntVar(&c.Rounds, "rounds", 1, "rounds per number of clients (default with -compare or -limits: 3, then more up to -max-rounds until every ratio settles within ±10%); each measures every server and limit once")
	fs.IntVar(&c.MaxRounds, "max-rounds", 9, "with -compare or -limits and no -rounds, the most rounds run to settle the ratios")
	fs.BoolVar(&c.KeepConns, "keep-conns", false, "keep each client's connection for its next request (default: a connection per request)")
	fs.BoolVar(&c.Shared, "shared", false, "every client backs up and restores the same names of one user: each RESTORE must be one whole version")
	fs.IntVar(&c.Names, "names", bench.DefaultNames, fmt.Sprintf("filenames per client (with -shared, in all; 1 to %d)", bench.MaxNames))
	fs.StringVar(&o.compare, "compare", "", "`host:port` of a second server, measured in alternate rounds; the report gives the ratio")
	fs.StringVar(&o.compareExec, "compare-exec", "", execUsage("the second server", "-compare"))
	// Not -baseline: that is a file of known failures everywhere else.
	fs.BoolVar(&c.Baseline, "limits", false, "also measure the machine's limits: loopback TCP with the same bytes, and the same ops on the local disk (durable, atomic writes)")
	fs.StringVar(&c.BaselineDir, "limits-dir", "", "`folder` for the disk limit's files: put it on the server's disk (default: the system's temporary folder)")
	fs.BoolVar(&c.Probe, "probe", true, "find how many connections each server serves at once, to explain latency that is waiting to be accepted")
	fs.DurationVar(&c.ProbeWait, "probe-wait", bench.DefaultProbeWait, "how long the probe waits for an answer before it takes the server to be full")
	fs.BoolVar(&c.Keep, "keep", false, "leave the files the clients stored on the servers")
	cmd.Rename("baseline", "limits")
	cmd.Rename("baseline-dir", "limits-dir")
	if err := o.parse(cmd, args); err != nil {
		return nil, cmd, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["count"] && set["duration"] {
		return nil, cmd, errors.New("-count and -duration both set: a round ends after one or the other")
	}
	if set["count"] && c.Count <= 0 {
		return nil, cmd, errors.New("-count must be positive")
	}
	if !set["count"] {
		c.Count = 0
	}
	if !set["rounds"] && (o.comparing() || c.Baseline) {
		c.Rounds = 3
	} else {
		c.MaxRounds = 0
	}
	var err error
	if c.Clients, err = parseClients(o.clients); err != nil {
		return nil, cmd, fmt.Errorf("-clients: %w", err)
	}
	if c.Mix, err = bench.ParseMix(o.mix); err != nil {
		return nil, cmd, fmt.Errorf("-mix: %w", err)
	}
	if c.Sizes, err = parseSizes(o.size); err != nil {
		return nil, cmd, fmt.Errorf("-size: %w", err)
	}
	switch {
	case c.Names < 1 || c.Names > bench.MaxNames:
		return nil, cmd, fmt.Errorf("-names %d: want 1 to %d", c.Names, bench.MaxNames)
	case c.Rounds < 1 || c.MaxRounds < 0:
		return nil, cmd, errors.New("-rounds must be positive, -max-rounds not negative")
	case c.Duration <= 0 || c.ProbeWait <= 0 || c.Warmup < 0:
		return nil, cmd, errors.New("-duration and -probe-wait must be positive, -warmup not negative")
	}
	if o.compare != "" {
		if err := cliargs.CheckAddr("compare", o.compare); err != nil {
			return nil, cmd, err
		}
	}
	if o.compareExec != "" && o.compare == "" && !strings.Contains(o.compareExec, target.PortPlaceholder) {
		return nil, cmd, errors.New("-compare-exec needs -compare, the address the command's server listens on, or {port} in the command where it takes its port")
	}
	c.Timeout, c.Seed = o.timeout, uint64(o.seed)
	return o, cmd, nil
}

// comparing reports whether a second server is measured: at -compare, or started by
// -compare-exec on a port of its own.
func (o *benchOptions) comparing() bool { return o.compare != "" || o.compareExec != "" }

// parseClients reads "64" or "1,8,64,256".
func parseClients(s string) ([]int, error) {
	var ns []int
	for part := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > bench.MaxClients {
			return nil, fmt.Errorf("%q: want numbers from 1 to %d, comma-separated", part, bench.MaxClients)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// parseSizes reads "4KiB" or "1KiB-1MiB".
func parseSizes(s string) (bench.Sizes, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	min, err := parseSize(strings.TrimSpace(lo))
	if err != nil {
		return bench.Sizes{}, err
	}
	max, err := parseSize(strings.TrimSpace(hi))
	if err != nil {
		return bench.Sizes{}, err
	}
	switch {
	case min < bench.HeaderLen:
		return bench.Sizes{}, fmt.Errorf("%q: at least %d bytes, the header that names each file's version", s, bench.HeaderLen)
	case max < min:
		return bench.Sizes{}, fmt.Errorf("%q: the smaller size first", s)
	}
	return bench.Sizes{Min: min, Max: max}, nil
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, tgt, code := startSeeded(ctx, args, stdout, stderr, parseBenchFlags)
	if tgt == nil {
		return code
	}
	defer tgt.close()
	cfg := o.cfg
	cfg.Seed = uint64(o.seed)
	cfg.Target = benchTarget("server", tgt)
	if o.comparing() {
		cf := testerFlags{name: "bench", addr: o.compare, timeout: o.timeout, execCmd: o.compareExec, verbose: o.verbose}
		exec, err := execCommand(cf.addr, cf.execCmd)
		if err != nil {
			return cmd.Fail(cliargs.Usagef("-compare-exec: %v", err), stdout, stderr)
		}
		cf.exec = exec
		ctgt, err := startTarget(ctx, &cf, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "conform bench: -compare: %v\n", err)
			return exitUnreachable
		}
		defer ctgt.close()
		ct := benchTarget("compare", ctgt)
		cfg.Compare = &ct
	}
	if o.verbose {
		cfg.Log = stderr
	}
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return o.runError(stderr, err, bench.ErrConfig, nil)
	}
	verdict := "conform bench: " + res.VerdictLine()
	if err := writeReport(&o.testerFlags, stdout, stderr, res.WriteText, res, verdict); err != nil {
		fmt.Fprintf(stderr, "conform bench: writing the report: %v\n", err)
		return exitFail
	}
	if note := tgt.crashNote(); note != "" {
		fmt.Fprintf(stderr, "conform bench: %s\n", note)
	}
	if !res.OK() {
		return exitFail
	}
	return exitPass
}

// benchTarget is a started target as the bench sees it: its process's usage is read when
// the command started it.
func benchTarget(label string, t *underTest) bench.Target {
	bt := bench.Target{Label: label, Addr: t.addr}
	if p := t.proc; p != nil {
		bt.Usage = func() (bench.Usage, error) { return bench.GroupUsage(p.Pid()) }
	}
	return bt
}
