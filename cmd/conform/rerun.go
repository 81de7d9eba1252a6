package main

import (
	"regexp"
	"strings"

	"github.com/fbpkit/fbp/conformance/report"
)

// rerunCommand is the command line that runs again the cases of rep that failed: the same
// flags, with -run naming them, quoted for a POSIX shell. "" when none failed.
func rerunCommand(args []string, rep *report.Report) string {
	var ids []string
	for _, res := range rep.Results {
		if res.Status == report.VerdictFail {
			ids = append(ids, regexp.QuoteMeta(res.ID))
		}
	}
	if len(ids) == 0 {
		return ""
	}
	words := []string{"conform"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case strings.HasPrefix(a, "-") && (name == "run" || name == "skip" || name == "o" || name == "format"):
			if !hasValue {
				i++ // its value is the next word
			}
			continue
		}
		words = append(words, shellQuote(a))
	}
	words = append(words, "-run", shellQuote("^("+strings.Join(ids, "|")+")$"))
	return strings.Join(words, " ")
}
