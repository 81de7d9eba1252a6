package spec

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const moduleRoot = "../../.."

// citedID is how any file of the module cites a requirement.
var citedID = regexp.MustCompile(`\bR-\d+\.\d+\b`)

// TestEveryCitedIDIsInTheSpec reads every text file of the module, code, data and docs, and
// fails on a requirement ID the spec does not define: a typo in a string, a vector file or a
// comment, or a rule that was renumbered.
func TestEveryCitedIDIsInTheSpec(t *testing.T) {
	files := 0
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != moduleRoot && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".json", ".py", ".sh", ".txt", ".txtar":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for i, line := range bytes.Split(b, []byte("\n")) {
			for _, id := range citedID.FindAll(line, -1) {
				if _, ok := Lookup(string(id)); !ok {
					t.Errorf("%s:%d cites %s, which SPEC.md does not define", path, i+1, id)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read only %d files: is the module root %s?", files, moduleRoot)
	}
}

// The scan must catch a bad ID, or it proves nothing. The IDs are put together here, so that
// the scan of this very file does not see them.
func TestCitedIDPatternCatchesATypo(t *testing.T) {
	const r = "R-"
	for _, s := range []string{`"` + r + `4.9"`, r + "45.1 in a comment", "(" + r + "0.0)"} {
		id := citedID.FindString(s)
		if id == "" {
			t.Errorf("%q: no ID found", s)
			continue
		}
		if _, ok := Lookup(id); ok {
			t.Errorf("%q: %s taken for a requirement", s, id)
		}
	}
}

func TestRequirementsMatchTheSpec(t *testing.T) {
	out := filepath.Join(t.TempDir(), "requirements_gen.go")
	cmd := exec.Command("go", "run", "./gen", filepath.Join(moduleRoot, "ref/wire/SPEC.md"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, b)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile("requirements_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, committed) {
		t.Fatal("requirements_gen.go is out of date with SPEC.md: run go generate ./conformance/internal/spec")
	}
	spec, err := os.ReadFile(filepath.Join(moduleRoot, "ref/wire/SPEC.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Requirements() {
		if r.Sentence == "" || r.Title == "" || r.Level == "" || !bytes.Contains(spec, []byte("**"+string(r.ID)+"**")) {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
	if got := R4_2.Sentence(); !strings.HasPrefix(got, "RESTORE of a stored file: 210 with the filename") {
		t.Errorf("R-4.2 reads %q", got)
	}
	if ID("R"+"-9.9").Sentence() != "" {
		t.Error("an unknown ID has a sentence")
	}
}
