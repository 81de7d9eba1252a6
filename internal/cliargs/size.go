package cliargs

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxSizeField is the largest size the protocol's 4-byte size field can state.
const MaxSizeField = 1<<32 - 1

// unitShift is how far each unit shifts a count: K, M, G and T are powers of 1024, with or
// without "i" and "B" (64K, 64KB, 64KiB are all 65536).
var unitShift = map[string]uint{"": 0, "K": 10, "M": 20, "G": 30, "T": 40}

// ParseSize reads a positive byte count with an optional unit, 1048576, 64KiB, 8MiB, 1GiB,
// and refuses one over max.
func ParseSize(s string, max int64) (int64, error) {
	num := strings.TrimRight(s, "KMGTiB")
	unit := strings.TrimSuffix(strings.TrimSuffix(s[len(num):], "B"), "i")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size", s)
	}
	sh, ok := unitShift[unit]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit", s)
	}
	if n > max>>sh {
		if max == MaxSizeField {
			return 0, fmt.Errorf("%q does not fit the 4-byte size field", s)
		}
		return 0, fmt.Errorf("%q is over the largest accepted, %s", s, FormatSize(max))
	}
	return n << sh, nil
}

// FormatSize writes n with the largest unit that divides it: 1073741824 is 1GiB, 1000 is 1000.
func FormatSize(n int64) string {
	for _, u := range []string{"T", "G", "M", "K"} {
		if sh := unitShift[u]; n > 0 && n%(1<<sh) == 0 {
			return strconv.FormatInt(n>>sh, 10) + u + "iB"
		}
	}
	return strconv.FormatInt(n, 10)
}

// Size is a flag.Value holding a byte count from 1 to Max, written as ParseSize reads it.
type Size struct {
	N   int64
	Max int64
}

func (s *Size) String() string {
	if s == nil || s.N == 0 {
		return ""
	}
	return FormatSize(s.N)
}

func (s *Size) Set(v string) error {
	n, err := ParseSize(v, s.Max)
	if err != nil {
		return err
	}
	s.N = n
	return nil
}
