// Package bounded reads the files a peer or a user hands the testers without trusting their
// size: a reproducer or a replay file is small, and a file that is not must not fill memory.
package bounded

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge is the error of a file over the limit ReadFile was given.
var ErrTooLarge = errors.New("file over its limit")

// tooLarge says which file and which limit, and is ErrTooLarge.
type tooLarge struct {
	path  string
	limit int64
}

func (e *tooLarge) Error() string        { return fmt.Sprintf("%s is over %d bytes", e.path, e.limit) }
func (e *tooLarge) Is(target error) bool { return target == ErrTooLarge }

// ReadFile reads path whole, but reads no more than limit+1 bytes of it: a longer file is an
// error that matches ErrTooLarge and says "PATH is over LIMIT bytes".
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &tooLarge{path: path, limit: limit}
	}
	return b, nil
}
