package spec

import "slices"

//go:generate go run ./gen ../../../ref/wire/SPEC.md requirements_gen.go

// ID names a requirement of SPEC.md, such as "R-4.2". Every tester cites rules by these
// constants, so a mistyped ID does not compile, and TestEveryCitedIDIsInTheSpec checks the
// text of the whole module (data files and docs included) against the spec.
type ID string

// Requirement is one numbered rule of SPEC.md.
type Requirement struct {
	ID       ID
	Section  string // the heading it sits under, e.g. "4. Operations"
	Title    string // the requirement index's short title
	Level    string // the requirement index's level, e.g. "MUST", "MUST; zero-length SHOULD"
	Sentence string // the rule as SPEC.md words it, without markdown
}

// Requirements lists every rule of SPEC.md in the spec's order.
func Requirements() []Requirement { return slices.Clone(requirements) }

// Lookup returns the requirement with the given ID.
func Lookup(id string) (Requirement, bool) {
	i := slices.IndexFunc(requirements, func(r Requirement) bool { return string(r.ID) == id })
	if i < 0 {
		return Requirement{}, false
	}
	return requirements[i], true
}

// Sentence is the rule's text, "" for an ID the spec does not define.
func (id ID) Sentence() string {
	r, _ := Lookup(string(id))
	return r.Sentence
}

func (id ID) String() string { return string(id) }
