package storage

import (
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// maxOpenFolders bounds the user folders kept open between requests: two descriptors each,
// 512 in all. Beyond it one is closed (once its requests end) and reopened at its next use.
const maxOpenFolders = 256

// folder is a user's folder, kept open across requests: reopening it through the store's root
// for every step of every request (the check that it is a plain folder, the open as a root,
// the open for its fsync) cost a BACKUP more syscalls than its durable write itself.
type folder struct {
	root *os.Root
	dir  *os.File    // the folder itself, for its fsyncs
	fd   int         // dir's descriptor, valid while dir is open
	id   fs.FileInfo // what it was when opened; a use first checks the name still leads to it
	refs int         // requests using it; guarded by FS.foldersMu
	gone bool        // out of the cache: closed when refs reaches 0
	sync groupSync
}

// folder gives user's folder, from the cache when the store's entry of that name is still
// the folder that was opened (a folder removed, or replaced by another or by a link, is
// opened afresh, with every check of userRoot). The caller hands it back with done.
func (s *FS) folder(user uint32, create bool) (*folder, error) {
	fi, err := s.root.Lstat(userDir(user))
	s.foldersMu.Lock()
	if f := s.folders[user]; f != nil {
		if err == nil && os.SameFile(f.id, fi) {
			f.refs++
			s.foldersMu.Unlock()
			return f, nil
		}
		s.drop(user, f)
	}
	s.foldersMu.Unlock()

	ur, err := s.userRoot(user, create)
	if err != nil {
		return nil, err
	}
	dir, err := ur.Open(".")
	if err != nil {
		ur.Close()
		return nil, fmt.Errorf("open user folder: %w", err)
	}
	id, err := dir.Stat()
	if err != nil {
		dir.Close()
		ur.Close()
		return nil, fmt.Errorf("open user folder: %w", err)
	}
	f := &folder{root: ur, dir: dir, fd: int(dir.Fd()), id: id, refs: 1}
	s.foldersMu.Lock()
	defer s.foldersMu.Unlock()
	if old := s.folders[user]; old != nil {
		s.drop(user, old)
	}
	if len(s.folders) >= maxOpenFolders {
		for u, old := range s.folders {
			s.drop(u, old)
			break
		}
	}
	s.folders[user] = f
	return f, nil
}

// done hands back a folder given by folder.
func (s *FS) done(f *folder) {
	s.foldersMu.Lock()
	defer s.foldersMu.Unlock()
	f.refs--
	if f.gone && f.refs == 0 {
		f.close()
	}
}

// drop takes f out of the cache, closing it now if no request uses it. The caller holds
// foldersMu.
func (s *FS) drop(user uint32, f *folder) {
	if s.folders[user] == f {
		delete(s.folders, user)
	}
	f.gone = true
	if f.refs == 0 {
		f.close()
	}
}

func (f *folder) close() {
	f.dir.Close()
	f.root.Close()
}

// closeFolders closes every cached folder; no request may be running.
func (s *FS) closeFolders() {
	s.foldersMu.Lock()
	defer s.foldersMu.Unlock()
	for u, f := range s.folders {
		s.drop(u, f)
	}
}

// groupSync makes changes to a folder durable with one fsync for as many as are waiting:
// a change made before an fsync starts is durable when it ends, so the changes that come
// while one fsync runs all wait for the next, and that one covers them all.
type groupSync struct {
	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64 // changes that asked for an fsync
	synced    uint64 // changes covered by a completed fsync
	running   bool
	// err is sticky: once an fsync of the folder failed, what it covered may be lost, and the
	// folder is not trusted again (the cache drops it).
	err error
}

// syncAfter returns once a call of fsync, started after the caller's change, has returned.
func (g *groupSync) syncAfter(fsync func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	g.requested++
	mine := g.requested
	for g.synced < mine && g.err == nil {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		upto := g.requested
		g.mu.Unlock()
		err := fsync()
		g.mu.Lock()
		g.running = false
		g.synced = upto
		if err != nil {
			g.err = fmt.Errorf("sync folder: %w", err)
		}
		g.cond.Broadcast()
	}
	return g.err
}

// syncFolder makes the changes to user's folder so far durable.
func (s *FS) syncFolder(user uint32, f *folder) error {
	err := f.sync.syncAfter(f.dir.Sync)
	if err != nil {
		s.foldersMu.Lock()
		s.drop(user, f)
		s.foldersMu.Unlock()
	}
	return err
}
