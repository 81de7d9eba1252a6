package storage

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

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

// Defaults of Options.
const (
	// DefaultMaxFiles bounds a user's files: a user folder of 10,000 names is read in a few
	// milliseconds, and its listing is at most 2.5 MiB.
	DefaultMaxFiles = 10000
	// DefaultQuota bounds a user's bytes: one file of the largest size the protocol can state.
	DefaultQuota int64 = 4 << 30
	// DefaultReserve is the free space a backup must leave on the store's filesystem, so that
	// the server's own folder syncs, its log and the rest of the machine keep working.
	DefaultReserve int64 = 256 << 20
)

// listInMemory is the largest listing List keeps in memory: some 300 names of 200 bytes, or
// thousands of short ones, served without a file. A larger one is written to an unlinked
// temporary file, so that a LIST costs at most some 64 KiB of memory at any size.
const listInMemory = 64 << 10

// Options bound what the users of an FS may store. A zero field takes its default.
type Options struct {
	// MaxFiles is how many files one user may hold (default DefaultMaxFiles).
	MaxFiles int
	// Quota is how many bytes one user may hold (default DefaultQuota).
	Quota int64
	// Reserve is how many bytes a backup must leave free on the filesystem (default
	// DefaultReserve).
	Reserve int64
	// Logger is told what OpenFS removed or left alone in the folder; nil discards.
	Logger *slog.Logger
}

// FS stores user u's file f as <dir>/<u>/<f>, u in decimal. User folders are created on the
// first backup, with owner-only permissions, and files with mode 0600.
//
// Every request works inside an os.Root opened on the user's own folder, so neither a name nor
// a symbolic link planted in the folder can lead a request out of it. The user folder itself
// must be a plain folder: a link in its place (<dir>/5002 -> 4243) is refused, since it would
// hand one user's files to another. Only regular files are served, listed or replaced: a FIFO,
// a device, a folder or a link under a user's name is never opened for data, and a file is
// opened without blocking (O_NONBLOCK), so that nothing planted can hold a request in open.
//
// Atomicity rests on the filesystem: a new version is written to a temporary file in the
// user's folder, synced, then renamed over the old one, so a reader opens either version whole,
// and an open file keeps its content while it is replaced. Directory scans are not atomic
// against concurrent changes (POSIX leaves unspecified whether entries added or removed during
// a scan show up), so each user has a read-write lock: List, Open and the limit checks of
// Create take it shared, the rename of Commit and Delete take it exclusively.
//
// Limits (Options) are checked by Create before any byte is written, counting the uploads in
// flight as if they had been committed.
//
// One FS (one server) at a time may use a folder: OpenFS removes temporary files it finds.
type FS struct {
	root      *os.Root
	opt       Options
	log       *slog.Logger
	locks     [lockStripes]sync.RWMutex
	releasing sync.WaitGroup // closes of replaced versions

	mu       sync.Mutex
	inFlight map[uint32]booked // uploads not yet committed or aborted, per user
	booked   int64             // bytes of all of them
	usage    map[uint32]usage  // what users hold, for the limits: a cache of their folders

	foldersMu sync.Mutex
	folders   map[uint32]*folder // user folders kept open between requests
}

// usage is what a user's folder holds.
type usage struct {
	files int
	bytes int64
}

// maxCachedUsers bounds the usage cache: some 2 MiB. Beyond it an entry is dropped, and its
// user's folder is counted again at its next backup.
const maxCachedUsers = 1 << 16

// booked is what the uploads in flight of one user will add when they commit.
type booked struct {
	bytes   int64
	files   int // uploads of a name the user did not hold
	uploads int
}

var _ Store = (*FS)(nil)

