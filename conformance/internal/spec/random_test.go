package spec

import "testing"

func TestRandomNameIsAFreshListingName(t *testing.T) {
	a, b := RandomName(ListingNameLen), RandomName(ListingNameLen)
	if v := JudgeListingName([]byte(a)); v != nil {
		t.Errorf("%q: %v", a, v)
	}
	if a == b {
		t.Errorf("two draws gave %q", a)
	}
}
