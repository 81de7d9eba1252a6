package netfuzz

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/spec"
)

// WriteText writes the run for a person: seed, inputs, how it ended, each finding with its
// minimized input and where its reproducer is.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "fuzzed %s: seed %d, %d inputs in %v (stopped: %s)\n", r.Addr, r.Seed, r.Inputs, r.Elapsed.Round(time.Millisecond), r.Stopped)
	labels := make([]string, 0, len(r.Outcomes))
	for l := range r.Outcomes {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for i, l := range labels {
		sep := ", "
		if i == 0 {
			sep = "outcomes: "
		}
		fmt.Fprintf(&b, "%s%s %d", sep, l, r.Outcomes[l])
	}
	if len(labels) > 0 {
		b.WriteString("\n")
	}
	if r.Restarts > 0 {
		fmt.Fprintf(&b, "restarts: %d\n", r.Restarts)
	}
	if len(r.Findings) == 0 {
		b.WriteString("no findings\n")
	}
	for _, fd := range r.Findings {
		fmt.Fprintf(&b, "\nFINDING %s: %s, %s (%s)\n", fd.ID, fd.Kind, fd.Requirement, fd.Check)
		if f, ok := spec.FaultByID(fd.Fault); ok {
			fmt.Fprintf(&b, "  fault: %s\n  fix: %s\n", f.Summary, f.Fix)
		}
		fmt.Fprintf(&b, "  %s\n", fd.Detail)
		fmt.Fprintf(&b, "  found at input %d after %v, from %s %s\n", fd.Step, fd.TimeToFind.Round(time.Millisecond), fd.Origin, strings.Join(fd.Mutations, " "))
		state := "not minimized"
		switch {
		case fd.Minimized:
			state = fmt.Sprintf("minimized in %d tries", fd.ShrinkTries)
		case fd.ShrinkTries > 0 && !fd.Reproduced:
			state = "did not reproduce alone: not minimized"
		}
		fmt.Fprintf(&b, "  input (%d bytes, %s, %s): %s\n", len(fd.Input), state, fd.Delivery, fd.InputHex)
		if len(fd.Original) != len(fd.Input) || fd.OriginalHex != fd.InputHex {
			fmt.Fprintf(&b, "  original (%d bytes): %s\n", len(fd.Original), fd.OriginalHex)
		}
		fmt.Fprintf(&b, "  answer (%d bytes, ended %s): %x\n", len(fd.Response), fd.ResponseEnd, head(fd.Response))
		if fd.Repeats > 0 {
			fmt.Fprintf(&b, "  seen again %d times\n", fd.Repeats)
		}
		if fd.Files != nil {
			fmt.Fprintf(&b, "  saved in %s\n  replay: %s\n", fd.Files.Dir, fd.Replay)
		}
	}
	if r.OutDir != "" && len(r.Findings) > 0 {
		fmt.Fprintf(&b, "\nreproducers saved under %s\n", r.OutDir)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the run as one JSON object, for CI.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
