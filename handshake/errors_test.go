package handshake_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func TestRequestErrorMessageAndUnwrap(t *testing.T) {
	e := &handshake.RequestError{Status: 400, Err: handshake.ErrMissingKey}
	if want := "websocket: bad handshake: missing Sec-WebSocket-Key header"; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
	if !errors.Is(e, handshake.ErrMissingKey) || errors.Is(e, handshake.ErrBadKey) {
		t.Errorf("errors.Is does not follow Unwrap to exactly the sentinel")
	}
	if (&handshake.RequestError{Status: 400}).Error() == "" {
		t.Error("Error() of a RequestError without Err is empty")
	}
}

func TestStatusErrorMessage(t *testing.T) {
	tests := []struct {
		err  handshake.StatusError
		want string
	}{
		{handshake.StatusError{StatusCode: 403, Status: "403 Forbidden", Body: []byte("  go away\r\n")},
			"websocket: handshake refused: 403 Forbidden: go away"},
		{handshake.StatusError{StatusCode: 404}, "websocket: handshake refused: 404 Not Found"},
		{handshake.StatusError{StatusCode: 599}, "websocket: handshake refused: 599"},
		{handshake.StatusError{StatusCode: 400, Status: "400 Bad Request", Body: []byte("line1\r\nFake: log\x1b[31m")},
			"websocket: handshake refused: 400 Bad Request: line1  Fake: log [31m"},
		{handshake.StatusError{StatusCode: 500, Status: "500 Internal Server Error", Body: []byte("x" + strings.Repeat("é", 150))},
			// The 200-byte cut falls inside an é; the message ends before it.
			"websocket: handshake refused: 500 Internal Server Error: x" + strings.Repeat("é", 99) + "…"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestStatusErrorCarriesHeader(t *testing.T) {
	var err error = &handshake.StatusError{StatusCode: 401, Header: http.Header{"Www-Authenticate": {"Basic"}}}
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.Header.Get("WWW-Authenticate") != "Basic" {
		t.Errorf("errors.As = %+v", se)
	}
}
