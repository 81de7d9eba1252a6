package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// DefaultStartTimeout is how long a server started by StartServer may take to listen when
// ExecConfig.StartTimeout is zero.
const DefaultStartTimeout = 10 * time.Second

// ExecConfig describes a server under test that the tester starts and supervises itself.
type ExecConfig struct {
	// Command is the program and its arguments; it must start a server listening on Addr.
	Command []string
	// Addr is the host:port the server listens on: the port is what StartServer waits for.
	Addr string
	// Log receives the server's standard output and error; nil keeps only the last lines,
	// which Describe quotes.
	Log io.Writer
	// StartTimeout bounds how long a start may take to accept a connection
	// (DefaultStartTimeout when zero).
	StartTimeout time.Duration
}

// ServerProcess is a server under test started by StartServer: it can tell how the process
// ended, and restart it after a crash. Its methods are safe for concurrent use.
type ServerProcess struct {
	cfg ExecConfig

	mu      sync.Mutex
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	waitErr error
	out     *tailBuffer
}

// StartServer runs cfg.Command and returns once cfg.Addr accepts a connection. If the process
// exits first, or does not listen within the start timeout, or ctx ends, it is stopped and
// the error says why, with the process's last output.
func StartServer(ctx context.Context, cfg ExecConfig) (*ServerProcess, error) {
	if len(cfg.Command) == 0 {
		return nil, errors.New("no server command")
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	p := &ServerProcess{cfg: cfg}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
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

func (p *ServerProcess) start(ctx context.Context) error {
	name := p.cfg.Command[0]
	cmd := exec.Command(name, p.cfg.Command[1:]...)
	out := &tailBuffer{max: 2048}
	w := io.Writer(out)
	if p.cfg.Log != nil {
		w = io.MultiWriter(out, p.cfg.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// Wait also waits for the output to close, which a child that outlives the server would
	// hold open forever: past this delay Wait returns anyway.
	cmd.WaitDelay = time.Second
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
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
	deadline := time.Now().Add(p.cfg.StartTimeout)
	for {
		d := net.Dialer{Timeout: time.Second}
		c, err := d.DialContext(ctx, "tcp", p.cfg.Addr)
		if err == nil {
			return c.Close()
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before listening on %s: %s", name, p.cfg.Addr, p.Describe())
		case <-ctx.Done():
			_ = p.Stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.Stop()
			return fmt.Errorf("%s did not listen on %s within %v: %w", name, p.cfg.Addr, p.cfg.StartTimeout, err)
		}
	}
}

// exitedChan is closed when the current process has exited.
func (p *ServerProcess) exitedChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// Pid is the process id of the server process now running; on Unix it is also the id of
// the process group it leads, which holds what it started.
func (p *ServerProcess) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Exited reports whether the process has ended, without waiting.
func (p *ServerProcess) Exited() bool {
	select {
	case <-p.exitedChan():
		return true
	default:
		return false
	}
}

// Describe says how the process ended, or that it runs but does not answer, with its last
// lines of output. A crashing server closes its listener just before it ends: when the port
// refuses connections while the process still runs, Describe waits up to a second for it to
// exit, so that a crash is told as its exit status rather than as a live, deaf server.
func (p *ServerProcess) Describe() string {
	p.settle()
	var d string
	if p.Exited() {
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

// settle waits up to a second for a running process whose port refuses connections to exit.
func (p *ServerProcess) settle() {
	if p.Exited() {
		return
	}
	if c, err := net.DialTimeout("tcp", p.cfg.Addr, 200*time.Millisecond); err == nil {
		_ = c.Close()
		return
	}
	select {
	case <-p.exitedChan():
	case <-time.After(time.Second):
	}
}

// Restart stops the process, if it still runs, and starts the command again, returning once
// the port accepts a connection, as StartServer does.
func (p *ServerProcess) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	return p.start(ctx)
}

// Stop interrupts the process, and what it started, and kills them if the process has not
// ended within two seconds. It returns once the process has ended; the error is for a process
// that could not be signalled at all.
func (p *ServerProcess) Stop() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	select {
	case <-done:
		// The process is gone, but a child it started may still hold the port.
		return killGroup(cmd)
	default:
	}
	if err := interruptGroup(cmd); err != nil {
		if kerr := killGroup(cmd); kerr != nil {
			return fmt.Errorf("stopping the server process: %w", kerr)
		}
	}
	select {
	case <-done:
		return killGroup(cmd)
	case <-time.After(2 * time.Second):
		if err := killGroup(cmd); err != nil {
			return fmt.Errorf("killing the server process: %w", err)
		}
		<-done
	}
	return nil
}

// SplitCommand splits an -exec command line into the program and its arguments, as a POSIX
// shell splits words, without running a shell: blanks separate words; single quotes keep
// everything up to the next single quote; double quotes keep everything but a backslash before
// " or \; outside quotes a backslash keeps the next character. Nothing is expanded.
func SplitCommand(line string) ([]string, error) {
	var (
		words  []string
		word   strings.Builder
		inWord bool
	)
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words, inWord = append(words, word.String()), false
				word.Reset()
			}
		case c == '\'':
			end := strings.IndexByte(line[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", line)
			}
			word.WriteString(line[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case c == '"':
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				}
				word.WriteByte(line[i])
			}
			if i == len(line) {
				return nil, fmt.Errorf("unterminated \" in %q", line)
			}
			inWord = true
		case c == '\\':
			if i+1 == len(line) {
				return nil, fmt.Errorf("%q ends with a lone backslash", line)
			}
			i++
			word.WriteByte(line[i])
			inWord = true
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	if len(words) == 0 {
		return nil, errors.New("empty command")
	}
	return words, nil
}
