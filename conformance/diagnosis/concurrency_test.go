package diagnosis

import (
	"context"
	"errors"
	"strings"
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

// stallPlan says what the server behind stallProxy does to the clients stalled beside the
// concurrency probe's LIST.
type stallPlan struct {
	// cutFirst closes a stalled client before the LIST beside it is answered, at every look:
	// a server that a stalled client holds until its read deadline frees it.
	cutFirst bool
	// refuseFirstLook closes the stalled clients of the first LIST beside them once it is
	// answered, before they send their own: a server that serves many at once, whose read
	// deadline fell just after the answer.
	refuseFirstLook bool
}

// stallProxy is the reference server behind a proxy that knows which connections have sent
// nothing yet: a request read while connections accepted before it are silent, from a
// connection that is not itself one of an earlier request's stalled clients, is the
// concurrency probe's LIST beside stalled clients, and plan says what happens then. It
// returns the proxy's address and the count of such LISTs (looks), to read once the
// diagnosis has returned.
func stallProxy(t *testing.T, plan stallPlan) (string, func() int) {
	srv := servertest.Start(t, server.Config{})
	var mu sync.Mutex
	spoke := map[int]bool{}   // connections that sent a header, or ended without one
	stallers := map[int]int{} // stalled clients, by the look they stalled beside
	cuts := map[int]chan struct{}{}
	closed := map[int]chan struct{}{}
	looks := 0
	event := func(m map[int]chan struct{}, i int) chan struct{} {
		if m[i] == nil {
			m[i] = make(chan struct{})
		}
		return m[i]
	}
	peer := fakepeer.StartFunc(t, func(*fakepeer.Conn) []fakepeer.Step {
		return []fakepeer.Step{
			fakepeer.Func(func(c *fakepeer.Conn) error {
				mu.Lock()
				cut, done := event(cuts, c.Index), event(closed, c.Index)
				mu.Unlock()
				go func() {
					select {
					case <-cut:
						c.Close()
						close(done)
					case <-t.Context().Done():
					}
				}()
				err := fakepeer.ReadHeader()(c)
				mu.Lock()
				spoke[c.Index] = true
				look, stalled := stallers[c.Index], []int(nil)
				if err == nil && look == 0 {
					for i := range c.Index {
						if !spoke[i] {
							stalled = append(stalled, i)
						}
					}
					if len(stalled) > 0 {
						looks++
						for _, i := range stalled {
							stallers[i] = looks
						}
					}
				}
				mu.Unlock()
				switch {
				case err != nil:
					return err
				case look == 1 && plan.refuseFirstLook:
					return errors.New("closed after the answer beside it")
				case len(stalled) > 0 && plan.cutFirst:
					mu.Lock()
					close(event(cuts, stalled[0]))
					done := event(closed, stalled[0])
					mu.Unlock()
					<-done
				}
				return nil
			}),
			fakepeer.Forward(srv.Addr),
		}
	})
	return peer.Addr, func() int {
		mu.Lock()
		defer mu.Unlock()
		return looks
	}
}

// A server that answers the LIST beside a stalled client only once it has closed that client
// (its read deadline) is held by it: it serves one connection at a time, however soon the
// answer comes after the close.
func TestAnswerOnlyAfterAStalledClientIsClosedIsSerial(t *testing.T) {
	addr, looks := stallProxy(t, stallPlan{cutFirst: true})
	d, err := Run(context.Background(), Config{Addr: addr, Log: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	f := d.Finding("serves-one-at-a-time")
	if f == nil || len(d.Findings) != 1 || !d.Profile.Serial || d.Served != 1 || !d.ConcurrencyProbed {
		t.Fatalf("findings %q, serial %v, served %d, probed %v", ids(d), d.Profile.Serial, d.Served, d.ConcurrencyProbed)
	}
	if !strings.Contains(f.Actual, "only once the server had closed a stalled client's connection") {
		t.Errorf("actual %q", f.Actual)
	}
	if n := looks(); n != 2 {
		t.Errorf("%d LISTs beside stalled clients, want 2 (a look and a second one)", n)
	}
}

// A server that serves many connections at once and closes a stalled client just after the
// LIST beside it was answered is not taken for one that was held by it: one look cannot tell
// the two, a second one with clients stalled afresh does.
func TestStalledClientClosedAfterTheAnswerIsNotSerial(t *testing.T) {
	addr, looks := stallProxy(t, stallPlan{refuseFirstLook: true})
	d, err := Run(context.Background(), Config{Addr: addr, Log: func(s string) { t.Log(s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Findings) != 0 || d.Profile.Serial || d.Served != 0 || !d.ConcurrencyProbed {
		t.Fatalf("findings %q, serial %v, served %d, probed %v", ids(d), d.Profile.Serial, d.Served, d.ConcurrencyProbed)
	}
	// 1 stalled client twice, then 2, 4 and 8.
	if n := looks(); n != 5 {
		t.Errorf("%d LISTs beside stalled clients, want 5", n)
	}
}
