package frames

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// validOnWire lists the ranges of RFC 6455 section 7.4 and the IANA
// registry independently of the code under test.
func validOnWire(c int) bool {
	for _, r := range [][2]int{{1000, 1003}, {1007, 1014}, {3000, 4999}} {
		if c >= r[0] && c <= r[1] {
			return true
		}
	}
	return false
}

func TestCloseCodeValidOnWireForEveryCode(t *testing.T) {
	for c := 0; c <= 65535; c++ {
		if got, want := CloseCode(c).ValidOnWire(), validOnWire(c); got != want {
			t.Errorf("CloseCode(%d).ValidOnWire() = %v, want %v", c, got, want)
		}
	}
}

func TestClosePayloadRoundTripsForEveryCode(t *testing.T) {
	for c := 0; c <= 5000; c++ {
		code := CloseCode(c)
		payload, err := AppendClose(nil, code, "bye")
		if !validOnWire(c) {
			if !errors.Is(err, ErrInvalidCloseCode) || len(payload) != 0 {
				t.Errorf("AppendClose(%d) = % x, %v; want ErrInvalidCloseCode", c, payload, err)
			}
			wire := []byte{byte(c >> 8), byte(c), 'h', 'i'}
			if got, _, err := ParseClose(wire); !errors.Is(err, ErrInvalidCloseCode) || got != code {
				t.Errorf("ParseClose(% x) = %d, %v; want %d and ErrInvalidCloseCode", wire, got, err, c)
			}
			continue
		}
		if err != nil {
			t.Errorf("AppendClose(%d): %v", c, err)
			continue
		}
		if want := []byte{byte(c >> 8), byte(c), 'b', 'y', 'e'}; !bytes.Equal(payload, want) {
			t.Errorf("AppendClose(%d) = % x, want % x", c, payload, want)
		}
		gotCode, gotReason, err := ParseClose(payload)
		if err != nil || gotCode != code || gotReason != "bye" {
			t.Errorf("ParseClose(AppendClose(%d)) = %d, %q, %v", c, gotCode, gotReason, err)
		}
	}
}

func TestAppendCloseReasonLength(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		want   error
	}{
		{"empty", "", nil},
		{"123 bytes", strings.Repeat("a", 123), nil},
		{"123 bytes of 3-byte characters", strings.Repeat("€", 41), nil},
		{"124 bytes", strings.Repeat("a", 124), ErrCloseReasonTooLong},
		{"126 bytes of 3-byte characters", strings.Repeat("€", 42), ErrCloseReasonTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := AppendClose(nil, CloseNormal, tt.reason)
			if !errors.Is(err, tt.want) {
				t.Fatalf("AppendClose error = %v, want %v", err, tt.want)
			}
			if err == nil && len(payload) != 2+len(tt.reason) {
				t.Fatalf("AppendClose payload has %d bytes, want %d", len(payload), 2+len(tt.reason))
			}
			if err == nil {
				// A close frame's payload fits in a control frame.
				f := Frame{Fin: true, Opcode: OpClose, Payload: payload}
				if err := f.Header().Validate(); err != nil {
					t.Fatalf("close frame with the payload: %v", err)
				}
			}
		})
	}
}

func TestAppendCloseRefusesInvalidUTF8Reason(t *testing.T) {
	for _, reason := range []string{"\xff", "ok\xc3", "\xed\xa0\x80"} {
		if p, err := AppendClose(nil, CloseNormal, reason); !errors.Is(err, ErrInvalidUTF8) || p != nil {
			t.Errorf("AppendClose(%q) = % x, %v; want ErrInvalidUTF8", reason, p, err)
		}
	}
}

func TestAppendCloseNoStatus(t *testing.T) {
	p, err := AppendClose([]byte("x"), CloseNoStatus, "")
	if err != nil || string(p) != "x" {
		t.Errorf("AppendClose(1005, \"\") = %q, %v; want nothing appended", p, err)
	}
	if _, err := AppendClose(nil, CloseNoStatus, "why"); !errors.Is(err, ErrInvalidCloseCode) {
		t.Errorf("AppendClose(1005, reason) = %v, want ErrInvalidCloseCode", err)
	}
}

func TestAppendCloseAppendsToDst(t *testing.T) {
	p, err := AppendClose([]byte("ab"), CloseGoingAway, "c")
	if want := []byte{'a', 'b', 0x03, 0xe9, 'c'}; err != nil || !bytes.Equal(p, want) {
		t.Errorf("AppendClose = % x, %v; want % x", p, err, want)
	}
	p, err = AppendClose([]byte("ab"), 999, "c")
	if err == nil || string(p) != "ab" {
		t.Errorf("AppendClose(999) = %q, %v; want dst unchanged and an error", p, err)
	}
}

func TestParseClose(t *testing.T) {
	tests := []struct {
		name       string
		payload    []byte
		wantCode   CloseCode
		wantReason string
		wantErr    error
	}{
		{"empty payload is no status", nil, CloseNoStatus, "", nil},
		{"one byte", []byte{0x03}, 0, "", ErrInvalidClosePayload},
		{"code only", []byte{0x03, 0xe8}, CloseNormal, "", nil},
		{"code and reason", []byte("\x03\xe9going"), CloseGoingAway, "going", nil},
		{"private code", []byte("\x0f\xa0x"), 4000, "x", nil},
		{"UTF-8 reason", []byte("\x03\xe8κόσμε"), CloseNormal, "κόσμε", nil},
		{"invalid UTF-8 reason", []byte("\x03\xe8\xce\xba\xff"), CloseNormal, "", ErrInvalidUTF8},
		{"surrogate in reason", []byte("\x03\xe8\xed\xa0\x80"), CloseNormal, "", ErrInvalidUTF8},
		{"truncated UTF-8 reason", []byte("\x03\xe8\xe2\x82"), CloseNormal, "", ErrInvalidUTF8},
		{"code 1005 on the wire", []byte{0x03, 0xed}, CloseNoStatus, "", ErrInvalidCloseCode},
		{"code 0", []byte{0, 0}, 0, "", ErrInvalidCloseCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, reason, err := ParseClose(tt.payload)
			if code != tt.wantCode || reason != tt.wantReason || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("ParseClose(% x) = %d, %q, %v; want %d, %q, %v",
					tt.payload, code, reason, err, tt.wantCode, tt.wantReason, tt.wantErr)
			}
		})
	}
}

func TestCloseCodeString(t *testing.T) {
	tests := []struct {
		code CloseCode
		want string
	}{
		{CloseNormal, "normal closure"},
		{CloseGoingAway, "going away"},
		{CloseProtocolError, "protocol error"},
		{CloseUnsupportedData, "unsupported data"},
		{CloseNoStatus, "no status received"},
		{CloseAbnormal, "abnormal closure"},
		{CloseInvalidPayload, "invalid payload data"},
		{ClosePolicyViolation, "policy violation"},
		{CloseMessageTooBig, "message too big"},
		{CloseMandatoryExtension, "mandatory extension"},
		{CloseInternalError, "internal error"},
		{CloseServiceRestart, "service restart"},
		{CloseTryAgainLater, "try again later"},
		{CloseBadGateway, "bad gateway"},
		{CloseTLSHandshake, "TLS handshake failure"},
		{1004, "close code 1004"},
		{4000, "close code 4000"},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.want {
			t.Errorf("CloseCode(%d).String() = %q, want %q", uint16(tt.code), got, tt.want)
		}
	}
}
