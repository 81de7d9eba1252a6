// Package grouped gathers items into groups by key, the groups in the order their keys first
// come: a report lists its sections, crashes, columns and problems as the run met them.
package grouped

// List is groups by key in the order their keys first came. The zero List is empty and
// ready to use.
type List[K comparable, G any] struct {
	Groups []G
	index  map[K]int
}

// Of returns the group of key, made by add and appended when key is new. The pointer is
// good until the next call: a new group may move the others.
func (l *List[K, G]) Of(key K, add func() G) *G {
	i, ok := l.index[key]
	if !ok {
		if l.index == nil {
			l.index = map[K]int{}
		}
		i = len(l.Groups)
		l.index[key] = i
		l.Groups = append(l.Groups, add())
	}
	return &l.Groups[i]
}
