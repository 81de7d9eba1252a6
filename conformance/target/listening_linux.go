package target

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
)

// listeningSocket reports whether the system lists a listening TCP socket on addr's port, and
// whether it could tell at all.
func listeningSocket(addr string) (up, ok bool) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, false
	}
	var n int
	if _, err := fmt.Sscanf(port, "%d", &n); err != nil {
		return false, false
	}
	suffix := fmt.Sprintf(":%04X", n)
	read := false
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		read = true
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st ...: 0A is LISTEN.
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && strings.HasSuffix(fields[1], suffix) && fields[3] == "0A" {
				f.Close()
				return true, true
			}
		}
		f.Close()
	}
	return false, read
}
