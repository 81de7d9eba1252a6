package client

import "time"

// WithClock makes o's client judge transfer rates by now instead of time.Now.
func WithClock(o Options, now func() time.Time) Options {
	o.now = now
	return o
}
