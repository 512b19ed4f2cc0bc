package handshake_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

// validRequest is a complete opening handshake request; the refusal tests
// each change one thing in it.
const validRequest = `GET /chat HTTP/1.1
Host: server.example.com
Upgrade: websocket
Connection: Upgrade
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
Sec-WebSocket-Version: 13

`

func TestCheckRequestRefusesLikeNewFromStream(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		want       error
		status     int
		header     string // a field the answer must carry
		headerWant string
	}{
		{"method POST", strings.Replace(validRequest, "GET", "POST", 1),
			handshake.ErrMethod, 405, "Allow", "GET"},
		{"HTTP/1.0", strings.Replace(validRequest, "HTTP/1.1", "HTTP/1.0", 1),
			handshake.ErrHTTPVersion, 505, "", ""},
		{"missing upgrade", strings.Replace(validRequest, "Upgrade: websocket\n", "", 1),
			handshake.ErrMissingUpgrade, 426, "Upgrade", "websocket"},
		{"non-websocket upgrade", strings.Replace(validRequest, "Upgrade: websocket", "Upgrade: h2c", 1),
			handshake.ErrNotWebSocket, 400, "", ""},
		{"missing connection", strings.Replace(validRequest, "Connection: Upgrade\n", "", 1),
			handshake.ErrMissingConnection, 400, "", ""},
		{"connection without upgrade", strings.Replace(validRequest, "Connection: Upgrade", "Connection: keep-alive", 1),
			handshake.ErrConnectionNoUpgrade, 400, "", ""},
		{"missing key", strings.Replace(validRequest, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n", "", 1),
			handshake.ErrMissingKey, 400, "", ""},
		{"key of 15 bytes", strings.Replace(validRequest, rfcKey, "dGhlIHNhbXBsZSBub25jZQ", 1),
			handshake.ErrBadKey, 400, "", ""},
		{"key not base64", strings.Replace(validRequest, rfcKey, "not base64 at all!!!!!!!", 1),
			handshake.ErrBadKey, 400, "", ""},
		{"key twice", strings.Replace(validRequest, "Sec-WebSocket-Version", "Sec-WebSocket-Key: "+rfcKey+"\nSec-WebSocket-Version", 1),
			handshake.ErrBadKey, 400, "", ""},
		{"missing version", strings.Replace(validRequest, "Sec-WebSocket-Version: 13\n", "", 1),
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", "13"},
		{"unknown version", strings.Replace(validRequest, "Version: 13", "Version: 8", 1),
			handshake.ErrVersion, 426, "Sec-WebSocket-Version", "13"},
		{"invalid subprotocol", strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: invalid@protocol\n\n", 1),
			handshake.ErrInvalidProtocol, 400, "", ""},
		{"duplicate subprotocol", strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: foo, foo\n\n", 1),
			handshake.ErrDuplicateProtocol, 400, "", ""},
		{"malformed extensions", strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Extensions: permessage-deflate;;\n\n", 1),
			handshake.ErrBadExtensions, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := handshake.CheckRequest(readRequest(t, tt.raw))
			if req != nil {
				t.Errorf("CheckRequest returned %+v with the error", req)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckRequest error = %v, want %v", err, tt.want)
			}
			var re *handshake.RequestError
			if !errors.As(err, &re) {
				t.Fatalf("CheckRequest error %T is not a *RequestError", err)
			}
			if re.Status != tt.status {
				t.Errorf("Status = %d, want %d", re.Status, tt.status)
			}
			if tt.header != "" && re.Header.Get(tt.header) != tt.headerWant {
				t.Errorf("Header %s = %q, want %q", tt.header, re.Header.Get(tt.header), tt.headerWant)
			}
			if !strings.HasPrefix(err.Error(), "websocket: bad handshake: ") {
				t.Errorf("Error() = %q, want the bad handshake prefix", err)
			}
		})
	}
}

