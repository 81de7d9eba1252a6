package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(path, 5)
	if err != nil || string(b) != "12345" {
		t.Fatalf("at the limit: %q, %v", b, err)
	}
	b, err = ReadFile(path, 4)
	if !errors.Is(err, ErrTooLarge) || b != nil {
		t.Fatalf("over the limit: %q, %v; want ErrTooLarge", b, err)
	}
	if want := path + " is over 4 bytes"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "none"), 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
