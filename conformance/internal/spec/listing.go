package spec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/ref/wire"
)

// ListingNameLen is the length of a LIST response's name (SPEC §3: 32 random characters).
const ListingNameLen = 32

// JudgeListingName checks R-4.4's listing name: 32 characters of [A-Za-z0-9]. It returns nil
// when the name has that shape.
func JudgeListingName(name []byte) *Violation {
	v := &Violation{Req: R4_4, Check: CheckListingName, Expected: "a listing name of 32 characters [A-Za-z0-9]"}
	if len(name) != ListingNameLen {
		v.Actual = fmt.Sprintf("%s of %d bytes", Quote(name), len(name))
		return v
	}
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			v.Actual = fmt.Sprintf("%s with %q at byte %d", Quote(name), c, i)
			return v
		}
	}
	return nil
}

// ParseListing splits a LIST payload into names by R-4.4's one policy (wire.ListingScanner):
// "\n" or "\r\n" ends a line, the last may lack it, and an empty line is malformed.
func ParseListing(payload []byte) ([]string, error) { return wire.ParseListing(payload) }

// ListingDiff is how a listing differs from the names a user holds, as multisets.
type ListingDiff struct {
	Missing    []string // held, not listed
	Unexpected []string // listed, not held
	Repeated   []string // held, listed more than once
}

// DiffListing compares the names a listing shows with the names the user holds.
func DiffListing(want, got []string) ListingDiff {
	count := map[string]int{}
	for _, n := range got {
		count[n]++
	}
	var d ListingDiff
	for _, n := range want {
		if count[n] == 0 {
			d.Missing = append(d.Missing, n)
		}
	}
	seen := map[string]bool{}
	for _, n := range got {
		switch {
		case seen[n]:
		case !slices.Contains(want, n):
			d.Unexpected = append(d.Unexpected, n)
		case count[n] > 1:
			d.Repeated = append(d.Repeated, n)
		}
		seen[n] = true
	}
	return d
}

// Empty reports whether the listing shows exactly the names held.
func (d ListingDiff) Empty() bool {
	return len(d.Missing) == 0 && len(d.Unexpected) == 0 && len(d.Repeated) == 0
}

// String says how the listing differs: "missing ["a"], unexpected ["b"]".
func (d ListingDiff) String() string {
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"missing", d.Missing}, {"unexpected", d.Unexpected}, {"repeated", d.Repeated}} {
		if len(p.names) > 0 {
			parts = append(parts, p.what+" "+QuoteNames(p.names))
		}
	}
	return strings.Join(parts, ", ")
}
