package server_test

import (
	"bytes"
	"io"
	"io/fs"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
	"github.com/fbpkit/fbp/ref/server/storage"
	"github.com/fbpkit/fbp/ref/wire"
)

// faultyStore is a filesystem store that fails where a test says, as a full or broken disk.
type faultyStore struct {
	*storage.FS
	failCreate, failCommit, failOpen, failDelete, failList atomic.Bool
	failWriteAfter                                         atomic.Int64 // 0: never
}

func diskFull(op string) error { return &fs.PathError{Op: op, Path: "injected", Err: syscall.ENOSPC} }

func (s *faultyStore) Create(user uint32, name string, size int64) (storage.Upload, error) {
	if s.failCreate.Load() {
		return nil, diskFull("create")
	}
	up, err := s.FS.Create(user, name, size)
	if err != nil {
		return nil, err
	}
	return &faultyUpload{Upload: up, s: s}, nil
}

func (s *faultyStore) Open(user uint32, name string) (io.ReadCloser, int64, error) {
	if s.failOpen.Load() {
		return nil, 0, diskFull("open")
	}
	return s.FS.Open(user, name)
}

func (s *faultyStore) Delete(user uint32, name string) error {
	if s.failDelete.Load() {
		return diskFull("remove")
	}
	return s.FS.Delete(user, name)
}

func (s *faultyStore) List(user uint32) (io.ReadCloser, int64, error) {
	if s.failList.Load() {
		return nil, 0, diskFull("readdir")
	}
	return s.FS.List(user)
}

type faultyUpload struct {
	storage.Upload
	s       *faultyStore
	written int64
}

func (u *faultyUpload) Write(b []byte) (int, error) {
	if limit := u.s.failWriteAfter.Load(); limit > 0 && u.written+int64(len(b)) > limit {
		return 0, diskFull("write")
	}
	n, err := u.Upload.Write(b)
	u.written += int64(n)
	return n, err
}

func (u *faultyUpload) Commit() error {
	if u.s.failCommit.Load() {
		u.Upload.Abort()
		return diskFull("sync")
	}
	return u.Upload.Commit()
}

// any store failure answers 1003 and leaves the previous version intact.
func TestStoreFailures(t *testing.T) {
	fsys, dir := servertest.OpenFS(t, storage.Options{})
	store := &faultyStore{FS: fsys}
	srv := servertest.Start(t, server.Config{Store: store})
	const user = 21
	wantResp(t, "setup", roundTrip(t, srv.Addr, backupReq(user, "f", []byte("previous"))), wire.StatusOK, "f", nil)
	want := map[string]string{userDir(user): "<dir>", userDir(user) + "/f": "previous"}
	serverError := respBytes(wire.StatusServerError, "", nil)
	newVersion := bytes.Repeat([]byte("new"), 100<<10)

	t.Run("create", func(t *testing.T) {
		store.failCreate.Store(true)
		defer store.failCreate.Store(false)
		// Refused before its payload, which is still on the stream: the connection closes.
		c := dial(t, srv.Addr)
		send(t, c, enc(backupReq(user, "f", newVersion)))
		wantClosed(t, "BACKUP", c, serverError)
		wantTree(t, "after", dir, want)
	})
	t.Run("write", func(t *testing.T) {
		store.failWriteAfter.Store(64 << 10)
		defer store.failWriteAfter.Store(0)
		c := dial(t, srv.Addr)
		send(t, c, enc(backupReq(user, "f", newVersion)))
		wantClosed(t, "BACKUP", c, serverError)
		wantTree(t, "after", dir, want)
	})
	t.Run("commit", func(t *testing.T) {
		store.failCommit.Store(true)
		defer store.failCommit.Store(false)
		c := dial(t, srv.Addr)
		send(t, c, enc(backupReq(user, "f", newVersion)))
		wantResp(t, "BACKUP", readResponse(t, c), wire.StatusServerError, "", nil)
		send(t, c, enc(restoreReq(user, "f")))
		wantResp(t, "RESTORE after", readResponse(t, c), wire.StatusRestored, "f", []byte("previous"))
		wantTree(t, "after", dir, want)
	})
	t.Run("open", func(t *testing.T) {
		store.failOpen.Store(true)
		defer store.failOpen.Store(false)
		wantResp(t, "RESTORE", roundTrip(t, srv.Addr, restoreReq(user, "f")), wire.StatusServerError, "", nil)
	})
	t.Run("delete", func(t *testing.T) {
		store.failDelete.Store(true)
		defer store.failDelete.Store(false)
		wantResp(t, "DELETE", roundTrip(t, srv.Addr, deleteReq(user, "f")), wire.StatusServerError, "", nil)
		wantTree(t, "after", dir, want)
	})
	t.Run("list", func(t *testing.T) {
		store.failList.Store(true)
		defer store.failList.Store(false)
		wantResp(t, "LIST", roundTrip(t, srv.Addr, listReq(user)), wire.StatusServerError, "", nil)
	})
}
