package report

import (
	"slices"
	"strings"

	"github.com/fbpkit/fbp/conformance/internal/spec"
)

// ProblemSet gathers the distinct problems of a run by key, in the order they were found: the
// one grouping of every tester, so that a fault met a hundred times reads as one problem.
type ProblemSet struct {
	list  []*Problem
	byKey map[string]*Problem
	ids   map[string]bool
	// first is the key each problem was filed under when it was made.
	first map[*Problem]string
}

// NewProblemSet returns an empty set.
func NewProblemSet() *ProblemSet {
	return &ProblemSet{byKey: map[string]*Problem{}, ids: map[string]bool{}, first: map[*Problem]string{}}
}

// Lookup returns the problem of key, or nil.
func (ps *ProblemSet) Lookup(key string) *Problem { return ps.byKey[key] }

// FirstKey is the key p was made under: another key that leads to p names another face of
// its fault.
func (ps *ProblemSet) FirstKey(p *Problem) string { return ps.first[p] }

// Add files p under key and returns it. Problems are faults: a problem already filed under key,
// or under the ID p gets, is returned instead, so that two findings of one fault are one
// problem. p keeps its ID when it has one; otherwise it gets ProblemID's, and the catalog's
// summary and fix when the ID is a known fault's.
func (ps *ProblemSet) Add(key string, p *Problem) *Problem {
	if old := ps.byKey[key]; old != nil {
		return old
	}
	if p.ID == "" {
		p.ID = ProblemID(key)
	}
	if old := ps.ByID(p.ID); old != nil {
		ps.byKey[key] = old
		return old
	}
	p.ApplyFault()
	ps.ids[p.ID] = true
	if p.Cases == nil {
		p.Cases = []string{}
	}
	ps.byKey[key], ps.first[p] = p, key
	ps.list = append(ps.list, p)
	return p
}

// Fold makes from a part of into, whose problem it turned out to be: every key of from leads
// to into, and from leaves the set. What from held (its cases, its evidence) is the caller's
// to move.
func (ps *ProblemSet) Fold(from, into *Problem) {
	ps.list = slices.DeleteFunc(ps.list, func(p *Problem) bool { return p == from })
	for k, p := range ps.byKey {
		if p == from {
			ps.byKey[k] = into
		}
	}
	delete(ps.ids, from.ID)
	delete(ps.first, from)
}

// ByID returns the problem of that ID, or nil.
func (ps *ProblemSet) ByID(id string) *Problem {
	if !ps.ids[id] {
		return nil
	}
	for _, p := range ps.list {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// ApplyFault gives a problem of a known fault the catalog's summary and fix.
func (p *Problem) ApplyFault() {
	if f, ok := spec.FaultByID(p.ID); ok {
		p.Summary, p.Fix = f.Summary, f.Fix
	}
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

// ProblemID makes a problem's ID from its key: the fault the catalog knows by the key's
// requirement and check, or the two spelled as a slug ("R-4.4|status" is r-4-4-status). A key
// is made of stable names, never of a message, so the ID stays when a message's wording does
// not; two keys are two IDs.
func ProblemID(key string) string {
	if req, check, ok := strings.Cut(key, "|"); ok {
		if f, ok := spec.FaultOf(&spec.Violation{Req: spec.ID(req), Check: check}); ok {
			return f.ID
		}
	}
	return spec.Slug(key)
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
