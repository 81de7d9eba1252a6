package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// A Histogram counts latencies in log-linear buckets, as HDR histograms do: 64 buckets for
// every power of two, so a quantile is off by at most 1/64 of its value (1.6%), and memory is
// fixed (18 KiB) whatever the number of samples. Max is kept exactly. Its methods are safe
// for concurrent use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	n      atomic.Uint64
	max    atomic.Int64
}

const (
	subBits = 6
	sub     = 1 << subBits
	// maxTracked is the largest latency bucketed, about 73 minutes; longer ones fall in the
	// last bucket, and Max still says how long they were.
	maxTracked = 1<<42 - 1
	numBuckets = (42 - subBits + 1) * sub
)

func bucketOf(v uint64) int {
	if v < sub {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return (shift+1)*sub + int(v>>shift) - sub
}

// bucketMid is the middle of bucket i's range of values.
func bucketMid(i int) uint64 {
	if i < sub {
		return uint64(i)
	}
	shift := i/sub - 1
	lo := uint64(i%sub+sub) << shift
	return lo + (uint64(1)<<shift)/2
}

// Record adds one latency.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(min(v, maxTracked))].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

// Count is the number of latencies recorded.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Max is the longest latency recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile is the latency below which a fraction q of the samples lie (q in [0, 1]), to
// within a bucket; 0 when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.Max())
		}
	}
	return h.Max()
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	for {
		m, om := h.max.Load(), o.max.Load()
		if om <= m || h.max.CompareAndSwap(m, om) {
			return
		}
	}
}

// Latencies are the quantiles a report gives.
type Latencies struct {
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p99_9_ns"`
	Max  time.Duration `json:"max_ns"`
}

// Latencies reads the report's quantiles off h.
func (h *Histogram) Latencies() Latencies {
	return Latencies{P50: h.Quantile(0.5), P90: h.Quantile(0.9), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max()}
}
