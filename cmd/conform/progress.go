package main

import (
	"fmt"
	"io"
	"time"

	"github.com/fbpkit/fbp/conformance/servertest"
)

// progressLine is a line on a terminal that says how far a run is, rewritten in place.
type progressLine struct {
	w     io.Writer
	start time.Time
	shown bool
}

func newProgressLine(w io.Writer) *progressLine { return &progressLine{w: w, start: time.Now()} }

func (p *progressLine) update(pr servertest.Progress) {
	failed := ""
	if pr.Failed > 0 {
		failed = fmt.Sprintf(", %d failed", pr.Failed)
	}
	fmt.Fprintf(p.w, "\r\x1b[Kconform: case %d/%d%s, %v", pr.Done, pr.Total, failed, time.Since(p.start).Round(100*time.Millisecond))
	p.shown = true
}

// clear removes the line, so that what follows starts on a clean one.
func (p *progressLine) clear() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
