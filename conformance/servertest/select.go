package servertest

import "github.com/fbpkit/fbp/conformance/internal/casebook"

// Select returns the catalog's cases that cfg's Run and Skip select, in catalog order.
func Select(cfg *Config) []*Case { return casebook.Select(Catalog(), cfg.Run, cfg.Skip) }
