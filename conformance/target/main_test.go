package target

import (
	"fmt"
	"net"
	"os"
	"testing"
)

// envListen makes the test binary a server that listens on the address it holds, for the
// tests that start a server process.
const envListen = "FBP_TARGET_TEST_LISTEN"

func TestMain(m *testing.M) {
	if addr := os.Getenv(envListen); addr != "" {
		os.Exit(listen(addr))
	}
	os.Exit(m.Run())
}

// listen accepts connections on addr and closes them, until it is stopped.
func listen(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			return 1
		}
		c.Close()
	}
}
