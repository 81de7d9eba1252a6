package conformance

import (
	"context"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/conformance/servertest"
)

// Config is a run of the server catalog: the server, the selection of cases, the dialect,
// timeouts and the storage folder.
type Config = servertest.Config

// Run runs the server catalog against cfg.Addr (or the server cfg.Exec starts) and returns
// its report; see servertest.Run.
func Run(ctx context.Context, cfg Config) (report.Report, error) { return servertest.Run(ctx, cfg) }

// Test runs every case against the server at addr as a subtest named by the case's ID, so a
// Go server's own tests can check it: MUST and SHOULD failures fail the subtest, INFO
// observations are logged.
func Test(t *testing.T, addr string) {
	t.Helper()
	servertest.Test(t, addr)
}

// TestConfig is Test with a configuration: selection, dialect, timeouts, storage folder.
func TestConfig(t *testing.T, cfg Config) {
	t.Helper()
	servertest.TestConfig(t, cfg)
}
