//go:build unix

package main

import (
	"log/slog"
	"syscall"
)

// descriptorReserve is how many file descriptors beyond its connections the server needs:
// the files it sends and receives (one per transfer), listings, folders, the log.
const descriptorReserve = 64

// checkDescriptors warns when the process's file limit leaves no room for maxConns
// connections: the kernel would refuse accepts (Serve then pauses until some close) and file
// opens. Go raises the soft limit to the hard one at startup; only the hard one counts here.
func checkDescriptors(log *slog.Logger, maxConns int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if need := uint64(maxConns) + descriptorReserve; lim.Cur < need {
		log.Warn("the open-file limit is lower than -max-conns needs: raise it (ulimit -n) or lower -max-conns",
			"limit", lim.Cur, "max_conns", maxConns, "needed", need)
	}
}
