//go:build unix

package storage

import (
	"fmt"
	"io"
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

// openIn opens name, a single name component, for reading in the folder f if it is a regular
// file, and gives its size. One openat on the folder's descriptor and one fstat do what
// openRegular's Lstat, open and fstat do: O_NOFOLLOW refuses a link in the name's place, so
// the file stays in the folder; O_NONBLOCK keeps a FIFO in its place from holding the caller;
// and the fstat of what was opened, not of what the name led to a moment before, refuses
// anything but a regular file, so a FIFO or a device is never served. A file replaced while
// it is opened is either version, whole: a BACKUP replaces a file by a rename.
//
// The file is read with read(2) on its descriptor: an *os.File would first offer the
// descriptor to the network poller, a syscall that fails for every regular file.
func (f *folder) openIn(name string) (io.ReadCloser, int64, error) {
	fd, err := openatRetry(f.fd, name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW|syscall.O_CLOEXEC)
	switch {
	case err == syscall.ELOOP:
		return nil, 0, fmt.Errorf("%s: %w (a link)", name, ErrNotRegular)
	case err != nil:
		return nil, 0, notExist(&os.PathError{Op: "openat", Path: name, Err: err})
	}
	var st syscall.Stat_t
	if err := fstatRetry(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, 0, &os.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, 0, fmt.Errorf("%s: %w (mode %#o)", name, ErrNotRegular, st.Mode&syscall.S_IFMT)
	}
	return &fdFile{fd: fd, name: name}, st.Size, nil
}

func openatRetry(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := syscall.Openat(dirfd, name, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func fstatRetry(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR {
			return err
		}
	}
}

// fdFile reads a regular file through its descriptor. It is used by one request at a time.
type fdFile struct {
	fd   int
	name string
}

func (f *fdFile) Read(b []byte) (int, error) {
	if f.fd < 0 {
		return 0, os.ErrClosed
	}
	if len(b) == 0 {
		return 0, nil
	}
	for {
		n, err := syscall.Read(f.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *fdFile) Close() error {
	if f.fd < 0 {
		return os.ErrClosed
	}
	err := syscall.Close(f.fd)
	f.fd = -1
	if err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}
