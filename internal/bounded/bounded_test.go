package bounded

import (
	"errors"
	"os"
	"testing"
)

func TestReadFile(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "f")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("12345"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	path := f.Name()
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
	if _, err := ReadFile(path+".none", 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
