package clienttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/fbpkit/fbp/conformance/internal/procgroup"
)

// process is a run of the client as conform started it.
type process struct {
	exit   string // how it ended: "exit status 0", "signal: segmentation fault", "killed after 30s"
	killed bool   // it still ran when its time was up
	// interrupted: the run was cancelled, and the client killed with it.
	interrupted bool
	limit       time.Duration
	crash       string // a crash's description, "" when none
	code        int    // the exit status of a process that exited, -1 otherwise
	took        time.Duration
	// peakRSS is its peak resident set in bytes, 0 when the system does not say.
	peakRSS        int64
	stdout, stderr *output
}

// summary says in a line how the run ended.
func (p *process) summary() string {
	s := fmt.Sprintf("%s after %v", p.exit, p.took.Round(time.Millisecond))
	if p.crash != "" {
		s += "; " + p.crash
	}
	if p.peakRSS > 0 {
		s += fmt.Sprintf("; peak memory %.1f MiB", float64(p.peakRSS)/(1<<20))
	}
	return s
}

// runClient runs command in dir until it ends or limit passes; then it kills its process group.
// moved is called when the process has ended. Its error is a *StartError: the command could
// not be started at all.
func runClient(ctx context.Context, command []string, dir string, limit time.Duration, moved func()) (*process, error) {
	p := &process{limit: limit, stdout: newOutput(planted...), stderr: newOutput(append(crashWatch(), planted...)...)}
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	// Output is kept as it goes, so that a client that hangs and is killed still shows what it
	// printed: Python buffers what goes to a pipe unless told not to.
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	// A child that outlives the client holds its output open: past this delay Wait returns anyway.
	cmd.WaitDelay = time.Second
	procgroup.Own(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, &StartError{Command: command, Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		p.killed = true
		_ = procgroup.Kill(cmd)
		err = <-done
	case <-ctx.Done():
		p.interrupted = true
		_ = procgroup.Kill(cmd)
		err = <-done
	}
	p.took = time.Since(start)
	// Whatever the client left running goes with it.
	_ = procgroup.Kill(cmd)
	moved()
	p.describeEnd(cmd.ProcessState, err)
	return p, nil
}

func (p *process) describeEnd(ps *os.ProcessState, err error) {
	p.code = -1
	if ps != nil {
		p.peakRSS = peakRSS(ps)
		p.code = ps.ExitCode()
	}
	switch {
	case p.killed:
		p.exit = fmt.Sprintf("killed after %v, still running", p.limit)
	case p.interrupted:
		p.exit = "killed: the run was interrupted"
		return
	case ps == nil:
		p.exit = fmt.Sprintf("ended: %v", err)
	default:
		p.exit = ps.String()
	}
	var ee *exec.ExitError
	if !p.killed && errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.crash = "killed by " + ws.Signal().String()
		}
	}
	if c := crashIn(p.stderr); c != "" {
		p.crash = c
	}
}
