package diagnosis

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/server"
	"github.com/fbpkit/fbp/ref/server/servertest"
)

// A server that serves many connections at once, on a machine loaded enough to hold the answer
// to the concurrency probe's LIST past the probe's wait, is not named one that serves one
// connection at a time. The answer is held by a proxy until the probe has missed it (an event
// the probe tells, not a clock), as a loaded machine holds it, and released then, with the
// stalled client still connected.
func TestLateAnswerBesideAStalledClientIsNotSerial(t *testing.T) {
	srv := servertest.Start(t, server.Config{})
	missed := make(chan struct{})
	var once sync.Once
	var waiting atomic.Int32 // connections accepted that have sent no header yet
	var held atomic.Bool
	peer := fakepeer.StartFunc(t, func(*fakepeer.Conn) []fakepeer.Step {
		waiting.Add(1)
		return []fakepeer.Step{
			fakepeer.ReadHeader(),
			fakepeer.Func(func(*fakepeer.Conn) error {
				// The first request that comes while another client is connected and has
				// sent nothing is the probe's LIST beside a stalled client.
				if waiting.Add(-1) == 0 || !held.CompareAndSwap(false, true) {
					return nil
				}
				select {
				case <-missed:
					return nil
				case <-t.Context().Done():
					return errors.New("the probe never missed the answer")
				}
			}),
			fakepeer.Forward(srv.Addr),
		}
	})
	// The probe keeps its default bounds: what the test turns on is the miss the probe reports,
	// and a shorter timeout would let a busy machine fail the probes before it.
	d, err := Run(context.Background(), Config{Addr: peer.Addr, Log: func(s string) { t.Log(s) },
		concurrencyMissed: func() { once.Do(func() { close(missed) }) }})
	if err != nil {
		t.Fatal(err)
	}
	if !held.Load() {
		t.Fatal("no answer was held beside a stalled client: the test shows nothing")
	}
	if len(d.Findings) != 0 || d.Profile.Serial || d.Served != 0 || !d.ConcurrencyProbed {
		t.Fatalf("findings %q, serial %v, served %d, probed %v", ids(d), d.Profile.Serial, d.Served, d.ConcurrencyProbed)
	}
}
