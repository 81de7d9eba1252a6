package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// supervisor starts the server under test, waits for its port, and restarts it after a crash.
type supervisor struct {
	args    []string
	addr    string
	log     io.Writer
	timeout time.Duration // how long a start may take to open the port

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	out     *tailBuffer
	starts  int
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.max {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-b.max:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func (s *supervisor) start(ctx context.Context) error {
	cmd := exec.Command(s.args[0], s.args[1:]...)
	out := &tailBuffer{max: 2048}
	w := io.Writer(out)
	if s.log != nil {
		w = io.MultiWriter(out, s.log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.args[0], err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done, s.out, s.waitErr = cmd, done, out, nil
	s.starts++
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(done)
	}()
	deadline := time.Now().Add(s.timeout)
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", s.addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before listening on %s: %s", s.args[0], s.addr, s.describe())
		case <-ctx.Done():
			s.stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return fmt.Errorf("%s did not listen on %s within %v: %w", s.args[0], s.addr, s.timeout, err)
		}
	}
}

func (s *supervisor) exited() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// describe says how the process ended, or that it runs but does not answer, with its last output.
func (s *supervisor) describe() string {
	var d string
	if s.exited() {
		s.mu.Lock()
		err := s.waitErr
		s.mu.Unlock()
		var ee *exec.ExitError
		switch {
		case err == nil:
			d = "the server process exited with status 0"
		case errors.As(err, &ee):
			d = "the server process ended: " + ee.ProcessState.String()
		default:
			d = "the server process ended: " + err.Error()
		}
	} else {
		d = "the server process is running but does not answer"
	}
	if out := strings.TrimSpace(s.out.String()); out != "" {
		lines := strings.Split(out, "\n")
		d += "; its last output: " + strings.Join(lines[max(0, len(lines)-5):], " | ")
	}
	return d
}

func (s *supervisor) restart(ctx context.Context) error {
	s.stop()
	return s.start(ctx)
}

// stop asks the process to end, and kills it if it does not within two seconds.
func (s *supervisor) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}
