package conformance_test

import (
	"regexp"
	"testing"

	"github.com/fbpkit/fbp/conformance"
	"github.com/fbpkit/fbp/conformance/internal/mutants"
)

// The entry point a Go server's tests call runs the catalog as subtests; a correct server
// passes the cases it selects.
func TestConfigRunsTheCatalogAsSubtests(t *testing.T) {
	addr := mutants.StartTB(t, "none", mutants.Options{})
	conformance.TestConfig(t, conformance.Config{Addr: addr, Run: regexp.MustCompile(`^(backup|restore)/`)})
}
