package report

import "regexp"

// Selects reports whether a case is selected by -run and -skip (nil: not given). Each matches
// the case's ID or any of its requirement IDs, so that -run selects the cases of
// as -run restore/ selects those of a group.
func Selects(run, skip *regexp.Regexp, id string, reqs []string) bool {
	matches := func(re *regexp.Regexp) bool {
		if re.MatchString(id) {
			return true
		}
		for _, r := range reqs {
			if re.MatchString(r) {
				return true
			}
		}
		return false
	}
	return (run == nil || matches(run)) && (skip == nil || !matches(skip))
}
