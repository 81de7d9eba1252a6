package servertest

import (
	"os"

	"github.com/fbpkit/fbp/conformance/target"
)

// serverProcs finds the server's processes on this machine, to watch their memory: the process
// group -exec started (the server and what it started), or, with -root for a server on this
// machine, the process that listens on its port. The tester's own process is never one: the
// built-in server's memory cannot be told apart from the runner's. When it finds none, it
// says why.
func (r *runner) serverProcs() (target.Procs, string) {
	if target.MemoryUnreadable != "" {
		return target.Procs{}, target.MemoryUnreadable
	}
	if r.sup != nil {
		return target.Group(r.sup.Pid()), ""
	}
	if r.cfg.Root == "" {
		return target.Procs{}, "give -exec, or -root for a server on this machine, to watch its memory"
	}
	pid, ok := target.ListenerPid(r.target())
	switch {
	case !ok:
		return target.Procs{}, "no process of this machine that can be read listens on " + r.target()
	case pid == os.Getpid():
		return target.Procs{}, "the server runs in conform's own process, whose memory is the runner's too"
	}
	return target.Process(pid), ""
}
