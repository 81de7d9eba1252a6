package report

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ProblemSet gathers the distinct problems of a run by key, in the order they were found: the
// one grouping of every tester, so that a fault met a hundred times reads as one problem.
type ProblemSet struct {
	list  []*Problem
	byKey map[string]*Problem
	ids   map[string]bool
}

// NewProblemSet returns an empty set.
func NewProblemSet() *ProblemSet {
	return &ProblemSet{byKey: map[string]*Problem{}, ids: map[string]bool{}}
}

// Lookup returns the problem of key, or nil.
func (ps *ProblemSet) Lookup(key string) *Problem { return ps.byKey[key] }

// Add files p under key and returns it; a problem already filed under key is returned instead.
// p keeps its ID when it has one no other problem has; otherwise it gets one made from key.
func (ps *ProblemSet) Add(key string, p *Problem) *Problem {
	if old := ps.byKey[key]; old != nil {
		return old
	}
	if p.ID == "" || ps.ids[p.ID] {
		p.ID = ProblemID(key, ps.ids)
	}
	ps.ids[p.ID] = true
	if p.Cases == nil {
		p.Cases = []string{}
	}
	ps.byKey[key] = p
	ps.list = append(ps.list, p)
	return p
}

// Problems returns the problems, worst first (see SortProblems).
func (ps *ProblemSet) Problems() []Problem {
	out := make([]Problem, len(ps.list))
	for i, p := range ps.list {
		out[i] = *p
	}
	SortProblems(out)
	return out
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// ProblemID makes a problem's ID from its key: short, readable, and not among taken.
func ProblemID(key string, taken map[string]bool) string {
	id := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(key), "-"), "-")
	if len(id) > 48 {
		id = strings.TrimRight(id[:48], "-")
	}
	base := id
	for n := 2; taken[id]; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}

// SortProblems orders problems worst first: what keeps cases from running, then MUST before
// SHOULD before INFO; the order found otherwise.
func SortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if ab, bb := len(a.Blocked) > 0, len(b.Blocked) > 0; ab != bb {
			if ab {
				return -1
			}
			return 1
		}
		return int(a.Level) - int(b.Level)
	})
}

// AppendOnce appends id to ids unless it is there already.
func AppendOnce(ids []string, id string) []string {
	if slices.Contains(ids, id) {
		return ids
	}
	return append(ids, id)
}
