package spec

// IDStrings spells ids as a report's cases list their requirements: as plain strings, so that
// the report does not depend on this package.
func IDStrings(ids ...ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
