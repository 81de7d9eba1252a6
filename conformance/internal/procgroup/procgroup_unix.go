//go:build unix

package procgroup

import (
	"errors"
	"os/exec"
	"syscall"
)

// Own makes cmd, once started, the leader of a process group of its own.
func Own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// Interrupt sends SIGINT to cmd's process group.
func Interrupt(cmd *exec.Cmd) error { return signal(cmd, syscall.SIGINT) }

// Kill sends SIGKILL to cmd's process group. A group that is gone already is no error.
func Kill(cmd *exec.Cmd) error { return signal(cmd, syscall.SIGKILL) }

func signal(cmd *exec.Cmd, sig syscall.Signal) error {
	if err := syscall.Kill(-cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
