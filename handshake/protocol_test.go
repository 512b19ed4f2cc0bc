package handshake_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func TestCheckProtocols(t *testing.T) {
	tests := []struct {
		protocols []string
		want      error
		culprit   string
	}{
		{nil, nil, ""},
		{[]string{"chat", "superchat", "v1.json.example.com", "a!#$%&'*+-.^_`|~z"}, nil, ""},
		{[]string{"chat", "Chat"}, nil, ""}, // case-sensitive: distinct
		{[]string{""}, handshake.ErrInvalidProtocol, `""`},
		{[]string{"invalid@protocol"}, handshake.ErrInvalidProtocol, `"invalid@protocol"`},
		{[]string{"a,b"}, handshake.ErrInvalidProtocol, `"a,b"`},
		{[]string{"my awesome-protocol"}, handshake.ErrInvalidProtocol, `"my awesome-protocol"`},
		{[]string{"a/b"}, handshake.ErrInvalidProtocol, `"a/b"`},
		{[]string{"tab\there"}, handshake.ErrInvalidProtocol, `"tab\there"`},
		{[]string{"del\x7f"}, handshake.ErrInvalidProtocol, `"del\x7f"`},
		{[]string{"caf\u00e9"}, handshake.ErrInvalidProtocol, `"café"`},
		{[]string{"foo", "bar", "foo"}, handshake.ErrDuplicateProtocol, `"foo"`},
	}
	for _, tt := range tests {
		err := handshake.CheckProtocols(tt.protocols)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckProtocols(%q) = %v, want %v", tt.protocols, err, tt.want)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), tt.culprit) {
			t.Errorf("CheckProtocols(%q) = %v, want it to name %s", tt.protocols, err, tt.culprit)
		}
	}
}

func TestParseProtocols(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string
		err   error
	}{
		{"absent", nil, nil, nil},
		{"one", []string{"chat"}, []string{"chat"}, nil},
		{"list with spaces", []string{" chat ,\tsuperchat "}, []string{"chat", "superchat"}, nil},
		{"across lines", []string{"a, b", "c"}, []string{"a", "b", "c"}, nil},
		{"empty elements ignored", []string{"a,,b,"}, []string{"a", "b"}, nil},
		{"empty value", []string{""}, nil, nil},
		{"duplicate", []string{"foo, foo"}, nil, handshake.ErrDuplicateProtocol},
		{"duplicate across lines", []string{"foo", "foo"}, nil, handshake.ErrDuplicateProtocol},
		{"invalid", []string{"invalid@protocol"}, nil, handshake.ErrInvalidProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.lines {
				h.Add("Sec-WebSocket-Protocol", l)
			}
			got, err := handshake.ParseProtocols(h)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ParseProtocols error = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseProtocols = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSelectProtocolPrefersServerOrder(t *testing.T) {
	tests := []struct {
		offered, supported []string
		want               string
	}{
		{[]string{"foo", "my-awesome-protocol", "bar"}, []string{"my awesome-protocol", "foo"}, "foo"},
		{[]string{"a", "b"}, []string{"b", "a"}, "b"},
		{[]string{"a"}, []string{"A"}, ""},
		{nil, []string{"a"}, ""},
		{[]string{"a"}, nil, ""},
	}
	for _, tt := range tests {
		if got := handshake.SelectProtocol(tt.offered, tt.supported); got != tt.want {
			t.Errorf("SelectProtocol(%q, %q) = %q, want %q", tt.offered, tt.supported, got, tt.want)
		}
	}
}
