package deadline

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func pipe(t *testing.T) (net.Conn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestIdleEndsAStalledRead(t *testing.T) {
	a, _ := pipe(t)
	c := &Conn{Conn: a, Idle: time.Millisecond}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a deadline error", err)
	}
}

// A peer that keeps sending a byte at a time renews no deadline past End.
func TestEndBoundsAReadThatKeepsMoving(t *testing.T) {
	a, b := pipe(t)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := b.Write([]byte{'x'}); err != nil {
				return
			}
		}
	}()
	c := &Conn{Conn: a, Idle: time.Hour, End: time.Now().Add(20 * time.Millisecond)}
	buf := make([]byte, 1)
	for {
		if _, err := c.Read(buf); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("err = %v, want a deadline error", err)
			}
			return
		}
	}
}

func TestSetDeadlineErrorsAreReturned(t *testing.T) {
	a, _ := pipe(t)
	a.Close()
	c := &Conn{Conn: a, Idle: time.Second}
	if _, err := c.Write([]byte("x")); err == nil {
		t.Fatal("a write on a closed connection did not fail")
	}
}

func TestSleepEndsWhenDoneCloses(t *testing.T) {
	done := make(chan struct{})
	close(done)
	if Sleep(done, time.Hour) {
		t.Fatal("Sleep = true after done closed, want false")
	}
	if !Sleep(make(chan struct{}), 0) {
		t.Fatal("Sleep(0) = false with done open, want true")
	}
}
