package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/server/storage"
)

func wantLimit(t *testing.T, err error, limit string) {
	t.Helper()
	var le *storage.LimitError
	if !errors.As(err, &le) || le.Limit != limit || !errors.Is(err, storage.ErrLimit) {
		t.Fatalf("err = %v, want the %s limit", err, limit)
	}
}

// MaxFiles counts committed files and uploads in flight; a replacement adds no file.
func TestFSMaxFiles(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{MaxFiles: 3})
	put(t, s, 1, "a", "1")
	put(t, s, 1, "b", "2")
	inFlight, err := s.Create(1, "c", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Create(1, "d", 1)
	wantLimit(t, err, "files")
	put(t, s, 1, "a", "replaced")   // a replacement is no new file
	put(t, s, 2, "other-user", "x") // nor is another user's
	if err := inFlight.Abort(); err != nil {
		t.Fatal(err)
	}
	put(t, s, 1, "d", "4")
	_, err = s.Create(1, "e", 0)
	wantLimit(t, err, "files")
	if got := servertest.Entries(t, filepath.Join(dir, "1")); len(got) != 3 {
		t.Fatalf("user folder holds %q", got)
	}
}

// Quota counts the user's bytes after the backup: a replacement counts its new size only.
func TestFSQuota(t *testing.T) {
	s, _ := servertest.OpenFS(t, storage.Options{Quota: 100})
	put(t, s, 1, "a", strings.Repeat("x", 60))
	_, err := s.Create(1, "b", 41)
	wantLimit(t, err, "quota")
	put(t, s, 1, "b", strings.Repeat("x", 40))
	put(t, s, 1, "a", strings.Repeat("y", 60)) // 100 in all: at the quota
	// Two uploads in flight share the quota.
	up, err := s.Create(1, "a", 30)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Create(1, "b", 41)
	wantLimit(t, err, "quota")
	if err := up.Abort(); err != nil {
		t.Fatal(err)
	}
	put(t, s, 2, "a", strings.Repeat("z", 100)) // each user has a quota of their own
	// A delete gives its bytes back.
	if err := s.Delete(1, "b"); err != nil {
		t.Fatal(err)
	}
	put(t, s, 1, "c", strings.Repeat("x", 40))
	_, err = s.Create(1, "d", 1)
	wantLimit(t, err, "quota")
}

// A backup that would leave less than Reserve free is refused before any byte is written.
func TestFSReserve(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{Reserve: 1 << 62})
	_, err := s.Create(1, "a", 1)
	wantLimit(t, err, "reserve")
	if got := servertest.Entries(t, filepath.Join(dir, "1")); len(got) != 0 {
		t.Fatalf("a refused backup left %q", got)
	}
}

// openWithSecret opens a store in which user 4243 holds a file "secret", the prize of the
// link tests.
func openWithSecret(t *testing.T) (*storage.FS, string) {
	t.Helper()
	s, dir := servertest.OpenFS(t, storage.Options{})
	put(t, s, 4243, "secret", "4243's")
	return s, dir
}

// secretIntact fails t unless user 4243's file "secret" holds what openWithSecret put there.
func secretIntact(t *testing.T, s storage.Store) {
	t.Helper()
	if got := get(t, s, 4243, "secret"); got != "4243's" {
		t.Fatalf("4243's file now %q", got)
	}
}

// A link in place of a user folder would hand one user's files to another: every request
// of that user is refused, and the other user's files stay as they were.
func TestFSUserFolderLinkRefused(t *testing.T) {
	s, dir := openWithSecret(t)
	if err := os.Symlink("4243", filepath.Join(dir, "5002")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, err := s.Create(5002, "secret", 1); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("create through the link: %v", err)
	}
	if _, _, err := s.Open(5002, "secret"); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("open through the link: %v", err)
	}
	if err := s.Delete(5002, "secret"); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("delete through the link: %v", err)
	}
	if _, _, err := s.List(5002); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("list through the link: %v", err)
	}
	secretIntact(t, s)
}

// A link inside a user folder may not lead to another user's folder.
func TestFSFileLinkToOtherUserRefused(t *testing.T) {
	s, dir := openWithSecret(t)
	put(t, s, 5002, "own", "5002's")
	if err := os.Symlink("../4243/secret", filepath.Join(dir, "5002", "stolen")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if r, _, err := s.Open(5002, "stolen"); err == nil {
		r.Close()
		t.Fatal("opened another user's file through a link")
	}
	if _, err := s.Create(5002, "stolen", 1); !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("create over the link: %v", err)
	}
	if err := s.Delete(5002, "stolen"); !errors.Is(err, storage.ErrNotRegular) {
		t.Errorf("delete of the link: %v", err)
	}
	if got := list(t, s, 5002); !slices.Equal(got, []string{"own"}) {
		t.Errorf("listing shows %q", got)
	}
	secretIntact(t, s)
}

