package proc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// A Process is a server running in a child process.
type Process struct {
	Addr   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Scanner
	stderr *tailBuffer

	stopOnce sync.Once
	stopErr  error
}

// Start runs name with args (a program that calls Serve) and waits for its
// Ready line. ctx bounds the process's whole life.
func Start(ctx context.Context, name string, args ...string) (*Process, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, stdin: stdin, stderr: &tailBuffer{max: 4 << 10}}
	cmd.Stderr = p.stderr
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.stdout = bufio.NewScanner(stdout)
	var ready Ready
	if err := p.read(&ready); err != nil {
		p.Stop()
		return nil, fmt.Errorf("proc: server did not start: %w", err)
	}
	p.Addr = ready.Addr
	return p, nil
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

func (p *Process) read(v any) error {
	if !p.stdout.Scan() {
		err := p.stdout.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("%w (stderr: %q)", err, p.stderr.String())
	}
	return json.Unmarshal(p.stdout.Bytes(), v)
}

// call sends a command and reads its reply.
func (p *Process) call(cmd string) (reply, error) {
	if err := p.Send(cmd); err != nil {
		return reply{}, err
	}
	return p.Reply()
}

// Send sends a command without waiting for its reply; Reply reads it.
func (p *Process) Send(cmd string) error {
	_, err := io.WriteString(p.stdin, cmd+"\n")
	return err
}

// Reply reads the reply to a command sent with Send.
func (p *Process) Reply() (reply, error) {
	var r reply
	if err := p.read(&r); err != nil {
		return r, err
	}
	if r.Err != "" {
		return r, errors.New("proc: server: " + r.Err)
	}
	return r, nil
}

// Stats asks the server for its Stats.
func (p *Process) Stats() (Stats, error) {
	r, err := p.call("stats")
	if err != nil {
		return Stats{}, err
	}
	if r.Stats == nil {
		return Stats{}, errors.New("proc: no stats in reply")
	}
	return *r.Stats, nil
}

// SendBroadcast asks the server to broadcast n bytes; BroadcastReply
// reads how many connections it was sent to.
func (p *Process) SendBroadcast(n int) error { return p.Send("broadcast " + strconv.Itoa(n)) }

// BroadcastReply reads the reply to SendBroadcast.
func (p *Process) BroadcastReply() (int, error) {
	r, err := p.Reply()
	return r.Sent, err
}

// HeapProfile asks the server to write a heap profile to path.
func (p *Process) HeapProfile(path string) error {
	_, err := p.call("heapprofile " + path)
	return err
}

// Stop asks the server to quit and waits for it. It may be called more
// than once.
func (p *Process) Stop() error {
	p.stopOnce.Do(func() {
		p.Send("quit")
		p.stdin.Close()
		if err := p.cmd.Wait(); err != nil {
			p.stopErr = fmt.Errorf("proc: server: %w (stderr: %q)", err, p.stderr.String())
		}
	})
	return p.stopErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
