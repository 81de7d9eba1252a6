// Package words spells counts in the reports and messages of every command the same way.
package words

import (
	"strconv"
	"strings"
)

// Count says n things in English: "1 case", "2 cases", "1 baseline entry", "3 baseline
// entries", "1 unexpected pass", "2 unexpected passes". thing is the singular.
func Count(n int, thing string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + thing
	}
	return strconv.Itoa(n) + " " + Plural(thing)
}

// Plural is the plural of a singular noun phrase, by the regular rules of its last word.
func Plural(thing string) string {
	switch {
	case strings.HasSuffix(thing, "s"), strings.HasSuffix(thing, "x"),
		strings.HasSuffix(thing, "sh"), strings.HasSuffix(thing, "ch"):
		return thing + "es"
	case len(thing) > 1 && strings.HasSuffix(thing, "y") && !strings.ContainsRune("aeiou", rune(thing[len(thing)-2])):
		return thing[:len(thing)-1] + "ies"
	}
	return thing + "s"
}

// A is n with its indefinite article, as spoken: "a 4", "an 8", "an 11", "an 18", "a 100".
func A(n int) string {
	s := strconv.Itoa(n)
	if s[0] == '8' || n == 11 || n == 18 || (n >= 11000 && n < 12000) || (n >= 18000 && n < 19000) {
		return "an " + s
	}
	return "a " + s
}
