//go:build unix

package testpeer

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd lead a process group of its own, so that the
// helpers it starts can be signalled with it and with nothing else.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// signalGroup sends SIGTERM, or SIGKILL when kill is true, to the process
// group that the started cmd leads.
func signalGroup(cmd *exec.Cmd, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-cmd.Process.Pid, sig)
}
