//go:build !unix

package clienttest

import "os"

// peakRSS is unknown here: the memory case is skipped.
func peakRSS(*os.ProcessState) int64 { return 0 }