func TestCheckRequestNamesTheCulprit(t *testing.T) {
	tests := []struct{ raw, want string }{
		{strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: chat, invalid@protocol\n\n", 1), `"invalid@protocol"`},
		{strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: foo, foo\n\n", 1), `"foo"`},
		{strings.Replace(validRequest, "Version: 13", "Version: 8", 1), `"8"`},
		{strings.Replace(validRequest, "Upgrade: websocket", "Upgrade: h2c", 1), `"h2c"`},
	}
	for _, tt := range tests {
		_, err := handshake.CheckRequest(readRequest(t, tt.raw))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckRequest error = %v, want it to name %s", err, tt.want)
		}
	}
}

func TestCheckRequestAcceptsValidVariants(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    handshake.Request
		wantErr bool
	}{
		{"minimal", validRequest, handshake.Request{Key: rfcKey}, false},
		{"connection list", strings.Replace(validRequest, "Connection: Upgrade", "Connection: keep-alive, Upgrade", 1),
			handshake.Request{Key: rfcKey}, false},
		{"capitalised upgrade", strings.Replace(validRequest, "Upgrade: websocket", "Upgrade: WebSocket", 1),
			handshake.Request{Key: rfcKey}, false},
		{"lower-case connection token", strings.Replace(validRequest, "Connection: Upgrade", "Connection: upgrade", 1),
			handshake.Request{Key: rfcKey}, false},
		{"multiple protocol lines",
			strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: chat, superchat\nSec-WebSocket-Protocol: foo\n\n", 1),
			handshake.Request{Key: rfcKey, Protocols: []string{"chat", "superchat", "foo"}}, false},
		{"origin and extensions",
			strings.Replace(validRequest, "\n\n", "\nOrigin: http://example.com\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\n\n", 1),
			handshake.Request{Key: rfcKey, Origin: "http://example.com", Extensions: []handshake.Extension{
				{Name: "permessage-deflate", Params: []handshake.Param{{Name: "client_max_window_bits"}}},
			}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := handshake.CheckRequest(readRequest(t, tt.raw))
			if err != nil {
				t.Fatalf("CheckRequest: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("CheckRequest = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestCheckRequestHasNoSideEffects(t *testing.T) {
	r := readRequest(t, strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: a, b\nContent-Length: 5\n\nhello", 1))
	before := r.Header.Clone()
	if _, err := handshake.CheckRequest(r); err != nil {
		t.Fatalf("CheckRequest: %v", err)
	}
	if _, err := handshake.CheckRequest(r); err != nil {
		t.Fatalf("second CheckRequest: %v", err)
	}
	if !reflect.DeepEqual(r.Header, before) {
		t.Errorf("CheckRequest changed the header: %v, was %v", r.Header, before)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil || string(body) != "hello" {
		t.Errorf("body after CheckRequest = %q, %v; want it unread", body, err)
	}
}

func TestCheckRequestNilIsAnErrorNotAPanic(t *testing.T) {
	var re *handshake.RequestError
	if _, err := handshake.CheckRequest(nil); !errors.As(err, &re) || re.Status != 400 {
		t.Errorf("CheckRequest(nil) = %v, want a 400 RequestError", err)
	}
}

func TestWriteErrorAnswersWithStatusHeaderAndMessage(t *testing.T) {
	_, err := handshake.CheckRequest(readRequest(t, strings.Replace(validRequest, "Version: 13", "Version: 8", 1)))
	rec := httptest.NewRecorder()
	handshake.WriteError(rec, err)
	if rec.Code != http.StatusUpgradeRequired {
		t.Errorf("status = %d, want 426", rec.Code)
	}
	if got := rec.Header().Get("Sec-WebSocket-Version"); got != "13" {
		t.Errorf("Sec-WebSocket-Version = %q, want 13", got)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q, want text/plain", ct)
	}
	if body := rec.Body.String(); strings.TrimSpace(body) != err.Error() {
		t.Errorf("body = %q, want %q", body, err.Error())
	}
}

func TestWriteErrorOtherErrorsAre400(t *testing.T) {
	for _, err := range []error{errors.New("boom"), nil, &handshake.RequestError{Status: 42, Err: handshake.ErrMethod}} {
		rec := httptest.NewRecorder()
		handshake.WriteError(rec, err)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("WriteError(%v) status = %d, want 400", err, rec.Code)
		}
	}
}

func TestWriteResponseNegotiatesLikeTheSeed(t *testing.T) {
	// The seed's server supports "my awesome-protocol" (not a token) and
	// "foo"; the client offers foo, my-awesome-protocol and bar.
	raw := strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: foo, my-awesome-protocol, bar\n\n", 1)
	req, err := handshake.CheckRequest(readRequest(t, raw))
	if err != nil {
		t.Fatalf("CheckRequest: %v", err)
	}
	protocol := handshake.SelectProtocol(req.Protocols, []string{"my awesome-protocol", "foo"})
	if protocol != "foo" {
		t.Fatalf("SelectProtocol = %q, want foo", protocol)
	}
	proto := http.Header{}
	proto.Set("X-Custom-Header", "custom value")
	proto.Set("Upgrade", "not-websocket") // must not override the handshake's own
	var buf bytes.Buffer
	if err := handshake.WriteResponse(&buf, req.Key, protocol, nil, proto); err != nil {
		t.Fatalf("WriteResponse: %v", err)
	}
	if !strings.HasPrefix(buf.String(), "HTTP/1.1 101 Switching Protocols\r\n") {
		t.Errorf("response starts %q", buf.String())
	}
	resp, err := http.ReadResponse(bufio.NewReader(&buf), nil)
	if err != nil {
		t.Fatalf("http.ReadResponse: %v", err)
	}
	for field, want := range map[string]string{
		"Upgrade":                "websocket",
		"Connection":             "Upgrade",
		"Sec-WebSocket-Accept":   rfcAccept,
		"Sec-WebSocket-Protocol": "foo",
		"X-Custom-Header":        "custom value",
	} {
		if got := resp.Header.Values(field); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want [%q]", field, got, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes after the blank line", buf.Len())
	}
}

func TestWriteResponseOmitsEmptyProtocolAndWritesExtensions(t *testing.T) {
	var buf bytes.Buffer
	exts := []handshake.Extension{{Name: "permessage-deflate", Params: []handshake.Param{{Name: "server_no_context_takeover"}}}}
	if err := handshake.WriteResponse(&buf, rfcKey, "", exts, nil); err != nil {
		t.Fatalf("WriteResponse: %v", err)
	}
	want := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + rfcAccept + "\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n"
	if buf.String() != want {
		t.Errorf("WriteResponse wrote\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestWriteResponseUsesOneWrite(t *testing.T) {
	var w countingWriter
	h := http.Header{"A": {"1"}, "B": {"2", "3"}}
	if err := handshake.WriteResponse(&w, rfcKey, "chat", nil, h); err != nil {
		t.Fatalf("WriteResponse: %v", err)
	}
	if w.calls != 1 {
		t.Errorf("WriteResponse made %d Write calls, want 1", w.calls)
	}
}

func TestWriteResponseRefusesWhatCannotBeWritten(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		exts     []handshake.Extension
		header   http.Header
		want     error
	}{
		{"protocol with space", "my awesome-protocol", nil, nil, handshake.ErrInvalidProtocol},
		{"extension name with comma", "", []handshake.Extension{{Name: "a,b"}}, nil, handshake.ErrBadExtensions},
		{"header value with CRLF", "", nil, http.Header{"X-A": {"1\r\nX-Evil: 2"}}, handshake.ErrInvalidHeader},
		{"header name with colon", "", nil, http.Header{"X:A": {"1"}}, handshake.ErrInvalidHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := handshake.WriteResponse(&w, rfcKey, tt.protocol, tt.exts, tt.header)
			if !errors.Is(err, tt.want) {
				t.Errorf("WriteResponse error = %v, want %v", err, tt.want)
			}
			if w.calls != 0 {
				t.Errorf("WriteResponse wrote despite the error")
			}
		})
	}
}

// countingWriter counts Write calls.
type countingWriter struct {
	calls int
	bytes.Buffer
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}
