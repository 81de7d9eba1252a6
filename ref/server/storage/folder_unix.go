//go:build unix

package storage

import (
	"os"
	"syscall"
)

// createIn creates name, a single name component, in the folder f, failing if it exists. It
// works on the folder's own descriptor: os.Root.OpenFile would try to register a regular
// file with the network poller, four syscalls for nothing on every BACKUP. The name has no
// separator and the open follows no link (O_NOFOLLOW, O_EXCL), so it stays in the folder.
func (f *folder) createIn(name string) (*os.File, error) {
	fd, err := syscall.Openat(f.fd, name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "openat", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// renameIn renames from to to, single name components, within the folder f. renameat
// follows no link in either name, so it stays in the folder.
func (f *folder) renameIn(from, to string) error {
	if err := syscall.Renameat(f.fd, from, f.fd, to); err != nil {
		return &os.LinkError{Op: "renameat", Old: from, New: to, Err: err}
	}
	return nil
}