// A FIFO, a folder or a device under a user's name is neither opened nor replaced: every
// call returns at once (a blocking open of the FIFO would hang this test).
func TestFSOnlyRegularFiles(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	put(t, s, 8, "keep", "kept")
	user := filepath.Join(dir, "8")
	if err := syscall.Mkfifo(filepath.Join(user, "fifo"), 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Mkdir(filepath.Join(user, "folder"), 0o700); err != nil {
		t.Fatal(err)
	}
	planted := []string{"fifo", "folder"}
	// A character device like /dev/null (1, 3) needs privileges to make: root, as in CI.
	if err := syscall.Mknod(filepath.Join(user, "device"), syscall.S_IFCHR|0o600, 1<<8|3); err == nil {
		planted = append(planted, "device")
	}
	if err := os.Symlink("keep", filepath.Join(user, "link")); err == nil {
		planted = append(planted, "link")
	}
	for _, name := range planted {
		if _, _, err := s.Open(8, name); err == nil {
			t.Errorf("opened %s", name)
		}
		if _, err := s.Create(8, name, 1); !errors.Is(err, storage.ErrNotRegular) {
			t.Errorf("create over %s: %v", name, err)
		}
		if err := s.Delete(8, name); !errors.Is(err, storage.ErrNotRegular) {
			t.Errorf("delete of %s: %v", name, err)
		}
	}
	if got := list(t, s, 8); !slices.Equal(got, []string{"keep"}) {
		t.Errorf("listing shows %q", got)
	}
}

// Startup survives what it finds: a folder named like an upload, a link where a user folder
// goes, a file in the root; it removes the leftover uploads, and says what it did.
func TestOpenFSSurvivesLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	for _, p := range []string{"42/" + storage.TempPrefix + "folder/inside", "42/kept", "42/" + storage.TempPrefix + "0123", "stray-file"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("42", filepath.Join(dir, "43"))
	var logs bytes.Buffer
	s, err := storage.OpenFS(dir, storage.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("OpenFS: %v\n%s", err, logs.String())
	}
	defer s.Close()
	if got := servertest.Entries(t, filepath.Join(dir, "42")); !slices.Equal(got, []string{"kept", storage.TempPrefix + "folder"}) {
		t.Fatalf("after OpenFS the user folder holds %q", got)
	}
	for _, want := range []string{"removed a leftover upload", "0123", "left alone", "folder", "removed=1", "left_alone=2"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, logs.String())
		}
	}
	// The leftover folder is never listed, and the user is served.
	if got := list(t, s, 42); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("listing shows %q", got)
	}
}

// A listing too large to keep in memory is written to an unlinked file: it is exact, and
// leaves nothing in the folder.
func TestFSLargeListing(t *testing.T) {
	s, dir := servertest.OpenFS(t, storage.Options{})
	var want []string
	// 400 names of 205 bytes: some 80 KiB, over the 64 KiB kept in memory.
	for i := range 400 {
		name := fmt.Sprintf("%03d-%s", i, strings.Repeat("n", 200))
		want = append(want, name)
		put(t, s, 3, name, "")
	}
	r, size, err := s.List(3)
	if err != nil {
		t.Fatal(err)
	}
	// The spill is the *os.File itself, which a socket sends with sendfile.
	if _, ok := r.(*os.File); !ok {
		r.Close()
		t.Fatalf("a listing of %d bytes is read from a %T, want the *os.File it was spilled to", size, r)
	}
	// The listing is a snapshot: files stored after List are not in it.
	put(t, s, 3, "later", "")
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil || int64(len(b)) != size {
		t.Fatalf("read %d of %d bytes, %v", len(b), size, err)
	}
	got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("listing of %d names, want %d", len(got), len(want))
	}
	if got := servertest.Entries(t, filepath.Join(dir, "3")); len(got) != 401 {
		t.Fatalf("user folder holds %d entries, want the 401 files", len(got))
	}
}

// A user folder kept open is checked at each use: once a link replaces it, the user's
// requests are refused as if it had never been open, and once it is removed, the next
// backup makes a new one and what it stores is there.
func TestFSKeptFolderReplacedOrRemoved(t *testing.T) {
	s, dir := openWithSecret(t)
	put(t, s, 5002, "own", "5002's")
	if err := os.Rename(filepath.Join(dir, "5002"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("4243", filepath.Join(dir, "5002")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, _, err := s.Open(5002, "secret"); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("open through the link: %v", err)
	}
	if _, err := s.Create(5002, "secret", 1); !errors.Is(err, storage.ErrNotConfined) {
		t.Errorf("create through the link: %v", err)
	}
	secretIntact(t, s)
	if err := os.Remove(filepath.Join(dir, "5002")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(5002, "own"); !errors.Is(err, storage.ErrNotExist) {
		t.Errorf("open in a removed folder: %v", err)
	}
	put(t, s, 5002, "again", "stored")
	if b, err := os.ReadFile(filepath.Join(dir, "5002", "again")); err != nil || string(b) != "stored" {
		t.Errorf("backup after the folder was removed: %q, %v", b, err)
	}
}

// However many users come, at most MaxOpenFolders folders stay open.
func TestFSOpenFoldersBounded(t *testing.T) {
	s, err := storage.OpenFS(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for u := range uint32(storage.MaxOpenFolders + 20) {
		if _, _, err := s.List(u); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(u, "none"); !errors.Is(err, storage.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if n := storage.OpenFolders(s); n != 0 {
		t.Errorf("%d folders open for users who have none", n)
	}
	for u := range uint32(storage.MaxOpenFolders + 20) {
		up, err := s.Create(u, "f", 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := up.Abort(); err != nil {
			t.Fatal(err)
		}
	}
	if n := storage.OpenFolders(s); n != storage.MaxOpenFolders {
		t.Errorf("%d folders open, want the bound %d", n, storage.MaxOpenFolders)
	}
	for u := range uint32(storage.MaxOpenFolders + 20) {
		if _, _, err := s.List(u); err != nil {
			t.Errorf("user %d after eviction: %v", u, err)
		}
	}
}
