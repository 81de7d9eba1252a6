//go:build unix

package clienttest

import (
	"cmp"
	"syscall"
)

// smallReceiveBuffer gives a listening socket the slow reader's receive buffer: the connections
// it accepts inherit it before their first byte, so that the window a client sees is small from
// the start.
func smallReceiveBuffer(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, slowReadBuffer)
	})
	return cmp.Or(err, serr)
}
