package netfuzz

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/mutants"
	"github.com/fbpkit/fbp/conformance/internal/spec"
)

// A server that takes what one read returns for a whole header answers inputs in pieces
// wrongly under whatever rule each broken answer meets (an unanswered LIST, an unknown op, a
// cut request): one fault, one finding, named by the catalog's fault, the rest its repeats.
func TestOneReadServerIsOneFinding(t *testing.T) {
	if _, ok := spec.FaultByID(splitFault); !ok {
		t.Fatalf("fault %s is not in the catalog", splitFault)
	}
	m := startMutant(t, "short-read-closes", mutants.Options{ReadTimeout: 2 * time.Second})
	var log bytes.Buffer
	res, err := Run(context.Background(), Config{
		Addr: m.Addr(), Seed: 7, MaxInputs: 200, Duration: time.Minute, Timeout: time.Second,
		ShrinkTries: 60, ShrinkTime: 10 * time.Second, Restart: m.Restart, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		for _, fd := range res.Findings {
			t.Logf("%s: %s %s (%s), delivery %s: %s", fd.ID, fd.Kind, fd.Requirement, fd.Check, fd.Delivery, fd.Detail)
		}
		t.Fatalf("%d findings after %d inputs, want one", len(res.Findings), res.Inputs)
	}
	fd := res.Findings[0]
	if fd.ID != splitFault || fd.Fault != splitFault || len(fd.Delivery.Splits) == 0 {
		t.Errorf("finding %s (fault %q), delivery %s: %s", fd.ID, fd.Fault, fd.Delivery, fd.Detail)
	}
	var text bytes.Buffer
	if err := res.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	f, _ := spec.FaultByID(splitFault)
	if !bytes.Contains(text.Bytes(), []byte(f.Summary)) {
		t.Errorf("the text does not say the fault:\n%s", text.String())
	}
	t.Logf("%d inputs, the finding seen again %d times", res.Inputs, fd.Repeats)
}
