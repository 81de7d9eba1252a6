//go:build !linux

package target

// MemoryUnreadable says why this system cannot watch a process's memory: the cases that watch
// it are skipped.
const MemoryUnreadable = "a process's memory is read from Linux's /proc, which this system lacks"

// Procs is a server's process, or the process group it leads.
type Procs struct{}

// Process is the one process pid.
func Process(pid int) Procs { return Procs{} }

// Group is the process group that pid leads.
func Group(pid int) Procs { return Procs{} }

// ListenerPid finds the process that listens on addr's port: never, here.
func ListenerPid(addr string) (int, bool) { return 0, false }

func (Procs) ResetPeaks() map[int]int64                 { return nil }
func (Procs) Growth(before map[int]int64) (int64, bool) { return 0, false }
