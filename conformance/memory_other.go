//go:build !linux

package conformance

// serverProcs cannot read a process's memory here: the cases that watch it are skipped.
func (r *runner) serverProcs() (serverProcs, string) {
	return serverProcs{}, "a process's memory is read from Linux's /proc, which this system lacks"
}

type serverProcs struct{}

func (serverProcs) resetPeaks() map[int]int64                 { return nil }
func (serverProcs) growth(before map[int]int64) (int64, bool) { return 0, false }
