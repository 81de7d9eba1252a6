//go:build unix

package conformance

import (
	"errors"
	"os/exec"
	"syscall"
)

// ownGroup puts the server in a process group of its own, so that stopping it reaches what it
// started too: a server run through a wrapper script leaves a child holding the port otherwise,
// and the restart after a crash could not listen.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func interruptGroup(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGINT) }

func killGroup(cmd *exec.Cmd) error { return signalGroup(cmd, syscall.SIGKILL) }

func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
