//go:build !unix

package storage

import (
	"io"
	"os"
)

// createIn creates name in the folder f, failing if it exists.
func (f *folder) createIn(name string) (*os.File, error) {
	return f.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// renameIn renames from to to within the folder f.
func (f *folder) renameIn(from, to string) error { return f.root.Rename(from, to) }

// openIn opens name for reading in the folder f if it is a regular file, and gives its size.
func (f *folder) openIn(name string) (io.ReadCloser, int64, error) {
	file, size, err := openRegular(f.root, name)
	if err != nil {
		return nil, 0, err
	}
	return file, size, nil
}
