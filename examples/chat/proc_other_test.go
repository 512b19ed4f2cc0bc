//go:build !unix

package main

import "os/exec"

// ownProcessGroup does nothing: there are no Unix process groups here.
func ownProcessGroup(cmd *exec.Cmd) {}

// signalGroup kills the started cmd, the only signal there is here.
func signalGroup(cmd *exec.Cmd, kill bool) {
	_ = cmd.Process.Kill()
}
