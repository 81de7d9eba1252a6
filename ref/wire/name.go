package wire

import (
	"fmt"
	"strconv"
)

// The rules a filename can break, as NameError.Rule and the golden vectors' names.json spell them.
const (
	NameEmpty     = "empty"
	NameTooLong   = "too_long"
	NameDot       = "dot"
	NameSeparator = "separator"
	NameNUL       = "nul"
	NameControl   = "control"
	NameNonASCII  = "non_ascii"
)

// NameError says which rule of SPEC R-5.1 (or) a filename breaks. It matches ErrBadName.
type NameError struct {
	Name   string
	Rule   string // one of the Name constants: the first rule broken, in the order CheckName checks
	Reason string // for a person: the rule and where in the name
}

func (e *NameError) Error() string {
	return fmt.Sprintf("filename %s: %s", strconv.QuoteToASCII(e.Name), e.Reason)
}

func (e *NameError) Is(target error) bool { return target == ErrBadName }

// CheckName reports whether name is safe to use as a file in a user's folder: forbids an
// empty name, `.` and `..`, a name longer than max, and any `/`, `\`, NUL or control character;
// makes filenames ASCII. A name that passes cannot leave the folder it is joined to.
func CheckName(name []byte, max int) error {
	rule, reason := "", ""
	switch {
	case len(name) == 0:
		rule, reason = NameEmpty, "empty"
	case len(name) > max:
		rule, reason = NameTooLong, fmt.Sprintf("%d bytes, over the limit of %d", len(name), max)
	case string(name) == "." || string(name) == "..":
		rule, reason = NameDot, "a dot name"
	default:
	scan:
		for i, c := range name {
			switch {
			case c == '/' || c == '\\':
				rule, reason = NameSeparator, fmt.Sprintf("path separator %q at byte %d", c, i)
			case c == 0:
				rule, reason = NameNUL, fmt.Sprintf("NUL at byte %d", i)
			case c < 0x20 || c == 0x7f:
				rule, reason = NameControl, fmt.Sprintf("control character 0x%02x at byte %d", c, i)
			case c > 0x7f:
				rule, reason = NameNonASCII, fmt.Sprintf("non-ASCII byte 0x%02x at byte %d", c, i)
			}
			if rule != "" {
				break scan
			}
		}
	}
	if rule == "" {
		return nil
	}
	return &NameError{Name: string(name), Rule: rule, Reason: reason}
}
