package testpeer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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
}

// Chromium returns the path of Debian's chromium and logs its version; it
// skips t (fails it under CI=true) when chromium is not installed.
func Chromium(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	Require(t, "chromium", err, "apt-get install chromium")
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		t.Log(strings.TrimSpace(string(out)))
	}
	return bin
}

// Browser is a headless Chromium started by StartChromium.
type Browser struct {
	*Process
	profile string
}

// StartChromium starts the Chromium at bin headless, with a fresh profile
// and its DevTools endpoint on a port of its choosing, on url
// ("about:blank" if empty). It is stopped when t ends.
func StartChromium(t testing.TB, bin, url string) *Browser {
	t.Helper()
	if url == "" {
		url = "about:blank"
	}
	profile := t.TempDir() // removed after the browser is stopped
	args := slices.Concat(chromiumFlags, []string{
		"--remote-debugging-port=0", // it writes the port it chose into the profile
		"--user-data-dir=" + profile,
		url,
	})
	return &Browser{Process: Start(t, bin, args...), profile: profile}
}

// DevToolsURL waits for Chromium to open its DevTools port and returns the
// browser's DevTools WebSocket URL.
func (b *Browser) DevToolsURL(ctx context.Context) (string, error) {
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
		case <-b.Exited():
			return "", fmt.Errorf("chromium exited before it listened: %v; output:\n%s", b.Err(), b.Output())
		case <-ctx.Done():
			return "", errors.Join(ctx.Err(), fmt.Errorf("chromium did not open its DevTools port; output:\n%s", b.Output()))
		}
	}
}
