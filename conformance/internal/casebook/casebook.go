// Package casebook is the case framework of the catalogs that test servers
// (conformance/servertest) and clients (conformance/clienttest): a case's stable ID and the
// requirements it checks, a catalog that refuses two cases with one ID, selection by ID and by
// requirement, and the next steps a run suggests. What a case does, and how its findings
// become problems, is each tester's and the oracle's (conformance/internal/spec).
package casebook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fbpkit/fbp/conformance/report"
)

// Case is what the framework needs of a case: its ID, stable whatever the catalog's order
// (reports, baselines and -run name it), and the requirement IDs of SPEC.md it checks.
type Case interface {
	CaseID() string
	Requirements() []string
}

// Head is what every case of either catalog says of itself; a catalog's case type embeds it
// and adds how the case runs.
type Head struct {
	// ID is stable: reports, baselines and -run name it, whatever the catalog's order.
	ID string
	// Reqs are the requirement IDs of SPEC.md the case checks.
	Reqs  []string
	Level report.Level
	Desc  string
}

// CaseID and Requirements are what the framework needs of a case.
func (h *Head) CaseID() string         { return h.ID }
func (h *Head) Requirements() []string { return h.Reqs }

// Section is the part of the ID before its slash: the spec section (or the part of a client's
// run) the case belongs to.
func (h *Head) Section() string { return Section(h.ID) }

// Section is the part of a case's ID before its slash.
func Section(id string) string {
	s, _, _ := strings.Cut(id, "/")
	return s
}

// Build puts the sections' cases together in order, and refuses two cases with one ID.
func Build[C Case](sections ...[]C) ([]C, error) {
	var all []C
	seen := map[string]bool{}
	for _, s := range sections {
		for _, c := range s {
			if seen[c.CaseID()] {
				return nil, fmt.Errorf("two cases have the ID %q", c.CaseID())
			}
			seen[c.CaseID()] = true
			all = append(all, c)
		}
	}
	return all, nil
}

// Select returns the cases of all that run and skip select (nil: not given), in order. Each
// matches a case's ID or any of its requirement IDs, so that -run selects the cases of
// as -run restore/ selects those of a section.
func Select[C Case](all []C, run, skip *regexp.Regexp) []C {
	matches := func(re *regexp.Regexp, c C) bool {
		return re.MatchString(c.CaseID()) || slices.ContainsFunc(c.Requirements(), re.MatchString)
	}
	var out []C
	for _, c := range all {
		if (run == nil || matches(run, c)) && (skip == nil || !matches(skip, c)) {
			out = append(out, c)
		}
	}
	return out
}

// ByID returns the case of all with that ID, and whether there is one.
func ByID[C Case](all []C, id string) (C, bool) {
	for _, c := range all {
		if c.CaseID() == id {
			return c, true
		}
	}
	var none C
	return none, false
}

// Steps are a run's next steps, each said once, in the order found.
type Steps []string

// Add adds a step unless it is there already.
func (s *Steps) Add(step string) { *s = report.AppendOnce(*s, step) }

// Hint is a next step a failure of one case calls for.
type Hint struct{ Case, Step string }

// AddHints adds the step of every hint whose case failed in rep.
func (s *Steps) AddHints(rep *report.Report, hints []Hint) {
	for _, h := range hints {
		if r := rep.Result(h.Case); r != nil && r.Status == report.VerdictFail {
			s.Add(h.Step)
		}
	}
}
