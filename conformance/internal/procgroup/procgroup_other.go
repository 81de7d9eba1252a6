//go:build !unix

package procgroup

import (
	"errors"
	"os"
	"os/exec"
)

// Without process groups, stopping a command reaches the process started and nothing else.

// Own does nothing: the system has no process groups.
func Own(*exec.Cmd) {}

// Interrupt interrupts the process.
func Interrupt(cmd *exec.Cmd) error { return cmd.Process.Signal(os.Interrupt) }

// Kill kills the process.
func Kill(cmd *exec.Cmd) error {
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}
