// Package killset is what the zoo tests of the server and client catalogs share: the set of
// cases a zoo of faulty peers is shown to make fail, and the cases it leaves unshown.
package killset

// Set holds the IDs of the cases some faulty peer makes fail.
type Set map[string]bool

// Of returns the set of the cases the rows of a kill table fail, as fails reads them off a row.
func Of[Row any](table []Row, fails func(Row) []string) Set {
	s := Set{}
	for _, row := range table {
		s.Add(fails(row)...)
	}
	return s
}

// Add records that ids fail against some faulty peer.
func (s Set) Add(ids ...string) {
	for _, id := range ids {
		s[id] = true
	}
}

// Missing returns those of ids that no faulty peer makes fail, in their order.
func (s Set) Missing(ids []string) []string {
	var missing []string
	for _, id := range ids {
		if !s[id] {
			missing = append(missing, id)
		}
	}
	return missing
}
