package supervisor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/wsactor/wsactor/actor"
	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

func TestRetryableSortsErrorsWorthRetryingFromTheRest(t *testing.T) {
	refused := func(status int) error {
		return fmt.Errorf("websocket: connect ws://x/: %w", &handshake.StatusError{StatusCode: status})
	}
	closed := func(code frames.CloseCode) error { return &conn.CloseError{Code: code} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, true},
		{"stop", fmt.Errorf("done: %w", ErrStop), false},
		{"panic with stop", &actor.PanicError{Value: ErrStop}, false},
		{"panic", &actor.PanicError{Value: "bug"}, true},
		{"handler error", errors.New("bad message"), true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"reset", closed(frames.CloseAbnormal), true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"dial timeout", fmt.Errorf("connect: %w", context.DeadlineExceeded), true},
		{"400", refused(http.StatusBadRequest), false},
		{"401", refused(http.StatusUnauthorized), false},
		{"403", refused(http.StatusForbidden), false},
		{"404", refused(http.StatusNotFound), false},
		{"426", refused(http.StatusUpgradeRequired), false},
		{"302", refused(http.StatusFound), false},
		{"200", refused(http.StatusOK), false},
		{"408", refused(http.StatusRequestTimeout), true},
		{"429", refused(http.StatusTooManyRequests), true},
		{"500", refused(http.StatusInternalServerError), true},
		{"502", refused(http.StatusBadGateway), true},
		{"503", refused(http.StatusServiceUnavailable), true},
		{"bad accept", fmt.Errorf("connect: %w", handshake.ErrBadAccept), false},
		{"bad upgrade", fmt.Errorf("connect: %w", handshake.ErrBadUpgrade), false},
		{"unexpected protocol", fmt.Errorf("connect: %w", handshake.ErrUnexpectedProtocol), false},
		{"bad URI", fmt.Errorf("connect: %w", handshake.ErrBadURI), false},
		{"certificate", fmt.Errorf("connect: %w", &tls.CertificateVerificationError{Err: errors.New("unknown authority")}), false},
		{"handshake failed with a dial error", &conn.CloseError{Code: frames.CloseAbnormal, Err: refused(http.StatusForbidden)}, false},
	}
	for _, code := range []frames.CloseCode{1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014, 3000, 4999} {
		tests = append(tests, struct {
			name string
			err  error
			want bool
		}{fmt.Sprintf("close %d", code), closed(code), true})
	}
	for _, code := range []frames.CloseCode{1002, 1003, 1007, 1008, 1009, 1010} {
		tests = append(tests, struct {
			name string
			err  error
			want bool
		}{fmt.Sprintf("close %d", code), closed(code), false})
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("Retryable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestRetryAfterReadsSecondsAndDatesOf503And429(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	refusal := func(status int, after string) error {
		return &handshake.StatusError{StatusCode: status, Header: http.Header{"Retry-After": {after}}}
	}
	tests := []struct {
		err  error
		want time.Duration
	}{
		{refusal(503, "7"), 7 * time.Second},
		{refusal(429, "2"), 2 * time.Second},
		{refusal(503, now.Add(90*time.Second).Format(http.TimeFormat)), 90 * time.Second},
		{refusal(503, now.Add(-time.Minute).Format(http.TimeFormat)), 0},
		{refusal(503, "-3"), 0},
		{refusal(503, "soon"), 0},
		{refusal(503, ""), 0},
		{refusal(500, "7"), 0},
		{refusal(503, "99999999999"), 24 * time.Hour},
		{errors.New("other"), 0},
	}
	for i, tt := range tests {
		if got := retryAfter(tt.err, now); got != tt.want {
			t.Errorf("case %d: retryAfter(%v) = %v, want %v", i, tt.err, got, tt.want)
		}
	}
}
