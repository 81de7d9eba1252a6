package target

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

	"github.com/fbpkit/fbp/conformance/internal/procgroup"
	"github.com/fbpkit/fbp/conformance/report"
	"github.com/fbpkit/fbp/ref/wire"
)

// DefaultStartTimeout is how long a server started by StartServer may take to listen when
// ExecConfig.StartTimeout is zero.
const DefaultStartTimeout = 10 * time.Second

// DefaultRestartTimeout is how long Restart keeps trying to start a server again when
// ExecConfig.RestartTimeout is zero: a server that sets no SO_REUSEADDR cannot listen on its
// port while the connections of its last run wait in TIME_WAIT.
const DefaultRestartTimeout = 15 * time.Second

// PortPlaceholder in an -exec command is replaced by a free port at every start, so that a
// server started again never meets its old connections on its port.
const PortPlaceholder = "{port}"

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
	// RestartTimeout bounds how long Restart retries a start that fails
	// (DefaultRestartTimeout when zero).
	RestartTimeout time.Duration
}

// ServerProcess is a server under test started by StartServer: it can tell how the process
// ended, and restart it after a crash. Its methods are safe for concurrent use.
type ServerProcess struct {
	cfg ExecConfig
	// fresh: the command has a {port} placeholder, and every start gets a port of its own.
	fresh bool

	mu            sync.Mutex
	cmd           *exec.Cmd
	addr          string        // where the current process listens
	done          chan struct{} // closed when cmd has exited
	waitErr       error
	out           *tailBuffer
	restartFailed bool
	// exitedAtStartup: the restart that failed ended at startup with an error of the
	// server's own, not one of a port in use.
	exitedAtStartup bool
	// stopped: Stop ended the current process (a restart, or one cut short, or the run's
	// end): its exit status is the tester's signal, not the server's own end.
	stopped bool
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
	if cfg.RestartTimeout <= 0 {
		cfg.RestartTimeout = DefaultRestartTimeout
	}
	p := &ServerProcess{cfg: cfg}
	for _, w := range cfg.Command {
		p.fresh = p.fresh || strings.Contains(w, PortPlaceholder)
	}
	if !p.fresh && cfg.Addr == "" {
		return nil, errors.New("no address: give one, or put {port} in the command")
	}
	if err := p.start(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Addr is where the server listens now: with a {port} command, each start moves it.
func (p *ServerProcess) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// FreshPorts reports whether every start gets a port of its own ({port} in the command).
func (p *ServerProcess) FreshPorts() bool { return p.fresh }

// RestartFailed reports whether a Restart gave up.
func (p *ServerProcess) RestartFailed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restartFailed
}

// ExitedAtStartup reports whether a Restart gave up because the server ended at startup with
// an error of its own, not one of a port still in use.
func (p *ServerProcess) ExitedAtStartup() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitedAtStartup
}

// freePort returns a loopback port nothing listens on now.
func freePort(host string) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
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
	addr, words := p.cfg.Addr, p.cfg.Command
	if p.fresh {
		host := "127.0.0.1"
		if h, _, err := net.SplitHostPort(p.cfg.Addr); err == nil && h != "" {
			host = h
		}
		port, err := freePort(host)
		if err != nil {
			return fmt.Errorf("finding a free port on %s: %w", host, err)
		}
		addr = net.JoinHostPort(host, port)
		words = make([]string, len(p.cfg.Command))
		for i, w := range p.cfg.Command {
			words[i] = strings.ReplaceAll(w, PortPlaceholder, port)
		}
	}
	name := words[0]
	cmd := exec.Command(name, words[1:]...)
	out := &tailBuffer{max: 2048}
	w := io.Writer(out)
	if p.cfg.Log != nil {
		w = io.MultiWriter(out, p.cfg.Log)
	}
	cmd.Stdout, cmd.Stderr = w, w
	if p.cfg.Log != nil {
		// A log that holds several starts says where each begins.
		fmt.Fprintf(p.cfg.Log, "--- conform: starting %s\n", strings.Join(words, " "))
	}
	// Wait also waits for the output to close, which a child that outlives the server would
	// hold open forever: past this delay Wait returns anyway.
	cmd.WaitDelay = time.Second
	procgroup.Own(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %q to listen on %s: %w", strings.Join(words, " "), addr, err)
	}
	done := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.done, p.out, p.waitErr, p.addr, p.stopped = cmd, done, out, nil, addr, false
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
		up, err := listening(ctx, addr)
		if up {
			return nil
		}
		select {
		case <-done:
			return &startupExitError{msg: fmt.Sprintf("%s exited before listening on %s: %s", name, addr, p.Describe()), out: out.String()}
		case <-ctx.Done():
			_ = p.Stop()
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = p.Stop()
			return fmt.Errorf("%s did not listen on %s within %v: %v", name, addr, p.cfg.StartTimeout, err)
		}
	}
}

