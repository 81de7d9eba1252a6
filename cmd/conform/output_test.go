package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run that ends before its report (here a -root that does not exist) leaves no empty file
// where there was none and an earlier report as it was; a run that writes its report replaces
// all of an earlier, longer one.
func TestOutputFileOnlyChangesWithAReport(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "new.json"), filepath.Join(dir, "old.json")
	earlier := strings.Repeat("an earlier report\n", 100000)
	if err := os.WriteFile(old, []byte(earlier), 0o666); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fresh, old} {
		var stdout, stderr bytes.Buffer
		args := []string{"-root", filepath.Join(dir, "nosuch"), "-run", "^backup/new$", "-format", "json", "-o", out}
		if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage {
			t.Fatalf("-o %s: exit %d, want %d (usage); stderr:\n%s", out, code, exitUsage, &stderr)
		}
		if !strings.Contains(stderr.String(), "no such folder") {
			t.Errorf("stderr does not say the -root folder is missing:\n%s", &stderr)
		}
	}
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a run without a report left %s behind (%v)", fresh, err)
	}
	if b, _ := os.ReadFile(old); string(b) != earlier {
		t.Errorf("a run without a report changed the earlier report (%d bytes left of %d)", len(b), len(earlier))
	}

	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-run", "^backup/new$", "-format", "json", "-o", old}, &stdout, &stderr); code != exitPass {
		t.Fatalf("exit %d; stderr:\n%s", code, &stderr)
	}
	b, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "an earlier report") || !strings.HasPrefix(string(b), "{") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("the report did not replace the earlier file whole: %d bytes, starting %.40q", len(b), b)
	}
}
