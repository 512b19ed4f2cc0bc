package handshake_test

import (
	"errors"
	"path"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func TestCheckOrigin(t *testing.T) {
	tests := []struct {
		name     string
		host     string
		origins  []string // Origin fields
		patterns []string
		allowed  bool
	}{
		{"no origin", "example.com", nil, nil, true},
		{"same origin", "example.com", []string{"https://example.com"}, nil, true},
		{"same origin other case", "Example.COM:8080", []string{"http://example.com:8080"}, nil, true},
		{"same host other port", "example.com:8080", []string{"http://example.com"}, nil, false},
		{"cross origin", "example.com", []string{"https://evil.example"}, nil, false},
		{"cross origin pattern allowed", "example.com", []string{"https://app.example.org"}, []string{"*.example.org"}, true},
		{"pattern case-insensitive", "example.com", []string{"https://App.Example.org"}, []string{"*.EXAMPLE.org"}, true},
		{"pattern with port", "example.com", []string{"http://localhost:3000"}, []string{"localhost:*"}, true},
		{"pattern does not match", "example.com", []string{"https://example.org.evil"}, []string{"*.example.org"}, false},
		{"null origin refused", "example.com", []string{"null"}, []string{"*.example.org"}, false},
		{"null origin allowed by pattern", "example.com", []string{"null"}, []string{"null"}, true},
		{"unparsable origin refused", "example.com", []string{"http://%zz"}, nil, false},
		{"two origins refused", "example.com", []string{"https://example.com", "https://example.com"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "GET / HTTP/1.1\nHost: " + tt.host + "\n"
			for _, o := range tt.origins {
				raw += "Origin: " + o + "\n"
			}
			err := handshake.CheckOrigin(readRequest(t, raw+"\n"), tt.patterns)
			if tt.allowed {
				if err != nil {
					t.Errorf("CheckOrigin = %v, want allowed", err)
				}
				return
			}
			var re *handshake.RequestError
			if !errors.Is(err, handshake.ErrOriginNotAllowed) || !errors.As(err, &re) || re.Status != 403 {
				t.Errorf("CheckOrigin = %v, want a 403 RequestError wrapping ErrOriginNotAllowed", err)
			}
		})
	}
}

func TestCheckOriginBadPatternIsAnError(t *testing.T) {
	// The request is same-origin: the bad pattern must be reported anyway.
	r := readRequest(t, "GET / HTTP/1.1\nHost: example.com\nOrigin: http://example.com\n\n")
	err := handshake.CheckOrigin(r, []string{"*.example.org", "[a-"})
	if !errors.Is(err, path.ErrBadPattern) || !strings.Contains(err.Error(), `"[a-"`) {
		t.Errorf("CheckOrigin = %v, want path.ErrBadPattern naming the pattern", err)
	}
	var re *handshake.RequestError
	if errors.As(err, &re) {
		t.Errorf("a bad pattern is the server's fault, not a RequestError: %v", err)
	}
}
