package servertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/casebook"
	"github.com/fbpkit/fbp/conformance/internal/spec"
	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/wire"
)

// peerAnswering is a fake server that reads a request's prefix, then runs steps.
func peerAnswering(t *testing.T, steps ...fakepeer.Step) string {
	return fakepeer.Start(t, append([]fakepeer.Step{fakepeer.ReadPrefix()}, steps...)...).Addr
}

// oneExchange runs a LIST through a case's machinery and returns the reply.
func oneExchange(t *testing.T, addr string, rs readSpec) *reply {
	t.Helper()
	cfg := fastConfig(addr, "")
	cfg.Timeout = 300 * time.Millisecond
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	r := makeRunner(cfg)
	tc := r.newT(context.Background(), &Case{Head: casebook.Head{ID: "test/one"}}, spec.Canonical)
	reply := tc.roundtrip(send{label: "LIST", head: listRequest(1)}, rs)
	tc.tails.Wait()
	return reply
}

func TestOutcomesAreTyped(t *testing.T) {
	for _, tc := range []struct {
		name  string
		steps []fakepeer.Step
		want  ending
		says  string
	}{
		{"timeout", []fakepeer.Step{fakepeer.Hold()}, endTimeout, "no answer within the timeout"},
		{"partial then timeout", []fakepeer.Step{fakepeer.Send([]byte{1, 0xd3}), fakepeer.Hold()}, endTimeout, "only 2 bytes of a response"},
		{"closed", nil, endClosed, "connection closed without a response"},
		{"closed mid-response", []fakepeer.Step{fakepeer.Send([]byte{1, 0xd3, 0, 5, 0, 'a'})}, endClosed, "closed after 6 bytes"},
		{"reset", []fakepeer.Step{fakepeer.Reset()}, endReset, "connection reset"},
		{"undefined status", []fakepeer.Step{fakepeer.Send([]byte{1, 7, 0, 9, 9})}, endUndefined, "status 7, which the canonical dialect does not define"},
		{"answered", []fakepeer.Step{fakepeer.Send([]byte{1, 0xea, 0x03})}, endAnswered, "status 1002 (no-files)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := oneExchange(t, peerAnswering(t, tc.steps...), readSpec{maxPayload: 100})
			if r.Outcome != tc.want || !strings.Contains(r.String(), tc.says) {
				t.Fatalf("outcome %s %q, want %s %q", r.Outcome, r, tc.want, tc.says)
			}
		})
	}
}

func TestTrailingBytesAndPayloadBound(t *testing.T) {
	// 1002 followed by 2 stray bytes.
	r := oneExchange(t, peerAnswering(t, fakepeer.Send([]byte{1, 0xea, 0x03, 0xaa, 0xbb})), readSpec{})
	if r.Outcome != endAnswered || string(r.Trailing) != "\xaa\xbb" {
		t.Fatalf("%s, trailing % x", r, r.Trailing)
	}
	// A 211 whose size is over the case's bound: the payload is left unread, and no tail
	// check mistakes it for trailing bytes.
	big := []byte{1, 0xd3, 0x00, 1, 0, 'L', 0xff, 0xff, 0xff, 0x7f, 'x', 'y'}
	r = oneExchange(t, peerAnswering(t, fakepeer.Send(big)), readSpec{maxPayload: 1000})
	if r.Outcome != endAnswered || r.PayloadRead || r.Size != 0x7fffffff || len(r.Trailing) != 0 || r.Got > int64(len(big)) {
		t.Fatalf("%s payload read %v size %d trailing % x", r, r.PayloadRead, r.Size, r.Trailing)
	}
}

// The catalog judges a refusal's name through the oracle: a 1001 to a RESTORE of an unsafe
// name names the file asked for, as any 1001 does, and a case about fails for one that
// names another.
func TestRefusalOfAnUnsafeNameNamesTheFileAsked(t *testing.T) {
	cfg := fastConfig("127.0.0.1:1", "")
	if err := cfg.defaults(); err != nil {
		t.Fatal(err)
	}
	c := &Case{Head: casebook.Head{ID: "test/unsafe", Reqs: spec.IDStrings(spec.R5_1)}}
	for _, tc := range []struct {
		name   string
		answer string
		key    string
	}{
		{"a/b", "a/b", ""},
		{"a/b", "b", string(spec.R4_2) + "|" + spec.CheckNameMismatch},
		{"..", "", string(spec.R4_2) + "|" + spec.CheckNameMismatch},
	} {
		tr := makeRunner(cfg).newT(context.Background(), c, spec.Canonical)
		r := &reply{Outcome: endAnswered, Status: 1001, Fields: wire.HasName, Name: []byte(tc.answer), Mismatch: -1,
			dialect: spec.Canonical, req: requestOf(nameRequest(1, wire.OpRestore, []byte(tc.name)))}
		ok := tr.owed(r, spec.R5_1, spec.HoldingUnknown)
		switch {
		case tc.key == "" && (!ok || len(tr.failures) > 0):
			t.Errorf("1001 naming %q for %q: failed %v", tc.answer, tc.name, tr.failures)
		case tc.key != "" && (ok || len(tr.failureKeys) != 1 || tr.failureKeys[0] != tc.key || tr.failures[0].Requirement != string(spec.R5_1)):
			t.Errorf("1001 naming %q for %q: keys %v failures %+v, want one of R-5.1 under %s", tc.answer, tc.name, tr.failureKeys, tr.failures, tc.key)
		}
	}
}
