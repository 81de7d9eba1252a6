// Command badclient runs one faulty client of the zoo (package badclients) in the current
// folder, which holds server.info and backup.info as for the scripted run of SPEC §6:
//
//	badclient [-fault NAME] [-timeout D] run
//	badclient -list
//
// It exits 0 when every step went right, 1 when one did not, 2 on a usage error; a fault
// that crashes the client crashes it.
package main

import (
	"os"

	"github.com/fbpkit/fbp/conformance/clienttest/internal/badclients"
)

func main() {
	os.Exit(badclients.Main(os.Args[1:], os.Stdout, os.Stderr))
}
