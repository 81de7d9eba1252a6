package servertest

import (
	"fmt"
	"slices"
	"sync"
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
	var all []*Case
	seen := map[string]bool{}
	for _, s := range sections {
		for _, c := range s() {
			if seen[c.ID] {
				return nil, fmt.Errorf("two cases have the ID %q", c.ID)
			}
			seen[c.ID] = true
			all = append(all, c)
		}
	}
	return all, nil
}

// Catalog returns every case, grouped by spec section. The order is for reading only: a case
// is named by its ID.
func Catalog() []*Case { return slices.Clone(catalog()) }
