package handshake_test

import (
	"encoding/base64"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func TestAcceptKeyMatchesRFC6455Example(t *testing.T) {
	if got := handshake.AcceptKey(rfcKey); got != rfcAccept {
		t.Errorf("AcceptKey(%q) = %q, want %q", rfcKey, got, rfcAccept)
	}
}

func TestNewKeyIsBase64Of16FreshBytes(t *testing.T) {
	seen := make(map[string]bool)
	for range 64 {
		key := handshake.NewKey()
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil || len(raw) != 16 {
			t.Fatalf("NewKey() = %q: decodes to %d bytes, %v; want 16", key, len(raw), err)
		}
		if seen[key] {
			t.Fatalf("NewKey() repeated %q", key)
		}
		seen[key] = true
	}
}

func TestVersionIs13(t *testing.T) {
	if handshake.Version != "13" {
		t.Errorf("Version = %q, want 13", handshake.Version)
	}
}
