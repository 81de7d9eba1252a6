package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/fbpkit/fbp/ref/wire"
)

// TempPrefix starts the name of every file an upload writes before it is committed. Its first
// byte is DEL (0x7f), a control character wire.CheckName refuses: no valid filename can take
// this form, so a temporary file can never collide with a user's file, and List, which shows
// only valid names, never shows one. Leftovers of a crash are removed by OpenFS.
const TempPrefix = "\x7ffbp-upload-"

// lockStripes is how many locks the users share. Two users on one stripe only wait for each
// other's short metadata steps (rename, open, unlink, readdir), never for a transfer.
const lockStripes = 64

// FS stores user u's file f as <dir>/<u>/<f>, u in decimal. User folders are created on the
// first backup, with owner-only permissions, and files with mode 0600.
//
// Every path goes through an os.Root opened on dir, so even a symbolic link planted in a user
// folder cannot lead a request outside dir.
//
// Atomicity rests on the filesystem: a new version is written to a temporary file in the
// user's folder, synced, then renamed over the old one, so a reader opens either version whole,
// and an open file keeps its content while it is replaced. Directory scans are not atomic
// against concurrent changes (POSIX leaves unspecified whether entries added or removed during
// a scan show up), so each user has a read-write lock: List and Open take it shared, the rename
// of Commit and Delete take it exclusively.
//
// One FS (one server) at a time may use a folder: OpenFS removes temporary files it finds.
type FS struct {
	root      *os.Root
	locks     [lockStripes]sync.RWMutex
	releasing sync.WaitGroup // closes of replaced versions
}

var _ Store = (*FS)(nil)

// OpenFS opens the store in dir, creating dir (mode 0700) if missing, and removes the
// temporary files a crashed server may have left in user folders.
func OpenFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create store folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open store folder: %w", err)
	}
	s := &FS{root: root}
	if err := s.removeTemporaries(); err != nil {
		root.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the folder, once the space of replaced versions is freed. Uploads, readers
// and calls in progress must have ended.
func (s *FS) Close() error {
	s.releasing.Wait()
	return s.root.Close()
}

// Dir is the folder the store was opened on.
func (s *FS) Dir() string { return s.root.Name() }

func (s *FS) lock(user uint32) *sync.RWMutex { return &s.locks[user%lockStripes] }

func userDir(user uint32) string { return strconv.FormatUint(uint64(user), 10) }

func checkName(name string) error {
	// The server has checked the name against its own limit; this guards the filesystem
	// against any other caller.
	if err := wire.CheckName([]byte(name), wire.MaxNameField); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// Create implements Store.
func (s *FS) Create(user uint32, name string) (Upload, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	dir := userDir(user)
	if err := s.root.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create user folder: %w", err)
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	tmp := path.Join(dir, TempPrefix+hex.EncodeToString(rnd[:]))
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return &upload{s: s, user: user, tmp: tmp, final: path.Join(dir, name), f: f}, nil
}

type upload struct {
	s          *FS
	user       uint32
	tmp, final string
	f          *os.File
}

func (u *upload) Write(b []byte) (int, error) { return u.f.Write(b) }

// ReadFrom hands the copy to the file, so that a payload coming from a TCP socket can be
// spliced into it without passing through user space.
func (u *upload) ReadFrom(r io.Reader) (int64, error) { return u.f.ReadFrom(r) }

func (u *upload) Commit() error {
	err := u.f.Sync()
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		u.s.root.Remove(u.tmp)
		return fmt.Errorf("write %s: %w", u.final, err)
	}
	l := u.s.lock(u.user)
	l.Lock()
	// The rename drops the previous version, and freeing a large file's blocks takes the
	// filesystem a while (half a second per GiB here). Holding the previous version open
	// across the rename leaves that work to the last close, done after the answer.
	previous := u.s.openPrevious(u.final)
	err = u.s.root.Rename(u.tmp, u.final)
	l.Unlock()
	if previous != nil {
		u.s.release(previous)
	}
	if err != nil {
		u.s.root.Remove(u.tmp)
		return fmt.Errorf("replace %s: %w", u.final, err)
	}
	// The rename is durable only once the folder holding it is synced.
	return u.s.syncDir(path.Dir(u.final))
}

// openPrevious opens the version a commit is about to replace, if it is a regular file (not,
// say, a FIFO, whose open would block).
func (s *FS) openPrevious(name string) *os.File {
	if fi, err := s.root.Lstat(name); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	f, err := s.root.Open(name)
	if err != nil {
		return nil
	}
	return f
}

// release closes f in the background; Close waits for it.
func (s *FS) release(f *os.File) {
	s.releasing.Go(func() { f.Close() })
}

func (u *upload) Abort() error {
	u.f.Close()
	if err := u.s.root.Remove(u.tmp); err != nil {
		return fmt.Errorf("remove temporary file: %w", err)
	}
	return nil
}

func (s *FS) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

// Open implements Store.
func (s *FS) Open(user uint32, name string) (io.ReadCloser, int64, error) {
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	l := s.lock(user)
	l.RLock()
	f, err := s.root.Open(path.Join(userDir(user), name))
	l.RUnlock()
	if err != nil {
		return nil, 0, notExist(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat: %w", err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, &notExistError{fmt.Errorf("%s: not a regular file", name)}
	}
	// The *os.File itself is returned so that a socket can send it with sendfile.
	return f, fi.Size(), nil
}

// Delete implements Store.
func (s *FS) Delete(user uint32, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	dir := userDir(user)
	p := path.Join(dir, name)
	l := s.lock(user)
	l.Lock()
	fi, err := s.root.Lstat(p)
	if err == nil && !fi.Mode().IsRegular() {
		err = &notExistError{fmt.Errorf("%s: not a regular file", name)}
	}
	if err == nil {
		err = s.root.Remove(p)
	}
	l.Unlock()
	if err != nil {
		return notExist(err)
	}
	return s.syncDir(dir)
}

// List implements Store.
func (s *FS) List(user uint32) ([]string, error) {
	l := s.lock(user)
	l.RLock()
	defer l.RUnlock()
	d, err := s.root.Open(userDir(user))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open user folder: %w", err)
	}
	defer d.Close()
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read user folder: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if listed(e) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// listed reports whether a folder entry is a stored file: temporary files and anything a
// request could not have named are left out.
func listed(e fs.DirEntry) bool {
	return e.Type().IsRegular() && !strings.HasPrefix(e.Name(), TempPrefix) &&
		wire.CheckName([]byte(e.Name()), wire.MaxNameField) == nil
}

func notExist(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return &notExistError{err}
	}
	return err
}

// removeTemporaries deletes the upload files left in user folders by a server that stopped
// before committing or aborting them. Folders are read in batches to bound memory.
func (s *FS) removeTemporaries() error {
	d, err := s.root.Open(".")
	if err != nil {
		return fmt.Errorf("open store folder: %w", err)
	}
	defer d.Close()
	for {
		users, err := d.ReadDir(256)
		for _, u := range users {
			if !u.IsDir() {
				continue
			}
			if err := s.removeTemporariesIn(u.Name()); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read store folder: %w", err)
		}
	}
}

func (s *FS) removeTemporariesIn(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return fmt.Errorf("open user folder: %w", err)
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), TempPrefix) {
				if rerr := s.root.Remove(path.Join(dir, e.Name())); rerr != nil {
					return fmt.Errorf("remove leftover upload: %w", rerr)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read user folder: %w", err)
		}
	}
}
