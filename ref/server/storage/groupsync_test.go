package storage

import (
	"errors"
	"runtime"
	"sync"
	"testing"
)

// Changes that ask for an fsync while one runs share the next: however many wait, two fsyncs
// cover them all, and none returns before an fsync that started after its request.
func TestGroupSyncSharesOneFsyncAmongWaiters(t *testing.T) {
	var g groupSync
	first, release := make(chan struct{}), make(chan struct{})
	var calls int
	fsync := func() error {
		calls++
		if calls == 1 {
			close(first)
			<-release
		}
		return nil
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.syncAfter(fsync); err != nil {
			t.Error(err)
		}
	})
	<-first
	const waiters = 8
	for range waiters {
		wg.Go(func() {
			if err := g.syncAfter(fsync); err != nil {
				t.Error(err)
			}
		})
	}
	// Every waiter has asked while the first fsync runs.
	for {
		g.mu.Lock()
		n := g.requested
		g.mu.Unlock()
		if n == waiters+1 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if calls != 2 || g.synced != waiters+1 {
		t.Errorf("%d fsyncs for %d changes (synced %d), want 2", calls, waiters+1, g.synced)
	}
}

// A failed fsync fails every change it covered and every later one: none is said durable.
func TestGroupSyncFailureSticks(t *testing.T) {
	var g groupSync
	bad := errors.New("EIO")
	if err := g.syncAfter(func() error { return bad }); !errors.Is(err, bad) {
		t.Fatalf("failed fsync: %v", err)
	}
	if err := g.syncAfter(func() error { return nil }); !errors.Is(err, bad) {
		t.Errorf("after a failed fsync: %v", err)
	}
}
