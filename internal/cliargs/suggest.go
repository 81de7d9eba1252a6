package cliargs

import "unicode/utf8"

// Suggest returns the choice a mistyped word most likely meant: the nearest by edit distance
// (a letter wrong, missing, extra, or two swapped), if it is near enough that the suggestion
// helps rather than puzzles. ok is false when nothing is that near.
func Suggest(word string, choices []string) (best string, ok bool) {
	n := utf8.RuneCountInString(word)
	// One edit in a short word, two in a longer one: "lsit" is list, "xyz" is nothing. A word
	// of one or two letters is one edit from too much to guess.
	limit := 1
	switch {
	case n < 3:
		return "", false
	case n > 4:
		limit = 2
	}
	bestDist := limit + 1
	for _, c := range choices {
		if d := editDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist <= limit
}

// editDistance counts the edits from a to b: insertions, deletions, substitutions and swaps of
// two neighbouring letters (optimal string alignment).
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)
	// d[i][j] is the distance from s[:i] to t[:j].
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}
