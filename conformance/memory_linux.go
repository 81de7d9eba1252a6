package conformance

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

// serverProcs finds the server's processes on this machine, to watch their memory: the process
// group -exec started (the server and what it started), or, with -root for a server on this
// machine, the process that listens on its port. The tester's own process is never one: the
// built-in server's memory cannot be told apart from the runner's. When it finds none, it
// says why.
func (r *runner) serverProcs() (serverProcs, string) {
	if r.sup != nil {
		return serverProcs{pid: r.sup.Pid(), group: true}, ""
	}
	if r.cfg.Root == "" {
		return serverProcs{}, "give -exec, or -root for a server on this machine, to watch its memory"
	}
	pid, ok := listenerPid(r.target())
	switch {
	case !ok:
		return serverProcs{}, "no process of this machine that can be read listens on " + r.target()
	case pid == os.Getpid():
		return serverProcs{}, "the server runs in conform's own process, whose memory is the runner's too"
	}
	return serverProcs{pid: pid}, ""
}

// serverProcs is a server's process, or the process group it leads.
type serverProcs struct {
	pid   int
	group bool
}

// pids lists the processes now running: the one, or the group's.
func (p serverProcs) pids() []int {
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

// resetPeaks makes the kernel count each process's peak resident memory anew from its present
// size (clear_refs), so that an earlier case's peak does not hide this one's. It reports the
// peaks after the reset, by process.
func (p serverProcs) resetPeaks() map[int]int64 {
	out := map[int]int64{}
	for _, pid := range p.pids() {
		os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
		if v, ok := peakRSS(pid); ok {
			out[pid] = v
		}
	}
	return out
}

// growth is the most any process's peak resident memory grew over its peak in before. A
// process that was not there (a child forked since) is measured against the leader's.
func (p serverProcs) growth(before map[int]int64) (int64, bool) {
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

// listenerPid finds the process that holds the listening socket of addr's port: the socket's
// inode from /proc/net/tcp, then the process with a descriptor on it.
func listenerPid(addr string) (int, bool) {
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
