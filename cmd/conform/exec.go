package main

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

// execStartTimeout bounds how long an -exec command may take to listen, as for the catalog run.
const execStartTimeout = 10 * time.Second

// process is the server under test started by -exec: it waits for the port, tells how the
// process ended, and restarts it after a crash. The catalog run has the same supervisor inside
// package conformance, where it is not exported; the model tester and the fuzzer need one of
// their own, between their runs.
type process struct {
	args    []string
	addr    string
	log     io.Writer
	timeout time.Duration

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	out     *tailBuffer
}

// tailBuffer keeps the last bytes written to it: the server's last words before a crash.
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

// start runs the command and returns once its port accepts a connection.
func (p *process) start(ctx context.Context) error {
	cmd := exec.Command(p.args[0], p.args[1:]...)
	out := &tailBuffer{max: 2048}
	w := io.Writer(out)
	if p.log != nil {
		w = io.MultiWriter(out, p.log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.args[0], err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.out, p.waitErr = cmd, done, out, nil
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(done)
	}()
	deadline := time.Now().Add(p.timeout)
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", p.addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before listening on %s: %s", p.args[0], p.addr, p.describe())
		case <-ctx.Done():
			p.stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop()
			return fmt.Errorf("%s did not listen on %s within %v: %w", p.args[0], p.addr, p.timeout, err)
		}
	}
}

func (p *process) exited() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// describe says how the process ended, or that it runs but does not answer, with its last output.
func (p *process) describe() string {
	var d string
	if p.exited() {
		p.mu.Lock()
		err := p.waitErr
		p.mu.Unlock()
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
	p.mu.Lock()
	out := p.out
	p.mu.Unlock()
	if s := strings.TrimSpace(out.String()); s != "" {
		lines := strings.Split(s, "\n")
		d += "; its last output: " + strings.Join(lines[max(0, len(lines)-5):], " | ")
	}
	return d
}

// settle gives a process that no longer accepts connections a moment to exit, so that
// describe tells its exit status rather than "running": a crashing server closes its listener
// just before it ends.
func (p *process) settle() {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return
	}
	if c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond); err == nil {
		_ = c.Close()
		return
	}
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

func (p *process) restart(ctx context.Context) error {
	p.stop()
	return p.start(ctx)
}

// stop asks the process to end, and kills it if it does not within two seconds.
func (p *process) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