// OpenFS opens the store in dir, creating dir (mode 0700) if missing, and removes the
// temporary files a crashed server may have left in user folders. What it finds and cannot
// make sense of (a folder named like a temporary file, a link in place of a user folder) it
// leaves alone, and says so to opt.Logger.
func OpenFS(dir string, opt Options) (*FS, error) {
	if opt.MaxFiles < 0 || opt.Quota < 0 || opt.Reserve < 0 {
		return nil, errors.New("storage options: negative limit")
	}
	opt.MaxFiles = cmp.Or(opt.MaxFiles, DefaultMaxFiles)
	opt.Quota = cmp.Or(opt.Quota, DefaultQuota)
	opt.Reserve = cmp.Or(opt.Reserve, DefaultReserve)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create store folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open store folder: %w", err)
	}
	s := &FS{root: root, opt: opt, log: opt.Logger, inFlight: map[uint32]booked{}, usage: map[uint32]usage{},
		folders: map[uint32]*folder{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
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
	s.closeFolders()
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

// userRoot opens user's folder as a root of its own. The folder must be a plain folder of the
// store: a link in its place, which could lead to another user's folder, is refused, and so
// is a folder swapped in between the check and the open. With create, a missing folder is
// made; without, it is an error matching ErrNotExist.
func (s *FS) userRoot(user uint32, create bool) (*os.Root, error) {
	dir := userDir(user)
	fi, err := s.root.Lstat(dir)
	if create && errors.Is(err, fs.ErrNotExist) {
		if err := s.root.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create user folder: %w", err)
		}
		fi, err = s.root.Lstat(dir)
	}
	if err != nil {
		return nil, notExist(err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("user folder %s: %w (%v)", dir, ErrNotConfined, fi.Mode().Type())
	}
	ur, err := s.root.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open user folder: %w", err)
	}
	if st, err := ur.Stat("."); err != nil || !os.SameFile(fi, st) {
		ur.Close()
		return nil, fmt.Errorf("user folder %s: %w (replaced while it was opened)", dir, ErrNotConfined)
	}
	return ur, nil
}

// Create implements Store.
func (s *FS) Create(user uint32, name string, size int64) (Upload, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("storage: negative size %d", size)
	}
	uf, err := s.folder(user, true)
	if err != nil {
		return nil, err
	}
	up, err := s.book(uf, user, name, size)
	if err != nil {
		s.done(uf)
		return nil, err
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	up.tmp = TempPrefix + hex.EncodeToString(rnd[:])
	up.f, err = uf.createIn(up.tmp)
	if err != nil {
		s.unbook(up)
		s.done(uf)
		return nil, fmt.Errorf("create temporary file: %w", err)
	}
	return up, nil
}

// book checks that a new version of name, of size bytes, keeps the user within MaxFiles and
// Quota and the disk above Reserve, counting the uploads in flight as committed, and books it.
// The user's lock is held shared, so that no commit or delete changes the folder between the
// count and the booking.
func (s *FS) book(uf *folder, user uint32, name string, size int64) (*upload, error) {
	ur := uf.root
	l := s.lock(user)
	l.RLock()
	defer l.RUnlock()
	up := &upload{s: s, user: user, uf: uf, ur: ur, name: name, size: size, isNew: true}
	var replaced int64
	switch fi, err := ur.Lstat(name); {
	case err == nil && !fi.Mode().IsRegular():
		return nil, notRegular(name, fi)
	case err == nil:
		replaced, up.isNew = fi.Size(), false
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	held, err := s.held(ur, user)
	if err != nil {
		return nil, err
	}
	free, freeErr := freeSpace(s.root.Name())

	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.inFlight[user]
	if n := int64(held.files + b.files + 1); up.isNew && n > int64(s.opt.MaxFiles) {
		return nil, &LimitError{Limit: "files", Want: n, Max: int64(s.opt.MaxFiles)}
	}
	if n := held.bytes - replaced + b.bytes + size; n > s.opt.Quota {
		return nil, &LimitError{Limit: "quota", Want: n, Max: s.opt.Quota}
	}
	// A filesystem that cannot tell its free space (not a Unix one) is not checked.
	if left := free - s.booked - size; freeErr == nil && left < s.opt.Reserve {
		return nil, &LimitError{Limit: "reserve", Want: left, Max: s.opt.Reserve}
	}
	b.bytes += size
	b.uploads++
	if up.isNew {
		b.files++
	}
	s.inFlight[user] = b
	s.booked += size
	return up, nil
}

// unbook forgets what book counted for up.
func (s *FS) unbook(up *upload) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.inFlight[up.user]
	b.bytes -= up.size
	b.uploads--
	if up.isNew {
		b.files--
	}
	if b.uploads == 0 {
		delete(s.inFlight, up.user)
	} else {
		s.inFlight[up.user] = b
	}
	s.booked -= up.size
}

// held is what user's folder holds, from the cache or, the first time, from the folder. The
// caller holds the user's lock (shared at least), so that no commit or delete runs meanwhile.
func (s *FS) held(ur *os.Root, user uint32) (usage, error) {
	s.mu.Lock()
	u, ok := s.usage[user]
	s.mu.Unlock()
	if ok {
		return u, nil
	}
	err := scan(ur, func(e fs.DirEntry) error {
		fi, err := ur.Lstat(e.Name())
		if err != nil {
			return err
		}
		u.files++
		u.bytes += fi.Size()
		return nil
	})
	if err != nil {
		return usage{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.usage) >= maxCachedUsers {
		for k := range s.usage {
			delete(s.usage, k)
			break
		}
	}
	s.usage[user] = u
	return u, nil
}

// changed updates the cached usage of user by a file more or less and bytes; the caller holds
// the user's lock exclusively. A user not in the cache is counted afresh when needed.
func (s *FS) changed(user uint32, files int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.usage[user]; ok {
		s.usage[user] = usage{files: u.files + files, bytes: u.bytes + bytes}
	}
}

// scan calls f for every stored file of a user folder, reading the folder in batches, so that
// a large one costs no more memory than a small one.
func scan(ur *os.Root, f func(fs.DirEntry) error) error {
	d, err := openScan(ur)
	if err != nil {
		return fmt.Errorf("open user folder: %w", err)
	}
	defer d.Close()
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if listed(e) {
				if err := f(e); err != nil {
					return err
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

type upload struct {
	s     *FS
	user  uint32
	uf    *folder  // the user's folder, held until Commit or Abort
	ur    *os.Root // uf.root
	name  string
	tmp   string
	f     *os.File
	size  int64 // booked
	isNew bool  // booked as a new file
}

func (u *upload) Write(b []byte) (int, error) { return u.f.Write(b) }

// ReadFrom hands the copy to the file, so that a payload coming from a TCP socket can be
// spliced into it without passing through user space.
func (u *upload) ReadFrom(r io.Reader) (int64, error) { return u.f.ReadFrom(r) }

func (u *upload) Commit() error {
	defer u.s.done(u.uf)
	err := u.f.Sync()
	if cerr := u.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		u.ur.Remove(u.tmp)
		u.s.unbook(u)
		return fmt.Errorf("write %s: %w", u.name, err)
	}
	l := u.s.lock(u.user)
	l.Lock()
	// The rename drops the previous version, and freeing a large file's blocks takes the
	// filesystem a while (half a second per GiB here). Holding the previous version open
	// across the rename leaves that work to the last close, done after the answer.
	held, existed, replaced, err := previousVersion(u.ur, u.name)
	if err == nil {
		err = u.uf.renameIn(u.tmp, u.name)
	}
	if err == nil {
		files := 1
		if existed {
			files = 0
		}
		u.s.changed(u.user, files, u.size-replaced)
	}
	u.s.unbook(u)
	l.Unlock()
	if held != nil {
		u.s.release(held)
	}
	if err != nil {
		u.ur.Remove(u.tmp)
		return fmt.Errorf("replace %s: %w", u.name, err)
	}
	// The rename is durable only once the folder holding it is synced.
	return u.s.syncFolder(u.user, u.uf)
}

// heldOpenFrom is the size from which the version a commit replaces is held open across the
// rename and closed after the answer. Freeing a smaller file's blocks costs less than the
// open, fstat and close that would defer it.
const heldOpenFrom = 1 << 20

// previousVersion finds the version a commit is about to replace, if there is one, and gives
// its size; one of heldOpenFrom bytes or more is opened, to be held across the rename.
// Something other than a regular file, planted since Create checked, is not replaced.
func previousVersion(ur *os.Root, name string) (held *os.File, existed bool, size int64, err error) {
	fi, err := ur.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, false, 0, nil
	case err != nil:
		return nil, false, 0, err
	case !fi.Mode().IsRegular():
		return nil, false, 0, notRegular(name, fi)
	case fi.Size() < heldOpenFrom:
		return nil, true, fi.Size(), nil
	}
	f, size, err := openRegular(ur, name)
	switch {
	case err == nil:
		return f, true, size, nil
	case errors.Is(err, ErrNotExist):
		return nil, false, 0, nil
	}
	return nil, false, 0, err
}

// release closes f in the background; Close waits for it.
func (s *FS) release(f *os.File) {
	s.releasing.Go(func() { f.Close() })
}

func (u *upload) Abort() error {
	defer u.s.done(u.uf)
	u.f.Close()
	err := u.ur.Remove(u.tmp)
	u.s.unbook(u)
	if err != nil {
		return fmt.Errorf("remove temporary file: %w", err)
	}
	return nil
}

// openRegular opens name for reading if it is a regular file. Anything else is refused before
// open, and the open itself cannot block (O_NONBLOCK), so that a FIFO swapped in between the
// check and the open cannot hold the caller; the check after the open catches it.
func openRegular(ur *os.Root, name string) (*os.File, int64, error) {
	fi, err := ur.Lstat(name)
	if err != nil {
		return nil, 0, notExist(err)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, notRegular(name, fi)
	}
	f, err := ur.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, notExist(err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || !os.SameFile(fi, st) {
		f.Close()
		return nil, 0, fmt.Errorf("%s: %w (replaced while it was opened)", name, ErrNotRegular)
	}
	return f, st.Size(), nil
}

func notRegular(name string, fi fs.FileInfo) error {
	return fmt.Errorf("%s: %w (%v)", name, ErrNotRegular, fi.Mode().Type())
}

// Open implements Store.
func (s *FS) Open(user uint32, name string) (io.ReadCloser, int64, error) {
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	uf, err := s.folder(user, false)
	if err != nil {
		return nil, 0, err
	}
	defer s.done(uf)
	l := s.lock(user)
	l.RLock()
	f, size, err := uf.openIn(name)
	l.RUnlock()
	if err != nil {
		return nil, 0, err
	}
	return f, size, nil
}

// Delete implements Store.
func (s *FS) Delete(user uint32, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	uf, err := s.folder(user, false)
	if err != nil {
		return err
	}
	defer s.done(uf)
	ur := uf.root
	l := s.lock(user)
	l.Lock()
	fi, err := ur.Lstat(name)
	switch {
	case err != nil:
		err = notExist(err)
	case !fi.Mode().IsRegular():
		err = notRegular(name, fi)
	default:
		if err = notExist(ur.Remove(name)); err == nil {
			s.changed(user, -1, -fi.Size())
		}
	}
	l.Unlock()
	if err != nil {
		return err
	}
	return s.syncFolder(user, uf)
}

// List implements Store. The listing is in the folder's order. It is written while the user's
// lock is held, so that it is exact, and sent after, so that a client slow to read it holds
// nothing but its own copy.
func (s *FS) List(user uint32) (io.ReadCloser, int64, error) {
	uf, err := s.folder(user, false)
	if errors.Is(err, ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer s.done(uf)
	ur := uf.root
	l := s.lock(user)
	l.RLock()
	defer l.RUnlock()
	w := listingWriter{ur: ur}
	if err := scan(ur, w.add); err != nil {
		w.discard()
		return nil, 0, err
	}
	return w.finish()
}

// listingWriter holds a listing being written: in memory up to listInMemory bytes, then in an
// unlinked temporary file of the user's folder.
type listingWriter struct {
	ur   *os.Root
	mem  []byte
	file *os.File
	bw   *bufio.Writer
	size int64
}

func (w *listingWriter) add(e fs.DirEntry) error {
	name := e.Name()
	w.size += int64(len(name)) + 1
	if w.file == nil && len(w.mem)+len(name)+1 <= listInMemory {
		w.mem = append(append(w.mem, name...), '\n')
		return nil
	}
	if w.file == nil {
		if err := w.spill(); err != nil {
			return err
		}
	}
	w.bw.WriteString(name)
	return w.bw.WriteByte('\n')
}

// spill moves the listing to a temporary file, unlinked at once: no other request can see it,
// and its space is freed when it is closed, whatever happens to the request.
func (w *listingWriter) spill() error {
	var rnd [12]byte
	rand.Read(rnd[:])
	tmp := TempPrefix + "list-" + hex.EncodeToString(rnd[:])
	f, err := w.ur.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create listing file: %w", err)
	}
	if err := w.ur.Remove(tmp); err != nil {
		f.Close()
		return fmt.Errorf("unlink listing file: %w", err)
	}
	// 32 KiB a write: a 2.5 MiB listing in 80 writes, at 32 KiB of memory while it is written.
	w.file, w.bw = f, bufio.NewWriterSize(f, 32<<10)
	w.bw.Write(w.mem)
	w.mem = nil
	return nil
}

func (w *listingWriter) discard() {
	if w.file != nil {
		w.file.Close()
	}
}

func (w *listingWriter) finish() (io.ReadCloser, int64, error) {
	switch {
	case w.size == 0:
		return nil, 0, nil
	case w.file == nil:
		return io.NopCloser(bytes.NewReader(w.mem)), w.size, nil
	}
	err := w.bw.Flush()
	if err == nil {
		_, err = w.file.Seek(0, io.SeekStart)
	}
	if err != nil {
		w.file.Close()
		return nil, 0, fmt.Errorf("write listing file: %w", err)
	}
	// The *os.File itself is returned so that a socket can send it with sendfile.
	return w.file, w.size, nil
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
