package target

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fbpkit/fbp/conformance/internal/procgroup"
)

// Procs is a server's process, or the process group it leads, whose memory a case watches.
type Procs struct {
	pid   int
	group bool
}

// MemoryUnreadable says why this system cannot watch a process's memory; it is empty where it can.
const MemoryUnreadable = ""

// Process is the one process pid.
func Process(pid int) Procs { return Procs{pid: pid} }

// Group is the process group that pid leads: the server and what it started.
func Group(pid int) Procs { return Procs{pid: pid, group: true} }

// pids lists the processes now running: the one, or the group's.
func (p Procs) pids() []int {
	if !p.group {
		return []int{p.pid}
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // ended meanwhile
		}
		// The command name, field 2, is in parentheses and may hold anything: the fields are
		// counted from the last ')'. f[2] is field 5, the process group.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		if f := strings.Fields(string(b[i+1:])); len(f) > 2 && f[2] == strconv.Itoa(p.pid) {
			if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// ResetPeaks makes the kernel count each process's peak resident memory anew from its present
// size (clear_refs), so that an earlier case's peak does not hide this one's. It reports the
// peaks after the reset, by process.
func (p Procs) ResetPeaks() map[int]int64 {
	out := map[int]int64{}
	for _, pid := range p.pids() {
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		if v, ok := peakRSS(pid); ok {
			out[pid] = v
		}
	}
	return out
}

// Growth is the most any process's peak resident memory grew over its peak in before. A
// process that was not there (a child forked since) is measured against the leader's.
func (p Procs) Growth(before map[int]int64) (int64, bool) {
	base, ok := before[p.pid]
	if !ok {
		return 0, false
	}
	var most int64
	for _, pid := range p.pids() {
		v, ok := peakRSS(pid)
		if !ok {
			continue
		}
		b, seen := before[pid]
		if !seen {
			b = base
		}
		most = max(most, v-b)
	}
	return most, true
}

// ListenerPid finds the process that holds the listening socket of addr's port: the socket's
// inode from /proc/net/tcp, then the process with a descriptor on it.
func ListenerPid(addr string) (int, bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return 0, false
	}
	suffix := fmt.Sprintf(":%04X", n)
	inode := ""
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for line := range strings.SplitSeq(string(b), "\n") {
			// sl local_address rem_address st ... inode: 0A is LISTEN.
			f := strings.Fields(line)
			if len(f) > 9 && strings.HasSuffix(f[1], suffix) && f[3] == "0A" {
				inode = f[9]
			}
		}
	}
	if inode == "" || inode == "0" {
		return 0, false
	}
	want := "socket:[" + inode + "]"
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil && l == want {
			pid, err := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(fd))))
			return pid, err == nil
		}
	}
	return 0, false
}

// peakRSS is procgroup.PeakRSS, as an ok flag: a process that ended meanwhile is passed over.
func peakRSS(pid int) (int64, bool) {
	v, err := procgroup.PeakRSS(pid)
	return v, err == nil
}
