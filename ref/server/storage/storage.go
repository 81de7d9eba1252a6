// Package storage holds the files of the reference FBP server behind a small interface, so that
// another backend can replace the filesystem one, and implements it on a local folder (FS).
package storage

import (
	"errors"
	"fmt"
	"io"
)

var (
	// ErrNotExist: the user has no file of that name. It matches fs.ErrNotExist as well.
	ErrNotExist = errors.New("file does not exist")
	// ErrLimit: a backup would take the user or the disk past a limit. Matched by a *LimitError.
	ErrLimit = errors.New("over a storage limit")
	// ErrNotRegular: the name holds something other than a regular file (a folder, a FIFO, a
	// device, a link); it is neither served nor replaced.
	ErrNotRegular = errors.New("not a regular file")
	// ErrNotConfined: the user's folder is not a plain folder of the store (a link, say, that
	// could lead to another user's folder); nothing in it is served.
	ErrNotConfined = errors.New("user folder is not a plain folder")
)

// Store keeps each user's files. Names reaching a Store have passed wire.CheckName; a Store
// checks them again and refuses an unsafe one with an error matching wire.ErrBadName.
//
// A Store is safe for concurrent use, and concurrent calls on one user behave as if run one
// at a time in some order: a file is either wholly its old version or wholly its new one to
// Open and List, never a mix, and a List never misses a file committed before it began.
type Store interface {
	// Create starts a new version of user's file name, of size bytes. It refuses, with an error
	// matching ErrLimit, a version that would take the store past one of its limits: these are
	// checked here, before any byte of it is written. Nothing of it can be seen (by Open or
	// List) until Upload.Commit; until then the previous version, if any, stays as it was.
	Create(user uint32, name string, size int64) (Upload, error)
	// Open opens the current version of name for reading and gives its size. The reader keeps
	// yielding that version even if it is replaced or deleted meanwhile.
	Open(user uint32, name string) (r io.ReadCloser, size int64, err error)
	// Delete removes name. A missing file is an error matching ErrNotExist.
	Delete(user uint32, name string) error
	// List gives the listing of the user's stored files, one name per line, each ending in
	// "\n", and its size: a snapshot taken when List is called, which later changes do not
	// touch. A user with no files gets size 0 and a nil reader. The caller closes the reader.
	List(user uint32) (listing io.ReadCloser, size int64, err error)
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

// LimitError is a backup refused because it would pass a limit. It matches ErrLimit.
type LimitError struct {
	Limit string // "files", "quota" or "reserve"
	Want  int64  // what the user or the disk would come to
	Max   int64  // what the limit allows
}

func (e *LimitError) Error() string {
	switch e.Limit {
	case "files":
		return fmt.Sprintf("the user would hold %d files, over the limit of %d", e.Want, e.Max)
	case "reserve":
		return fmt.Sprintf("the disk would keep %d bytes free, under the reserve of %d", e.Want, e.Max)
	}
	return fmt.Sprintf("the user would hold %d bytes, over the quota of %d", e.Want, e.Max)
}

func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// notExistError matches both ErrNotExist and the error it wraps (fs.ErrNotExist).
type notExistError struct{ err error }

func (e *notExistError) Error() string        { return e.err.Error() }
func (e *notExistError) Unwrap() error        { return e.err }
func (e *notExistError) Is(target error) bool { return target == ErrNotExist }
