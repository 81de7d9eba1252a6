package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/fbpkit/fbp/conformance/capture"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/watch"
	"github.com/fbpkit/fbp/internal/cliargs"
	"github.com/fbpkit/fbp/internal/words"
)

// WatchSchema names the layout of `conform watch -format json`.
const WatchSchema = "fbp-conform-watch/1"

// pcapFlags are -pcap and -pcap-failed, which every tester that opens connections takes.
type pcapFlags struct {
	path       string
	failedOnly bool
}

func (p *pcapFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&p.path, "pcap", "", "write every connection to `file` as pcapng (open it in Wireshark with contrib/wireshark/fbp.lua)")
	fs.BoolVar(&p.failedOnly, "pcap-failed", false, "with -pcap, keep only the connections of failing cases")
}

// open creates the recorder, nil without -pcap.
func (p *pcapFlags) open() (*capture.Recorder, error) {
	if p.path == "" {
		if p.failedOnly {
			return nil, errors.New("-pcap-failed needs -pcap FILE")
		}
		return nil, nil
	}
	return capture.Create(p.path, p.failedOnly)
}

// closeRecorder writes the capture out and says how to open it; name is the subcommand, ""
// for the catalog, server the address of the server the connections went to ("" when they went
// to several), whose port the dissector is told.
func closeRecorder(rec *capture.Recorder, name, server string, stderr io.Writer) {
	if rec == nil {
		return
	}
	who := strings.TrimSpace("conform " + name)
	if err := rec.Close(); err != nil {
		fmt.Fprintf(stderr, "%s: -pcap: %v\n", who, err)
		return
	}
	port := "PORT"
	if _, p, err := net.SplitHostPort(server); err == nil {
		port = p
	}
	fmt.Fprintf(stderr, "%s: connections written to %s: wireshark -X lua_script:contrib/wireshark/fbp.lua -o fbp.port:%s %s\n", who, rec.Path(), port, rec.Path())
}

// endRecorder ends the one case id of a tester that records its whole run under one ID, failing
// with the run's first problem.
func endRecorder(rec *capture.Recorder, id string, h *report.Head) {
	if rec == nil {
		return
	}
	note := ""
	if len(h.Problems) > 0 {
		note = h.Problems[0].Requirement + ": " + h.Problems[0].Summary
	}
	rec.End(id, h.Verdict == report.RunFail, note)
}

type watchOptions struct {
	testerFlags
	pcap  pcapFlags
	cfg   watch.Config
	count int
}

const watchUsage = `usage: conform watch -to host:port [-listen [host]:port] [-count N] [flags]

A judging proxy: point your client at -listen instead of at your server. Every byte is
forwarded unchanged both ways as it comes, and every request and response is judged
against SPEC.md on the way: a line per exchange, and each broken rule with its requirement
and the side that broke it. At the end (Ctrl-C, or after -count connections) it prints each
side's problems and writes the report.
Exit status: 0 nothing broken, 1 a finding, 2 usage error, 3 nothing could reach the server.
`

func parseWatchFlags(args []string) (*watchOptions, *cliargs.Command, error) {
	o := &watchOptions{testerFlags: testerFlags{name: "watch", junit: true}}
	cmd := cliargs.New("conform watch", watchUsage)
	fs := cmd.Flags
	fs.StringVar(&o.cfg.To, "to", "", "`host:port` of the server to forward to")
	fs.StringVar(&o.cfg.Listen, "listen", ":1234", "`[host]:port` the client connects to; without a host, loopback only")
	fs.IntVar(&o.count, "count", 0, "end after this many connections (default: at Ctrl-C)")
	fs.DurationVar(&o.timeout, "timeout", watch.DefaultTimeout, "deadline of each connect to the server")
	fs.StringVar(&o.format, "format", "text", "report format: text, json or junit")
	fs.StringVar(&o.out, "o", "", "write the report to `file` (the verdict still goes to stderr)")
	o.pcap.register(fs)
	pos, err := cliargs.Parse(fs, args)
	if err != nil {
		return nil, cmd, err
	}
	if len(pos) > 0 {
		return nil, cmd, unexpectedArgs(pos)
	}
	switch {
	case o.cfg.To == "":
		return nil, cmd, cliargs.Usagef("-to host:port is required: the server the client's bytes go to")
	case o.count < 0:
		return nil, cmd, cliargs.Usagef("-count must not be negative")
	case o.timeout <= 0:
		return nil, cmd, cliargs.Usagef("-timeout must be positive")
	}
	o.deadline = 1 // watch has no deadline; check wants one
	if err := o.check(); err != nil {
		return nil, cmd, err
	}
	o.cfg.Count, o.cfg.Timeout = o.count, o.timeout
	return o, cmd, nil
}

