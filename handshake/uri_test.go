package handshake_test

import (
	"errors"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		raw                    string
		scheme, host, path, rq string // rq is RequestURI
		wantErr                bool
	}{
		{raw: "ws://example.com", scheme: "ws", host: "example.com", path: "/", rq: "/"},
		{raw: "wss://example.com/chat", scheme: "wss", host: "example.com", path: "/chat", rq: "/chat"},
		{raw: "http://example.com/a", scheme: "ws", host: "example.com", path: "/a", rq: "/a"},
		{raw: "https://example.com/a", scheme: "wss", host: "example.com", path: "/a", rq: "/a"},
		{raw: "WS://Example.com/", scheme: "ws", host: "Example.com", path: "/", rq: "/"},
		{raw: "HTTPS://example.com", scheme: "wss", host: "example.com", path: "/", rq: "/"},
		{raw: "ws://127.0.0.1:8080/x", scheme: "ws", host: "127.0.0.1:8080", path: "/x", rq: "/x"},
		{raw: "ws://[::1]:9000", scheme: "ws", host: "[::1]:9000", path: "/", rq: "/"},
		{raw: "ws://example.com?a=1&b=%20", scheme: "ws", host: "example.com", path: "/", rq: "/?a=1&b=%20"},
		{raw: "ws://example.com/p%2Fq?x", scheme: "ws", host: "example.com", path: "/p/q", rq: "/p%2Fq?x"},
		{raw: "ws:///path", wantErr: true},
		{raw: "ws://:80/", wantErr: true},
		{raw: "ws:example.com", wantErr: true},
		{raw: "ws://example.com/#frag", wantErr: true},
		{raw: "ws://example.com/#", wantErr: true},
		{raw: "ftp://example.com/", wantErr: true},
		{raw: "example.com", wantErr: true},
		{raw: "ws://example.com:0/", wantErr: true},
		{raw: "ws://example.com:65536/", wantErr: true},
		{raw: "ws://exa mple.com/", wantErr: true},
		{raw: "", wantErr: true},
	}
	for _, tt := range tests {
		u, err := handshake.ParseURI(tt.raw)
		if tt.wantErr {
			if !errors.Is(err, handshake.ErrBadURI) {
				t.Errorf("ParseURI(%q) = %v, %v; want ErrBadURI", tt.raw, u, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURI(%q): %v", tt.raw, err)
			continue
		}
		if u.Scheme != tt.scheme || u.Host != tt.host || u.Path != tt.path || u.RequestURI() != tt.rq {
			t.Errorf("ParseURI(%q) = scheme %q host %q path %q request URI %q; want %q %q %q %q",
				tt.raw, u.Scheme, u.Host, u.Path, u.RequestURI(), tt.scheme, tt.host, tt.path, tt.rq)
		}
	}
}