// Reach checks that a server listens on addr without harming it: on this machine's loopback
// it reads the socket table, as a connection that closes at once, or even a whole request, is
// what kills some servers; elsewhere it sends a whole LIST and reads what comes before it
// leaves, within timeout.
func Reach(ctx context.Context, addr string, timeout time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		if up, known := listeningSocket(addr); known {
			if !up {
				return errors.New("nothing listens there")
			}
			return nil
		}
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	h := wire.RequestHeader{UserID: 1, Version: wire.Version, Op: wire.OpList}
	if _, err := c.Write(h.Append(nil)); err != nil {
		return err
	}
	// The answer is read, to the end or until the server goes quiet: a close with an answer
	// unread is a reset. Whatever comes, or nothing, the server listens.
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			return nil
		}
		_ = c.SetReadDeadline(time.Now().Add(reachQuiet))
	}
}

// reachQuiet is how long Reach waits for more of an answer that has begun.
const reachQuiet = 50 * time.Millisecond

// listening reports whether something listens on addr. Where the system lists its listening
// sockets (Linux's /proc/net/tcp), it looks there, without a connection: a server that dies
// when a client connects and leaves without a request must not be killed by the check that it
// started. Elsewhere it connects.
func listening(ctx context.Context, addr string) (bool, error) {
	if up, ok := listeningSocket(addr); ok {
		if !up {
			return false, errors.New("nothing listens yet")
		}
		return true, nil
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	return true, c.Close()
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

// Stopped reports whether the process has ended because Stop ended it: such an end is the
// tester's doing, and no crash of the server's.
func (p *ServerProcess) Stopped() bool {
	if !p.Exited() {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// Describe says how the process ended, or that it runs but does not answer, with its last
// lines of output. A process that Stop ended is said to be stopped, never to have ended of
// itself: the interrupt that ended it was the tester's. A crashing server closes its listener just before it ends: when the port
// refuses connections while the process still runs, Describe waits up to a second for it to
// exit, so that a crash is told as its exit status rather than as a live, deaf server.
func (p *ServerProcess) Describe() string {
	p.settle()
	var d string
	if p.Exited() {
		p.mu.Lock()
		err, stopped := p.waitErr, p.stopped
		p.mu.Unlock()
		var ee *exec.ExitError
		switch {
		case stopped:
			d = "the server process was stopped by the tester, not ended by itself"
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
		d += report.LastOutputSep + strings.Join(lines[max(0, len(lines)-5):], " | ")
	}
	return d
}

// settle waits up to a second for a running process whose port refuses connections to exit.
func (p *ServerProcess) settle() {
	if p.Exited() {
		return
	}
	if up, _ := listening(context.Background(), p.Addr()); up {
		return
	}
	select {
	case <-p.exitedChan():
	case <-time.After(time.Second):
	}
}

// Restart stops the process, if it still runs, and starts the command again, returning once
// it listens, as StartServer does. A start that fails (a port still held by the last run's
// connections, say) is tried again with growing pauses, up to the restart timeout; the error
// then says so.
func (p *ServerProcess) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	deadline := time.Now().Add(p.cfg.RestartTimeout)
	pause := 100 * time.Millisecond
	for tries := 1; ; tries++ {
		err := p.start(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		var se *startupExitError
		if errors.As(err, &se) && !se.portInUse() {
			// The server ended at startup with an error of its own: starting it again
			// would end the same way, however long the run kept at it.
			p.mu.Lock()
			p.restartFailed, p.exitedAtStartup = true, true
			p.mu.Unlock()
			return err
		}
		if time.Now().Add(pause).After(deadline) {
			p.mu.Lock()
			p.restartFailed = true
			p.mu.Unlock()
			hint := ""
			if !p.fresh {
				hint = "; if its port is held by the last run's connections (no SO_REUSEADDR), put {port} in the command so that every start gets a fresh port"
			}
			return fmt.Errorf("the server did not start again in %d tries over %v: %w%s", tries, p.cfg.RestartTimeout, err, hint)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// startupExitError is a start that ended with the process's exit before it listened.
type startupExitError struct {
	msg string
	out string // what the process wrote
}

func (e *startupExitError) Error() string { return e.msg }

// portInUse reports whether the process said that its port was taken: a server that sets no
// SO_REUSEADDR fails so while its last run's connections wait in TIME_WAIT, and a later try
// may succeed.
func (e *startupExitError) portInUse() bool {
	out := strings.ToLower(e.out)
	for _, s := range []string{"in use", "eaddrinuse", "errno 98", "bind"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
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
		return procgroup.Kill(cmd)
	default:
	}
	p.mu.Lock()
	if p.cmd == cmd {
		p.stopped = true
	}
	p.mu.Unlock()
	if err := procgroup.Interrupt(cmd); err != nil {
		if kerr := procgroup.Kill(cmd); kerr != nil {
			return fmt.Errorf("stopping the server process: %w", kerr)
		}
	}
	select {
	case <-done:
		return procgroup.Kill(cmd)
	case <-time.After(2 * time.Second):
		if err := procgroup.Kill(cmd); err != nil {
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

// UnreachableError says the server could not be reached when the run started.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	if e.Addr == "" {
		// A {port} command has no address until it starts; Err names the one it was given.
		return fmt.Sprintf("cannot reach the -exec server: %v", e.Err)
	}
	return fmt.Sprintf("cannot reach %s: %v", e.Addr, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }
