// Package golden compares a test's output with a file under testdata, the one way every package
// of the module keeps an output pinned, and rewrites the file when the test runs with -update.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// Check compares got with testdata/name, or writes got there under -update. A difference
// names the command that accepts it, so that a change meant is one command away.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	again := "go test " + packageDir() + " -run '^" + rootTest(t.Name()) + "$' -update"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s to write it)", err, again)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; if the change is meant, run %s\n--- got\n%s\n--- want\n%s", path, again, got, want)
	}
}

// rootTest is the top-level test of a subtest's name: -run matches each level apart.
func rootTest(name string) string {
	root, _, _ := strings.Cut(name, "/")
	return root
}

// packageDir is the test's package as a path from the module's root (go test runs a test in
// its package's folder), or "." when no go.mod is found above it.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "."
		}
		dir = up
	}
}
