// Package required finds the programs tests run beside Go: python3, tshark, Chromium. A test
// whose program is missing is skipped with what to install, but under CI=true, where .ci/run
// installs every one of them, it fails instead: a CI run never passes without the tests that
// need them.
package required

import (
	"os"
	"os/exec"
	"testing"
)

// Missing ends t for want of a program: skipped with why, or failed under CI=true.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// Program returns the path of name on the PATH; without it, it ends t as Missing does.
func Program(t testing.TB, name, why string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, why+": "+err.Error())
	}
	return p
}
