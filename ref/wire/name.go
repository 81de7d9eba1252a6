package wire

import (
	"fmt"
	"strconv"
)

// NameError says which rule of SPEC R-5.1 (or) a filename breaks. It matches ErrBadName.
type NameError struct {
	Name   string
	Reason string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("filename %s: %s", strconv.QuoteToASCII(e.Name), e.Reason)
}

func (e *NameError) Is(target error) bool { return target == ErrBadName }

// CheckName reports whether name is safe to use as a file in a user's folder: forbids an
// empty name, `.` and `..`, a name longer than max, and any `/`, `\`, NUL or control character;
// makes filenames ASCII. A name that passes cannot leave the folder it is joined to.
func CheckName(name []byte, max int) error {
	reason := ""
	switch {
	case len(name) == 0:
		reason = "empty"
	case len(name) > max:
		reason = fmt.Sprintf("%d bytes, over the limit of %d", len(name), max)
	case string(name) == "." || string(name) == "..":
		reason = "a dot name"
	default:
	scan:
		for i, c := range name {
			switch {
			case c == '/' || c == '\\':
				reason = fmt.Sprintf("path separator %q at byte %d", c, i)
			case c == 0:
				reason = fmt.Sprintf("NUL at byte %d", i)
			case c < 0x20 || c == 0x7f:
				reason = fmt.Sprintf("control character 0x%02x at byte %d", c, i)
			case c > 0x7f:
				reason = fmt.Sprintf("non-ASCII byte 0x%02x at byte %d", c, i)
			}
			if reason != "" {
				break scan
			}
		}
	}
	if reason == "" {
		return nil
	}
	return &NameError{Name: string(name), Reason: reason}
}
