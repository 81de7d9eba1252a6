package bench

import "time"

// Usage is what a server process has used so far.
type Usage struct {
	// CPU is the user and system time of the process group, its reaped children included.
	CPU time.Duration
	// PeakRSS is the largest peak resident set (VmHWM) of the group's processes, in bytes.
	PeakRSS int64
}
