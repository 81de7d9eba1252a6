package target

import (
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
)

func TestProbeTellsAnAnswerFromAClose(t *testing.T) {
	list := []byte{1, 0, 0, 0, 1, 202}
	// Both close once they have answered or not: each probe ends on that close, never on its
	// bounds.
	answers := fakepeer.Start(t, fakepeer.ReadPrefix(), fakepeer.Send([]byte{1, 0xea, 0x03})).Addr
	closes := fakepeer.Start(t, fakepeer.ReadPrefix()).Addr
	for _, tc := range []struct {
		name  string
		p     Probe
		wantN int
		ok    bool
	}{
		{"prefix answered", Probe{Addr: answers, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Enough: 3}, 3, true},
		{"drained with grace", Probe{Addr: answers, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Grace: 5 * time.Second}, 3, true},
		{"closed without answer", Probe{Addr: closes, Request: list, Timeout: 5 * time.Second, Wait: 5 * time.Second, Enough: 3}, 0, false},
	} {
		res := tc.p.Run(t.Context())
		if res.Answered != tc.ok || res.N != tc.wantN || (res.Err() == nil) != tc.ok {
			t.Errorf("%s: answered %v, %d bytes, err %v", tc.name, res.Answered, res.N, res.Err())
		}
	}
	if res := (Probe{Addr: answers, Request: list, Timeout: time.Second, Wait: time.Second, Enough: 4}).Run(t.Context()); res.Answered {
		t.Errorf("3 bytes taken for 4: %+v", res)
	}
}
