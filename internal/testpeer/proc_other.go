//go:build !unix

package testpeer

import "os/exec"

// ownProcessGroup does nothing where there are no Unix process groups.
func ownProcessGroup(cmd *exec.Cmd) {}

// signalGroup kills the started cmd: without Unix signals there is no
// gentler request to send.
func signalGroup(cmd *exec.Cmd, kill bool) {
	_ = cmd.Process.Kill()
}
