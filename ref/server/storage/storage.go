// Package storage holds the files of the reference FBP server behind a small interface, so that
// another backend can replace the filesystem one, and implements it on a local folder (FS).
package storage

import (
	"errors"
	"io"
)

// ErrNotExist: the user has no file of that name. It matches fs.ErrNotExist as well.
var ErrNotExist = errors.New("file does not exist")

// Store keeps each user's files. Names reaching a Store have passed wire.CheckName; a Store
// checks them again and refuses an unsafe one with an error matching wire.ErrBadName.
//
// A Store is safe for concurrent use, and concurrent calls on one user behave as if run one
// at a time in some order: a file is either wholly its old version or wholly its new one to
// Open and List, never a mix, and a List never misses a file committed before it began.
type Store interface {
	// Create starts a new version of user's file name. Nothing of it can be seen (by Open or
	// List) until Upload.Commit; until then the previous version, if any, stays as it was.
	Create(user uint32, name string) (Upload, error)
	// Open opens the current version of name for reading and gives its size. The reader keeps
	// yielding that version even if it is replaced or deleted meanwhile.
	Open(user uint32, name string) (r io.ReadCloser, size int64, err error)
	// Delete removes name. A missing file is an error matching ErrNotExist.
	Delete(user uint32, name string) error
	// List gives the names of the user's stored files, sorted; none for an unknown user.
	List(user uint32) ([]string, error)
}

// Upload is a new version of a file being written. Exactly one of Commit and Abort must be
// called; after either, the Upload must not be used again.
type Upload interface {
	io.Writer
	// Commit makes the written bytes durable and replaces the previous version with them in
	// one step. On error the previous version is intact and nothing of the upload is left.
	Commit() error
	// Abort discards the upload and leaves the previous version intact.
	Abort() error
}

// notExistError matches both ErrNotExist and the error it wraps (fs.ErrNotExist).
type notExistError struct{ err error }

func (e *notExistError) Error() string        { return e.err.Error() }
func (e *notExistError) Unwrap() error        { return e.err }
func (e *notExistError) Is(target error) bool { return target == ErrNotExist }
