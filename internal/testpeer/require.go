package testpeer

import (
	"fmt"
	"os"
	"testing"
)

// Require skips t when a peer program is missing (err says why, nil means
// it is there), with a message naming the peer and the command that
// installs it; under CI=true it fails t instead.
func Require(t testing.TB, name string, err error, install string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s not installed (%v): run `%s`", name, err, install)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing peer fails the test)")
		return
	}
	t.Skip(msg)
}
