package testpeer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// recordingTB records Skip and Fatal instead of ending the test.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()           {}
func (r *recordingTB) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recordingTB) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestRequireSkipsOutsideCIAndFailsUnderCI(t *testing.T) {
	missing := errors.New("no such file")
	tests := []struct {
		name     string
		ci       string
		err      error
		wantSkip bool
		wantFail bool
	}{
		{name: "installed, outside CI", ci: "", err: nil},
		{name: "installed, under CI", ci: "true", err: nil},
		{name: "missing, outside CI", ci: "", err: missing, wantSkip: true},
		{name: "missing, CI=false", ci: "false", err: missing, wantSkip: true},
		{name: "missing, under CI", ci: "true", err: missing, wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			rec := &recordingTB{TB: t}
			Require(rec, "node ws", tt.err, "cd interop && npm ci")
			if got := rec.skipped != ""; got != tt.wantSkip {
				t.Errorf("skipped = %v (%q), want %v", got, rec.skipped, tt.wantSkip)
			}
			if got := rec.failed != ""; got != tt.wantFail {
				t.Errorf("failed = %v (%q), want %v", got, rec.failed, tt.wantFail)
			}
			for _, msg := range []string{rec.skipped, rec.failed} {
				if msg == "" {
					continue
				}
				if !strings.Contains(msg, "node ws not installed") || !strings.Contains(msg, "`cd interop && npm ci`") {
					t.Errorf("message %q does not name the peer and what to run", msg)
				}
			}
		})
	}
}
