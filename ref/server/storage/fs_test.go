package storage_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

func put(t *testing.T, s storage.Store, user uint32, name, content string) {
	t.Helper()
	up, err := s.Create(user, name, int64(len(content)))
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := io.WriteString(up, content); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := up.Commit(); err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
}

func get(t *testing.T, s storage.Store, user uint32, name string) string {
	t.Helper()
	r, size, err := s.Open(user, name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != size {
		t.Fatalf("open %s: size %d, read %d bytes", name, size, len(b))
	}
	return string(b)
}

// list reads user's listing, sorted.
func list(t *testing.T, s storage.Store, user uint32) []string {
	t.Helper()
	r, size, err := s.List(user)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if r == nil {
		return nil
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil || int64(len(b)) != size {
		t.Fatalf("list: read %d bytes of %d, %v", len(b), size, err)
	}
	if !strings.HasSuffix(string(b), "\n") {
		t.Fatalf("listing %q does not end in a newline", b)
	}
	names := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(names)
	return names
}

func TestFSLayoutAndPermissions(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	put(t, s, 1234, "mmn14.pdf", "%PDF")
	fi, err := os.Stat(filepath.Join(dir, "1234"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("user folder mode %v, want owner-only", perm)
	}
	fi, err = os.Stat(filepath.Join(dir, "1234", "mmn14.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("file mode %v, want owner-only", perm)
	}
	if got := servertest.Entries(t, filepath.Join(dir, "1234")); !slices.Equal(got, []string{"mmn14.pdf"}) {
		t.Errorf("user folder holds %q", got)
	}
}

func TestFSReplaceKeepsOpenReaderWhole(t *testing.T) {
	s, _ := servertest.OpenFS(t, storage.Options{})
	put(t, s, 1, "f", "old version")
	r, size, err := s.Open(1, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	put(t, s, 1, "f", "the new version")
	if err := s.Delete(1, "f"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "old version" || size != int64(len(b)) {
		t.Fatalf("reader opened before the replace gave %q (size %d), %v", b, size, err)
	}
}

func TestFSAbortKeepsPreviousVersion(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	put(t, s, 7, "f", "previous")
	up, err := s.Create(7, "f", 7)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(up, "partial")
	if names := list(t, s, 7); !slices.Equal(names, []string{"f"}) {
		t.Errorf("list during upload: %q", names)
	}
	if got := get(t, s, 7, "f"); got != "previous" {
		t.Errorf("open during upload: %q", got)
	}
	if err := up.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, 7, "f"); got != "previous" {
		t.Errorf("after abort: %q", got)
	}
	if got := servertest.Entries(t, filepath.Join(dir, "7")); !slices.Equal(got, []string{"f"}) {
		t.Errorf("user folder after abort holds %q", got)
	}
}

func TestFSNotExist(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	if _, _, err := s.Open(9, "nope"); !errors.Is(err, storage.ErrNotExist) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("open of a missing file: %v", err)
	}
	if err := s.Delete(9, "nope"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("delete of a missing file: %v", err)
	}
	if r, size, err := s.List(9); r != nil || size != 0 || err != nil {
		t.Errorf("list of an unknown user: %v, %d, %v", r, size, err)
	}
	if got := servertest.Entries(t, dir); len(got) != 0 {
		t.Errorf("reads created %q", got)
	}
}

func TestFSListShowsOnlyStoredFiles(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	put(t, s, 5, "b", "2")
	put(t, s, 5, "a", "1")
	put(t, s, 6, "other-user", "x")
	up, err := s.Create(5, "in-flight", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer up.Abort()
	// Things only the operator could put there are not files a request could name.
	os.Mkdir(filepath.Join(dir, "5", "subdir"), 0o700)
	os.WriteFile(filepath.Join(dir, "5", "bad\x01name"), nil, 0o600)
	if names := list(t, s, 5); !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("list: %q", names)
	}
}

func TestFSRefusesUnsafeNames(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`, "/abs", "nul\x00", "ctl\x1f", strings.Repeat("n", 65536)} {
		if _, err := s.Create(1, name, 0); !errors.Is(err, wire.ErrBadName) {
			t.Errorf("create %q: %v", name, err)
		}
		if _, _, err := s.Open(1, name); !errors.Is(err, wire.ErrBadName) {
			t.Errorf("open %q: %v", name, err)
		}
		if err := s.Delete(1, name); !errors.Is(err, wire.ErrBadName) {
			t.Errorf("delete %q: %v", name, err)
		}
	}
	if got := servertest.Entries(t, dir); len(got) != 0 {
		t.Errorf("unsafe names created %q", got)
	}
}

// A symbolic link planted in a user folder must not lead outside the store.
func TestFSSymlinkCannotEscape(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	outside := filepath.Join(filepath.Dir(dir), "outside")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	put(t, s, 3, "placeholder", "")
	if err := os.Symlink(outside, filepath.Join(dir, "3", "link")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if r, _, err := s.Open(3, "link"); err == nil {
		r.Close()
		t.Fatal("opened a link to outside the store")
	}
	if b, _ := os.ReadFile(outside); string(b) != "secret" {
		t.Fatalf("outside file changed: %q", b)
	}
}

func TestOpenFSRemovesLeftoverUploads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(filepath.Join(dir, "42"), 0o700); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, "42", storage.TempPrefix+"0123")
	kept := filepath.Join(dir, "42", "kept")
	os.WriteFile(leftover, []byte("torn"), 0o600)
	os.WriteFile(kept, []byte("whole"), 0o600)
	s, err := storage.OpenFS(dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := servertest.Entries(t, filepath.Join(dir, "42")); !slices.Equal(got, []string{"kept"}) {
		t.Fatalf("after OpenFS the user folder holds %q", got)
	}
}

// The temporary prefix must be a name no request can give, so that it can never collide
// with a user's file.
func TestTempPrefixIsNoValidName(t *testing.T) {
	if err := wire.CheckName([]byte(storage.TempPrefix+"x"), wire.MaxNameField); err == nil {
		t.Fatal("a temporary name passes wire.CheckName")
	}
}
