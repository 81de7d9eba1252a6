package bench

import (
	"fmt"
	"net"
	"os"
	"testing"
)

// envMemServer, set to an address, makes the test binary serve memServer there until it is
// killed instead of running tests: the server process that does no more than the loopback's
// server, which docs/BENCHMARKS.md measures beside refserver with -compare-exec:
//
//	go test -c -o /tmp/bench.test ./conformance/bench
//	conform bench -exec "env FBP_BENCH_MEMSERVER=127.0.0.1:{port} /tmp/bench.test" -compare-exec "refserver …"
const envMemServer = "FBP_BENCH_MEMSERVER"

func TestMain(m *testing.M) {
	if addr := os.Getenv(envMemServer); addr != "" {
		os.Exit(serveMem(addr))
	}
	os.Exit(m.Run())
}

func serveMem(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "memServer on %s\n", ln.Addr())
	s := &memServer{files: map[memFile][]byte{}}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go func() {
			defer c.Close()
			s.serve(c)
		}()
	}
}
