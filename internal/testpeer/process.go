package testpeer

import (
	"os/exec"
	"testing"
	"time"
)

// Process is a program started by Start.
type Process struct {
	cmd     *exec.Cmd
	output  *Buffer
	exited  chan struct{}
	waitErr error
}

// Start runs name with args, its standard output and error collected in
// Output, in a process group of its own. When t ends the group is sent
// SIGTERM, then SIGKILL after 10 seconds or once the program has exited,
// so helpers it started do not outlive it.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	p := &Process{cmd: exec.Command(name, args...), output: new(Buffer), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	p.cmd.WaitDelay = 5 * time.Second // helpers may hold the output pipe
	ownProcessGroup(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// Output returns what the program has printed so far.
func (p *Process) Output() string { return p.output.String() }

// Exited returns a channel closed once the program has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err returns how the program exited, once Exited is closed.
func (p *Process) Err() error {
	<-p.exited
	return p.waitErr
}

func (p *Process) stop(t testing.TB) {
	signalGroup(p.cmd, false)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Logf("%s ignored SIGTERM for 10s: killing it", p.cmd.Path)
	}
	signalGroup(p.cmd, true) // also ends helpers that outlived it
	<-p.exited
}
