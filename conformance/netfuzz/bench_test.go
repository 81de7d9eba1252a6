package netfuzz

import (
	"context"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
)

// BenchmarkTimeToFind measures, per faulty mutant, how long and how many inputs a run takes
// to its first finding, averaged over seeds 1..b.N (minimization left out: one reproduction
// check, no restarts). Run with e.g. -bench TimeToFind -benchtime 5x.
func BenchmarkTimeToFind(b *testing.B) {
	for _, name := range []string{
		"dies-on-unknown-op", "deadlock-after-truncated", "list-hangs", "unknown-op-closes",
		"unknown-op-1001", "ok-trailing-size", "oversize-not-rejected", "split-header-closes",
	} {
		b.Run(name, func(b *testing.B) {
			var found time.Duration
			steps := 0
			for i := 0; b.Loop(); i++ {
				addr, stop, err := mutants.StartWithOptions(name, mutants.Options{ReadTimeout: 2 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				res, err := Run(context.Background(), Config{
					Addr: addr, Seed: int64(i + 1), MaxInputs: 5000, Duration: time.Minute, Timeout: 300 * time.Millisecond,
					MaxPayload: mutants.DefaultMaxFileSize, MaxFindings: 1, ShrinkTries: 1,
				})
				stop()
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Findings) == 0 {
					b.Fatalf("seed %d: nothing found in %d inputs", i+1, res.Inputs)
				}
				found += res.Findings[0].TimeToFind
				steps += res.Findings[0].Step
			}
			b.ReportMetric(float64(found.Milliseconds())/float64(b.N), "ms/find")
			b.ReportMetric(float64(steps)/float64(b.N), "inputs/find")
		})
	}
}
