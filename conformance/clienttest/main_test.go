package clienttest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/fbpkit/fbp/conformance/report"
)

// The clients under test are programs, built once per test binary, as a user builds theirs.
var (
	buildMu  sync.Mutex
	built    = map[string]string{}
	buildDir string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// program builds the main package pkg and returns its path.
func program(t *testing.T, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	if buildDir == "" {
		var err error
		if buildDir, err = os.MkdirTemp("", "clienttest-"); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(buildDir, filepath.Base(pkg))
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

func badclient(t *testing.T, fault string, args ...string) []string {
	return append([]string{program(t, "github.com/fbpkit/fbp/conformance/clienttest/internal/badclients/badclient"), "-fault", fault}, append(args, "run")...)
}

func mustRun(t *testing.T, cfg Config) report.Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// details is the report's text, for a failing test's log.
func details(rep report.Report) string {
	var sb strings.Builder
	rep.WriteText(&sb, report.TextOptions{})
	return sb.String()
}
