package model

import (
	"context"
	"testing"
	"time"
)

// BenchmarkTimeToFind measures, per stateful mutant, how long a run takes to find the fault
// (found-ms), after how many sequences or rounds (runs), and how short shrinking makes the
// failure (shrunk-steps). Each iteration is a run with its own seed; ns/op includes shrinking.
func BenchmarkTimeToFind(b *testing.B) {
	cases := []struct {
		mutant string
		cfg    func(testing.TB, string, int64) Config
	}{
		{"list-stale-after-delete", testConfig},
		{"overwrite-appends", testConfig},
		{"delete-ignored", testConfig},
		{"list-shows-listing", testConfig},
		{"torn-overwrite", concurrentConfig},
	}
	for _, c := range cases {
		b.Run(c.mutant, func(b *testing.B) {
			addr := startMutant(b, c.mutant)
			var found time.Duration
			var runs, steps, failed int
			seed := int64(0)
			for b.Loop() {
				seed++
				cfg := c.cfg(b, addr, seed)
				cfg.Runs, cfg.Log = 1000, nil
				res, err := Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				if !res.Failed {
					continue
				}
				failed++
				found += res.FoundAfter
				runs += res.Runs
				steps += len(res.Script)
			}
			if failed == 0 {
				b.Fatalf("%s not found in %d runs", c.mutant, seed)
			}
			b.ReportMetric(float64(found.Milliseconds())/float64(failed), "found-ms")
			b.ReportMetric(float64(runs)/float64(failed), "runs")
			b.ReportMetric(float64(steps)/float64(failed), "shrunk-steps")
			b.ReportMetric(float64(failed)/float64(seed), "found-ratio")
		})
	}
}
