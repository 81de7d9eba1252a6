package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fbpkit/fbp/internal/words"
)

// fmtDur writes d with three significant digits: 812µs, 45.1ms, 1.20s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d)
	case d < time.Millisecond:
		return trim3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return trim3(float64(d)/1e6) + "ms"
	}
	return trim3(d.Seconds()) + "s"
}

func trim3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func fmtRate(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// WriteText writes the report: the settings, a table of every system at every number of
// clients, the ratios, the servers' usage, what the probes found, the notes, the errors with
// samples, and the verdict.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	s := r.Settings
	conns := "a connection per request"
	if s.KeepConns {
		conns = "kept connections"
	}
	fmt.Fprintf(&b, "conform bench: server %s", s.Server)
	if s.Compare != "" {
		fmt.Fprintf(&b, ", compare %s", s.Compare)
	}
	names := words.Count(s.Names, "name") + " per client"
	if s.Shared {
		names = words.Count(s.Names, "name") + " shared by every client"
	}
	length := fmt.Sprintf("%v rounds", s.Duration)
	if s.Count > 0 {
		length = fmt.Sprintf("rounds of %d requests", s.Count)
	}
	rounds := strconv.Itoa(s.Rounds)
	if s.MaxRounds > s.Rounds {
		rounds = fmt.Sprintf("%d to %d (until the ratios settle within ±%.0f%%)", s.Rounds, s.MaxRounds, 100*settled)
	}
	fmt.Fprintf(&b, "\nmix %s, size %s, %s, %s\n%s after a %v warm-up, %s per number of clients, seed %d\n\n",
		s.Mix, s.Sizes, conns, names, length, s.Warmup, rounds, r.Seed)

	width := len("system")
	for _, lv := range r.Levels {
		for _, sys := range lv.Systems {
			width = max(width, len(sys.Label))
		}
	}
	row := func(clients int, label, op string, cols ...string) {
		fmt.Fprintf(&b, "%7d  %-*s  %-9s", clients, width, label, op)
		for i, c := range cols {
			w := 8
			if i == 0 {
				w = 9
			}
			fmt.Fprintf(&b, "%*s", w, c)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%7s  %-*s  %-9s%9s%8s%8s%8s%8s%8s%8s%8s\n", "clients", width, "system", "op", "ops/s", "MB/s", "p50", "p90", "p99", "p99.9", "max", "errors")
	for _, lv := range r.Levels {
		for _, sys := range lv.Systems {
			for _, op := range sys.Ops {
				if sys.Kind == CombinedLabel {
					row(lv.Clients, sys.Label, op.Op, fmtRate(op.OpsPerSec), fmtRate(op.MBPerSec), "", "", "", "", "", "")
					continue
				}
				l := op.Latency
				row(lv.Clients, sys.Label, op.Op, fmtRate(op.OpsPerSec), fmtRate(op.MBPerSec),
					fmtDur(l.P50), fmtDur(l.P90), fmtDur(l.P99), fmtDur(l.P999), fmtDur(l.Max), strconv.FormatInt(op.Errors, 10))
			}
			if c := sys.Connect; c != nil && sys.Kind == "server" {
				row(lv.Clients, sys.Label, "(connect)", "", "", fmtDur(c.P50), fmtDur(c.P90), fmtDur(c.P99), fmtDur(c.P999), fmtDur(c.Max))
			}
		}
	}

	var ratios []string
	for _, lv := range r.Levels {
		for _, ra := range lv.Ratios {
			ratios = append(ratios, fmt.Sprintf("%7d  %-8s %s / %s\t%.2f\t(%.2f-%.2f)\t±%.0f%%", lv.Clients, ra.Op, ra.Of, ra.To, ra.Median, ra.Min, ra.Max, 100*ra.Spread))
		}
	}
	if len(ratios) > 0 {
		fmt.Fprintf(&b, "\nops/s ratios, median (min-max) over the rounds, spread")
		if r.Settings.Baseline {
			fmt.Fprintf(&b, " (%s: 1/(1/loopback + 1/disk))", CombinedLabel)
		}
		b.WriteString(":\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, line := range ratios {
			fmt.Fprintln(tw, line)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	var usage []string
	for _, lv := range r.Levels {
		for _, sys := range lv.Systems {
			if u := sys.Usage; u != nil {
				usage = append(usage, fmt.Sprintf("%s at %s: CPU %s in %s (%.2f cores), %s per answer; peak RSS %.1f MiB",
					sys.Label, words.Count(lv.Clients, "client"), fmtDur(u.CPU), fmtDur(sys.Elapsed), u.Cores, fmtDur(u.CPUPerOp), float64(u.PeakRSS)/(1<<20)))
			}
		}
	}
	if len(usage) > 0 {
		fmt.Fprintf(&b, "\nserver process:\n  %s\n", strings.Join(usage, "\n  "))
	}

	if len(r.Probes) > 0 {
		b.WriteString("\nconnections served at once (probe):\n")
		for _, p := range r.Probes {
			switch {
			case p.Limit > 0:
				fmt.Fprintf(&b, "  %s: %d", p.Label, p.Limit)
			default:
				fmt.Fprintf(&b, "  %s: %d or more (no limit up to the run's clients)", p.Label, p.Upto)
			}
			if p.Note != "" {
				fmt.Fprintf(&b, "; %s", p.Note)
			}
			b.WriteString("\n")
		}
	}
	if len(r.Notes) > 0 {
		b.WriteString("\nnotes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  - %s\n", n)
		}
	}
	for _, lv := range r.Levels {
		for _, sys := range lv.Systems {
			if sys.Errors == 0 {
				continue
			}
			fmt.Fprintf(&b, "\nERRORS %s at %s: %s\n", sys.Label, words.Count(lv.Clients, "client"), sys.kindsText())
			for k := range numKinds {
				for _, ex := range sys.Samples[k] {
					fmt.Fprintf(&b, "  %s: %s\n", k, ex)
				}
			}
		}
	}
	if err := r.WriteProblems(&b); err != nil {
		return err
	}
	b.WriteString("\n")
	b.WriteString(r.VerdictLine())
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJUnit writes the run for CI: a failing testcase per problem, and one for errors that
// break no rule of the spec.
func (r *Result) WriteJUnit(w io.Writer) error {
	return r.Head.WriteJUnit(w, "bench", strings.TrimSuffix(r.VerdictLine(), "\n"))
}

// VerdictLine is the report's last line.
func (r *Result) VerdictLine() string {
	var answered int64
	for _, lv := range r.Levels {
		for _, sys := range lv.Systems {
			if sys.Kind == "server" {
				for _, op := range sys.Ops {
					answered += op.OK
				}
			}
		}
	}
	switch {
	case r.Interrupted:
		return fmt.Sprintf("INCOMPLETE: interrupted after %s: the figures cover what ran\n", fmtDur(r.Elapsed))
	case r.Errors > 0:
		return fmt.Sprintf("FAIL: %d requests failed or were answered wrongly (%d right): figures earned with wrong answers mean nothing\n", r.Errors, answered)
	}
	return fmt.Sprintf("PASS: %d requests measured, every answer right (%s)\n", answered, fmtDur(r.Elapsed))
}
