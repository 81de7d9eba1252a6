//go:build unix

package clienttest

import (
	"os"
	"runtime"
	"syscall"
)

// peakRSS is the peak resident set of an ended process and of the children it waited for, in
// bytes; 0 when the system does not say.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	// Linux and the BSDs count kilobytes, Darwin bytes.
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss)
	}
	return int64(ru.Maxrss) << 10
}
