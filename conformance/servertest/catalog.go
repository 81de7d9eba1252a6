package servertest

import (
	"slices"
	"sync"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
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
