package client_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/fbpkit/fbp/internal/fakepeer"
	"github.com/fbpkit/fbp/ref/client"
	"github.com/fbpkit/fbp/ref/wire"
)

// fakeClock is the clock a client judges rates by, moved by the test alone.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// chanMeter tells the test of every chunk of payload the client wrote.
type chanMeter struct{ got chan int }

func (m chanMeter) Add(n int) { m.got <- n }
func (chanMeter) Done(error)  {}

// paced restores a file of size bytes from a peer that sends chunk bytes each time the test
// lets it, the test moving the client's clock by step after each chunk has arrived. It
// returns the restore's error and the time it took on that clock.
func paced(t *testing.T, opt client.Options, size uint32, chunk int, step time.Duration) (error, time.Duration) {
	t.Helper()
	next := make(chan struct{})
	done := make(chan struct{})
	defer close(done)
	p := fakepeer.Start(t, fakepeer.ReadRequest(), fakepeer.Func(func(c *fakepeer.Conn) error {
		h := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte("slow"), Size: size}
		if _, err := c.Write(h.Append(nil)); err != nil {
			return err
		}
		buf := make([]byte, chunk)
		for {
			select {
			case <-next:
			case <-done:
				return nil
			}
			if _, err := c.Write(buf); err != nil {
				return err
			}
		}
	}))
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	start := clk.now()
	meter := chanMeter{got: make(chan int)}
	opt.Progress = func(wire.Op, string, int64) client.ProgressMeter { return meter }
	cl := client.New(p.Addr, client.WithClock(opt, clk.now))
	errc := make(chan error, 1)
	go func() {
		_, err := cl.Restore(context.Background(), 1, "slow", io.Discard)
		errc <- err
	}()
	var got, pending int
	for {
		if pending == 0 && got < int(size) {
			// The whole chunk is in: the next one comes a step later.
			clk.advance(step)
			select {
			case next <- struct{}{}:
				pending = chunk
			case err := <-errc:
				return err, clk.now().Sub(start)
			}
		}
		select {
		case n := <-meter.got:
			got += n
			pending -= n
		case err := <-errc:
			return err, clk.now().Sub(start)
		}
	}
}

// A server that sends 2 bytes a second ends a restore once the default window has passed,
// a quarter of a minute, however long the stall timeout.
func TestTrickleEndsAtTheMinimumRate(t *testing.T) {
	err, took := paced(t, client.Options{StallTimeout: time.Hour}, 1<<20, 2, time.Second)
	var re *client.RateError
	if !errors.As(err, &re) || re.Min != client.DefaultMinRate || re.Window != client.DefaultMinRateTime {
		t.Fatalf("err = %v, want a *RateError at the defaults", err)
	}
	if took < client.DefaultMinRateTime || took > client.DefaultMinRateTime+2*time.Second {
		t.Errorf("ended after %v on the client's clock, want %v", took, client.DefaultMinRateTime)
	}
}

// A large transfer that keeps above the minimum rate is never cut, over many windows, with no
// bound on the whole request by default.
func TestSlowButMovingTransferIsNotCut(t *testing.T) {
	const size, chunk = 96 << 10, 2 << 10 // 48 steps of a second at 2 KiB/s: three windows
	err, took := paced(t, client.Options{StallTimeout: time.Hour}, size, chunk, time.Second)
	if err != nil {
		t.Fatalf("restore at 2 KiB/s: %v", err)
	}
	if took < 3*client.DefaultMinRateTime {
		t.Errorf("took %v on the client's clock, want several windows", took)
	}
}

// A server that sends a few bytes, then nothing, is cut at the window's end, before the stall
// timeout; so is one that stops reading an upload. The 50ms window only bounds how long this
// takes: the peers never move again, so however busy the machine, every window ends below
// the rate.
func TestSilenceMidTransferEndsAtTheWindow(t *testing.T) {
	opt := client.Options{StallTimeout: time.Hour, MinRate: 1000, MinRateTime: 50 * time.Millisecond}
	h := wire.ResponseHeader{Version: 1, Status: wire.StatusRestored, Name: []byte("slow"), Size: 1 << 20}
	p := fakepeer.Start(t, fakepeer.ReadRequest(), fakepeer.Send(append(h.Append(nil), "ab"...)), fakepeer.Hold())
	_, err := client.New(p.Addr, opt).Restore(context.Background(), 1, "slow", io.Discard)
	var re *client.RateError
	if !errors.As(err, &re) || re.Moved >= 50 {
		t.Errorf("restore: %v, want a *RateError", err)
	}

	release := make(chan struct{})
	p = fakepeer.Start(t, fakepeer.ReadPrefix(), fakepeer.Func(func(*fakepeer.Conn) error {
		<-release
		return nil
	}))
	t.Cleanup(func() { close(release) })
	err = client.New(p.Addr, opt).Backup(context.Background(), 1, "big", io.LimitReader(zeros{}, 1<<30), 1<<30)
	if !errors.As(err, &re) {
		t.Errorf("backup to a peer that stopped reading: %v, want a *RateError", err)
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}
