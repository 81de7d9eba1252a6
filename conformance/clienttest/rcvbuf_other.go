//go:build !unix

package clienttest

import "syscall"

// smallReceiveBuffer does nothing here: the slow reader's connections get their small buffer
// once accepted, and its file is larger than what a client's buffers can take at once.
func smallReceiveBuffer(_, _ string, _ syscall.RawConn) error { return nil }