// watchReport is what `conform watch` reports: the head every tester has, the findings with
// their side, and each side's problems apart.
type watchReport struct {
	report.Head
	Findings       []*watch.Finding `json:"findings"`
	ClientProblems []report.Problem `json:"client_problems"`
	ServerProblems []report.Problem `json:"server_problems"`
	Listen         string           `json:"listen"`
	Connections    int              `json:"connections"`
	Exchanges      int              `json:"exchanges"`
	BytesUp        int64            `json:"bytes_up"`
	BytesDown      int64            `json:"bytes_down"`
}

func newWatchReport(res *watch.Result) *watchReport {
	r := &watchReport{Head: report.Head{Schema: WatchSchema, Target: res.Target, Duration: res.Elapsed}, Findings: res.Findings,
		Listen: res.Listen, Connections: res.Connections, Exchanges: res.Exchanges, BytesUp: res.BytesUp, BytesDown: res.BytesDown}
	fs := make([]report.Finding, len(res.Findings))
	for i, f := range res.Findings {
		fs[i] = f.Finding
	}
	r.Judge(fs, res.Interrupted && len(fs) == 0 && res.Connections == 0)
	r.ClientProblems = report.GroupFindings(res.Side(watch.SideClient))
	r.ServerProblems = report.GroupFindings(res.Side(watch.SideServer))
	if r.Findings == nil {
		r.Findings = []*watch.Finding{}
	}
	return r
}

func (r *watchReport) WriteJUnit(w io.Writer) error { return r.Head.WriteJUnit(w, "watch", "") }

func (r *watchReport) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s and %s watched between %s and %s (%d bytes up, %d down)\n", words.Count(r.Connections, "connection"),
		words.Count(r.Exchanges, "exchange"), r.Listen, r.Target, r.BytesUp, r.BytesDown)
	for _, side := range []struct {
		name string
		ps   []report.Problem
	}{{"client", r.ClientProblems}, {"server", r.ServerProblems}} {
		if len(side.ps) == 0 {
			fmt.Fprintf(&b, "\n== the %s: no problem\n", side.name)
			continue
		}
		fmt.Fprintf(&b, "\n== the %s ==", side.name)
		h := report.Head{Problems: side.ps}
		if err := h.WriteProblems(&b); err != nil {
			return err
		}
	}
	return flushText(w, &b, r.VerdictText())
}

func (r *watchReport) verdict() string {
	return fmt.Sprintf("conform watch: %s: client %s, server %s\n", r.VerdictText(), words.Count(len(r.ClientProblems), "problem"), words.Count(len(r.ServerProblems), "problem"))
}

func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, cmd, err := parseWatchFlags(args)
	if err != nil {
		return cmd.Fail(err, stdout, stderr)
	}
	rec, err := o.pcap.open()
	if err != nil {
		return cmd.Fail(cliargs.Usagef("%v", err), stdout, stderr)
	}
	o.cfg.Capture = rec
	o.cfg.Log = stderr
	p, err := watch.Listen(o.cfg)
	if err != nil {
		closeRecorder(rec, "watch", o.cfg.To, stderr)
		fmt.Fprintf(stderr, "conform watch: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "conform watch: listening on %s, forwarding to %s (Ctrl-C ends)\n", p.Addr(), o.cfg.To)
	res := p.Run(ctx)
	closeRecorder(rec, "watch", o.cfg.To, stderr)
	rep := newWatchReport(res)
	if err := writeReport(&o.testerFlags, stdout, stderr, rep.writeText, rep, rep.verdict()); err != nil {
		fmt.Fprintf(stderr, "conform watch: writing the report: %v\n", err)
		return exitFail
	}
	switch {
	case len(res.Findings) > 0:
		return exitFail
	case res.Connections == 0 && res.Unreachable > 0:
		return exitUnreachable
	}
	return exitPass
}
