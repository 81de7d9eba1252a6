package servertest

import "github.com/fbpkit/fbp/conformance/report"

// Select returns the catalog's cases that cfg's Run and Skip select, in catalog order.
func Select(cfg *Config) []*Case {
	var out []*Case
	for _, c := range Catalog() {
		if !report.Selects(cfg.Run, cfg.Skip, c.ID, c.Reqs) {
			continue
		}
		out = append(out, c)
	}
	return out
}
