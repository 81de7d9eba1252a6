package grouped

import (
	"slices"
	"testing"
)

// Each key gets one group, made once, where the key first came; items of a key seen again
// go to its group whatever came between.
func TestOfKeepsOneGroupPerKeyInFirstOrder(t *testing.T) {
	type group struct {
		key   string
		items []int
	}
	var l List[string, group]
	made := 0
	for i, key := range []string{"b", "a", "b", "c", "a", "b"} {
		g := l.Of(key, func() group { made++; return group{key: key} })
		g.items = append(g.items, i)
	}
	want := []group{{"b", []int{0, 2, 5}}, {"a", []int{1, 4}}, {"c", []int{3}}}
	if made != len(want) || !slices.EqualFunc(l.Groups, want, func(a, b group) bool { return a.key == b.key && slices.Equal(a.items, b.items) }) {
		t.Errorf("made %d groups: %+v, want %+v", made, l.Groups, want)
	}
}
