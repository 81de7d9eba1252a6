package conformance

// Select returns the catalog's cases that cfg's Run and Skip select, in catalog order.
func Select(cfg *Config) []*Case {
	var out []*Case
	for _, c := range Catalog() {
		if cfg.Run != nil && !cfg.Run.MatchString(c.ID) {
			continue
		}
		if cfg.Skip != nil && cfg.Skip.MatchString(c.ID) {
			continue
		}
		out = append(out, c)
	}
	return out
}
