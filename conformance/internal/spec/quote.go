package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// Bounds of what a report quotes of a name and of a list of names.
const (
	quoteMax   = 80 // a longer name is cut
	quoteKeep  = 72 // bytes of a cut name shown
	namesShown = 8  // names of a list shown before "… n more"
)

// Quote shows a filename as the wire carries it: Go-quoted, every byte outside printable
// ASCII escaped (a name never reaches a terminal raw), a long one cut with its length.
func Quote[T ~string | ~[]byte](name T) string {
	if len(name) > quoteMax {
		return strconv.QuoteToASCII(string(name[:quoteKeep])) + fmt.Sprintf("…(%d bytes)", len(name))
	}
	return strconv.QuoteToASCII(string(name))
}

// QuoteNames shows a list of names, the first few quoted: `["a" "b" … 3 more]`.
func QuoteNames(names []string) string {
	q := make([]string, 0, min(len(names), namesShown+1))
	for i, n := range names {
		if i == namesShown {
			q = append(q, fmt.Sprintf("… %d more", len(names)-namesShown))
			break
		}
		q = append(q, Quote(n))
	}
	return "[" + strings.Join(q, " ") + "]"
}
