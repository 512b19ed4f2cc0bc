//go:build unix

package testpeer

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestStartCollectsOutputAndReportsTheExit(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	p := Start(t, sh, "-c", "echo out; echo err >&2; exit 3")
	select {
	case <-p.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("sh did not exit")
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Err = %v, want exit status 3", err)
	}
	if out := p.Output(); !strings.Contains(out, "out\n") || !strings.Contains(out, "err\n") {
		t.Errorf("Output = %q, want both streams", out)
	}
}

func TestStartStopsTheProcessAndItsHelpersWhenTheTestEnds(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	var p *Process
	t.Run("running", func(t *testing.T) {
		// sh starts a helper that would sleep for a minute.
		p = Start(t, sh, "-c", "sleep 60 & wait")
	})
	select {
	case <-p.Exited():
	default:
		t.Fatal("the process outlived its test")
	}
}
