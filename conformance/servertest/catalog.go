package servertest

import (
	"slices"
	"sync"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/conformance/report"
)

// sections lists the case files' constructors, in the order of the spec's sections.
var sections = []func() []*Case{
	transportCases,
	backupCases,
	restoreCases,
	deleteCases,
	listCases,
	securityCases,
	streamCases,
}

var catalog = sync.OnceValue(func() []*Case {
	all, err := buildCatalog(sections)
	if err != nil {
		panic("conformance: " + err.Error())
	}
	return all
})

// buildCatalog puts the sections' cases together, and refuses two cases with one ID: reports,
// baselines and -run name a case by it.
func buildCatalog(sections []func() []*Case) ([]*Case, error) {
	built := make([][]*Case, len(sections))
	for i, s := range sections {
		built[i] = s()
	}
	return casebook.Build(built...)
}

// Catalog returns every case, grouped by spec section. The order is for reading only: a case
// is named by its ID.
func Catalog() []*Case { return slices.Clone(catalog()) }

// must, should and info make a case of their level: its ID, the rules it judges (the first is
// the one it is about), what it checks, and the function that runs it, named after the ID
// (backup/new runs backupNew). A section's table is a line a case.
func must(id string, reqs []spec.ID, desc string, run func(*caseRun)) *Case {
	return newCase(report.Must, id, reqs, desc, run)
}

func should(id string, reqs []spec.ID, desc string, run func(*caseRun)) *Case {
	return newCase(report.Should, id, reqs, desc, run)
}

func info(id string, reqs []spec.ID, desc string, run func(*caseRun)) *Case {
	return newCase(report.Info, id, reqs, desc, run)
}

func newCase(level report.Level, id string, reqs []spec.ID, desc string, run func(*caseRun)) *Case {
	return &Case{Head: casebook.Head{ID: id, Reqs: spec.IDStrings(reqs...), Level: level, Desc: desc}, run: run}
}

// rules lists the rules a case judges.
func rules(ids ...spec.ID) []spec.ID { return ids }

// caseOpt tells the runner one more thing about a case (Case's fields say what).
type caseOpt func(*Case)

// with sets opts on c.
func (c *Case) with(opts ...caseOpt) *Case {
	for _, o := range opts {
		o(c)
	}
	return c
}

var (
	hostile      caseOpt = func(c *Case) { c.Hostile = true }
	cutting      caseOpt = func(c *Case) { c.cutsRequests = true }
	ownSteps     caseOpt = func(c *Case) { c.stepsAreItsRule = true }
	concurrently caseOpt = func(c *Case) { c.concurrent = true }
)

// checksLayout: the case checks the layout of the statuses of ms (Case.layoutOf).
func checksLayout(ms ...spec.Meaning) caseOpt { return func(c *Case) { c.layoutOf = ms } }

// aimsAt: the case is aimed at the diagnosis's faults of keys (Case.aimedAt).
func aimsAt(keys ...string) caseOpt { return func(c *Case) { c.aimedAt = keys } }

// judgesKeys: the case judges the narrow problem keys (Case.owns).
func judgesKeys(keys ...string) caseOpt { return func(c *Case) { c.owns = keys } }
