package fuzz

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"

	"github.com/fbpkit/fbp/ref/wire"
)

// falsify runs a deliberately false property, "no request has a name of 10 bytes or more", over
// requests from g with a fixed seed, and returns gopter's result and report.
func falsify(t *testing.T, g gopter.Gen) (*gopter.TestResult, string) {
	t.Helper()
	params := gopter.DefaultTestParametersWithSeed(1)
	params.MinSuccessfulTests = 100
	short := prop.ForAll(func(m wire.Request) bool {
		// Decode the encoding rather than look at m alone, so that shrinking goes through the codec.
		got, _, err := wire.ParseRequest(m.Append(nil), wire.DefaultLimits)
		return err == nil && len(got.Name) < 10
	}, g)
	result := short.Check(params)
	var report bytes.Buffer
	gopter.NewFormatedReporter(false, 200, &report).ReportTestResult("names are short", result)
	if result.Status != gopter.TestFailed || len(result.Args) != 1 {
		t.Fatalf("the property is false, gopter must falsify it:\n%s", report.String())
	}
	return result, report.String()
}

// minimal is the smallest counterexample there is: a name of exactly 10 zero bytes, every
// other field zero or empty.
func minimal(m wire.Request) error {
	if len(m.Name) != 10 || !bytes.Equal(m.Name, make([]byte, 10)) || m.UserID != 0 || m.Version != 0 || len(m.Payload) != 0 {
		return fmt.Errorf("not minimal: %+v", m)
	}
	return nil
}

func TestFailuresShrinkToMinimalCounterexample(t *testing.T) {
	result, report := falsify(t, genRequest(wire.OpBackup, payloadLengths))
	arg := result.Args[0]
	shrunk, orig := arg.Arg.(wire.Request), arg.OrigArg.(wire.Request)
	if err := minimal(shrunk); err != nil || arg.Shrinks == 0 {
		t.Fatalf("counterexample %v after %d shrinks from %+v\n%s", err, arg.Shrinks, orig, report)
	}
	if minimal(orig) == nil {
		t.Fatalf("the first counterexample %+v was already minimal: the run shows no shrinking", orig)
	}
	for _, want := range []string{fmt.Sprintf("ARG_0: %+v", shrunk), fmt.Sprintf("ARG_0_ORIGINAL (%d shrinks)", arg.Shrinks)} {
		if !strings.Contains(report, want) {
			t.Fatalf("gopter's report lacks %q:\n%s", want, report)
		}
	}
	t.Logf("gopter's report:\n%s", report)

	// The same run with shrinking off reports the first counterexample as it was generated, which
	// minimal rejects: the check above can tell a shrunk result from one that is not.
	result, _ = falsify(t, genRequest(wire.OpBackup, payloadLengths).WithShrinker(nil))
	unshrunk := result.Args[0].Arg.(wire.Request)
	if result.Args[0].Shrinks != 0 || !reflect.DeepEqual(unshrunk, orig) {
		t.Fatalf("with shrinking off: %+v after %d shrinks, want the first counterexample %+v", unshrunk, result.Args[0].Shrinks, orig)
	}
	if minimal(unshrunk) == nil {
		t.Fatalf("minimal accepts the unshrunk %+v", unshrunk)
	}
}

func TestShrinkBytes(t *testing.T) {
	// gopter's own slice shrinker never offers the empty slice from a one-byte one.
	if got := shrinkBytes([]byte{7}).All(); len(got) == 0 || len(got[0].([]byte)) != 0 {
		t.Fatalf("shrinks of [7]: %v, want the empty slice first", got)
	}
	if got := shrinkBytes([]byte{}).All(); len(got) != 0 {
		t.Fatalf("shrinks of the empty slice: %v", got)
	}
	// A long slice is only cut, in few candidates, each shorter than it.
	long := make([]byte, 40<<10)
	got := shrinkBytes(long).All()
	if len(got) > 20 {
		t.Fatalf("%d shrinks of a slice of %d bytes", len(got), len(long))
	}
	for _, c := range got {
		if len(c.([]byte)) >= len(long) {
			t.Fatalf("a shrink of %d bytes from %d", len(c.([]byte)), len(long))
		}
	}
}
