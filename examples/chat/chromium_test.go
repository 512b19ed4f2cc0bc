package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// chromiumFlags run Chromium headless (as root too), with a fresh profile
// and without reaching for the network on its own.
var chromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--remote-debugging-port=0", // it writes the port it chose into the profile
}

// requireChromium returns the path of Debian's chromium. When it is missing
// the test is skipped, except under CI=true, where it fails: CI installs
// chromium and must not pass by skipping.
func requireChromium(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err == nil {
		return bin
	}
	msg := fmt.Sprintf("chromium not installed (%v): run `apt-get install chromium`", err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// lockedBuffer collects a process's output, written from os/exec's copying
// goroutines while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// chromium is a running headless Chromium.
type chromium struct {
	cmd     *exec.Cmd
	profile string
	output  *lockedBuffer
	exited  chan struct{} // closed once the process has exited
	waitErr error         // how it exited, once exited is closed
}

// startChromium starts headless Chromium with a fresh profile and stops it
// when the test ends: SIGTERM to its process group, SIGKILL if it lingers.
func startChromium(t *testing.T, bin string) *chromium {
	t.Helper()
	b := &chromium{profile: t.TempDir(), output: new(lockedBuffer), exited: make(chan struct{})}
	args := append(chromiumFlags[:len(chromiumFlags):len(chromiumFlags)], "--user-data-dir="+b.profile, "about:blank")
	b.cmd = exec.Command(bin, args...)
	b.cmd.Stdout, b.cmd.Stderr = b.output, b.output
	b.cmd.WaitDelay = 5 * time.Second // its helpers may keep the output pipe open
	ownProcessGroup(b.cmd)
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	go func() {
		b.waitErr = b.cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		signalGroup(b.cmd, false)
		select {
		case <-b.exited:
		case <-time.After(10 * time.Second):
			t.Log("chromium ignored SIGTERM for 10s: killing it")
		}
		signalGroup(b.cmd, true) // and any helper that outlived it
		<-b.exited
	})
	return b
}

// devtoolsURL waits for Chromium to write its DevTools port into the
// profile and returns the browser's DevTools WebSocket URL.
func (b *chromium) devtoolsURL(ctx context.Context) (string, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		// Two lines: the port, and the browser target's path.
		data, err := os.ReadFile(filepath.Join(b.profile, "DevToolsActivePort"))
		if lines := strings.Fields(string(data)); err == nil && len(lines) == 2 {
			return "ws://127.0.0.1:" + lines[0] + lines[1], nil
		}
		select {
		case <-tick.C:
		case <-b.exited:
			return "", fmt.Errorf("chromium exited before it listened: %v; output:\n%s", b.waitErr, b.output)
		case <-ctx.Done():
			return "", errors.Join(ctx.Err(), fmt.Errorf("chromium did not open its DevTools port; output:\n%s", b.output))
		}
	}
}
