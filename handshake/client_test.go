package handshake_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

// mustParseURI parses raw with ParseURI or fails the test.
func mustParseURI(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := handshake.ParseURI(raw)
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", raw, err)
	}
	return u
}

func TestClientRequestWritePassesCheckRequest(t *testing.T) {
	cr := &handshake.ClientRequest{
		URL:        mustParseURI(t, "wss://example.com/chat?room=1"),
		Key:        handshake.NewKey(),
		Protocols:  []string{"chat", "superchat"},
		Extensions: []handshake.Extension{{Name: "permessage-deflate", Params: []handshake.Param{{Name: "client_max_window_bits"}}}},
		Header:     http.Header{"Origin": {"https://example.com"}, "Cookie": {"a=b"}},
	}
	var buf bytes.Buffer
	if err := cr.Write(&buf); err != nil {
		t.Fatalf("Write: %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("http.ReadRequest of %q: %v", buf.String(), err)
	}
	if r.RequestURI != "/chat?room=1" || r.Host != "example.com" {
		t.Errorf("request URI %q host %q, want /chat?room=1 and example.com", r.RequestURI, r.Host)
	}
	if r.Header.Get("Cookie") != "a=b" {
		t.Errorf("Cookie = %q, want the extra header", r.Header.Get("Cookie"))
	}
	got, err := handshake.CheckRequest(r)
	if err != nil {
		t.Fatalf("CheckRequest: %v", err)
	}
	want := handshake.Request{Key: cr.Key, Protocols: cr.Protocols, Extensions: cr.Extensions, Origin: "https://example.com"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("CheckRequest = %+v, want %+v", *got, want)
	}
}

func TestClientRequestWriteHostPort(t *testing.T) {
	tests := []struct{ uri, host string }{
		{"ws://example.com:80/", "example.com"},
		{"wss://example.com:443/", "example.com"},
		{"ws://example.com:443/", "example.com:443"},
		{"wss://example.com:80/", "example.com:80"},
		{"ws://example.com:8080/", "example.com:8080"},
		{"http://example.com:80/", "example.com"},
		{"ws://[::1]:80/", "[::1]"},
		{"ws://[::1]:9000/", "[::1]:9000"},
		{"ws://[fe80::1%25eth0]:9000/", "[fe80::1]:9000"},
	}
	for _, tt := range tests {
		cr := &handshake.ClientRequest{URL: mustParseURI(t, tt.uri), Key: rfcKey}
		var buf bytes.Buffer
		if err := cr.Write(&buf); err != nil {
			t.Fatalf("Write for %s: %v", tt.uri, err)
		}
		if want := "\r\nHost: " + tt.host + "\r\n"; !strings.Contains(buf.String(), want) {
			t.Errorf("Write for %s = %q, want it to hold %q", tt.uri, buf.String(), want)
		}
	}
}

func TestClientRequestWriteExactBytes(t *testing.T) {
	cr := &handshake.ClientRequest{
		URL:       mustParseURI(t, "ws://server.example.com/chat"),
		Key:       rfcKey,
		Protocols: []string{"chat", "superchat"},
		Header:    http.Header{"Origin": {"http://example.com"}, "Sec-Websocket-Key": {"override"}, "Host": {"evil"}},
	}
	var w countingWriter
	if err := cr.Write(&w); err != nil {
		t.Fatalf("Write: %v", err)
	}
	want := "GET /chat HTTP/1.1\r\n" +
		"Host: server.example.com\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + rfcKey + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: chat, superchat\r\n" +
		"Origin: http://example.com\r\n\r\n"
	if w.String() != want {
		t.Errorf("Write wrote\n%q\nwant\n%q", w.String(), want)
	}
	if w.calls != 1 {
		t.Errorf("Write made %d Write calls, want 1", w.calls)
	}
}

func TestClientRequestWriteSendsURLUserAsBasicAuth(t *testing.T) {
	cr := &handshake.ClientRequest{URL: mustParseURI(t, "ws://alice:s3cret@example.com/"), Key: rfcKey}
	var buf bytes.Buffer
	if err := cr.Write(&buf); err != nil {
		t.Fatalf("Write: %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	if user, pass, ok := r.BasicAuth(); !ok || user != "alice" || pass != "s3cret" {
		t.Errorf("BasicAuth = %q, %q, %v; want alice, s3cret", user, pass, ok)
	}

	cr.Header = http.Header{"Authorization": {"Bearer t"}}
	buf.Reset()
	if err := cr.Write(&buf); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if n := strings.Count(buf.String(), "Authorization:"); n != 1 || !strings.Contains(buf.String(), "Authorization: Bearer t\r\n") {
		t.Errorf("Write with an Authorization header wrote %q", buf.String())
	}
}

func TestClientRequestWriteRefusesBadInput(t *testing.T) {
	good := func() *handshake.ClientRequest {
		return &handshake.ClientRequest{URL: mustParseURI(t, "ws://example.com/"), Key: rfcKey}
	}
	tests := []struct {
		name   string
		change func(*handshake.ClientRequest)
		want   error
	}{
		{"nil URL", func(r *handshake.ClientRequest) { r.URL = nil }, handshake.ErrBadURI},
		{"ftp URL", func(r *handshake.ClientRequest) { r.URL.Scheme = "ftp" }, handshake.ErrBadURI},
		{"no host", func(r *handshake.ClientRequest) { r.URL.Host = "" }, handshake.ErrBadURI},
		{"host with CRLF", func(r *handshake.ClientRequest) { r.URL.Host = "a\r\nX: y" }, handshake.ErrBadURI},
		{"query with space", func(r *handshake.ClientRequest) { r.URL.RawQuery = "a b" }, handshake.ErrBadURI},
		{"empty key", func(r *handshake.ClientRequest) { r.Key = "" }, handshake.ErrBadKey},
		{"key with CRLF", func(r *handshake.ClientRequest) { r.Key = "dGhlIHNhbXBsZSBub25j\r\nX:" }, handshake.ErrBadKey},
		{"bad protocol", func(r *handshake.ClientRequest) { r.Protocols = []string{"a b"} }, handshake.ErrInvalidProtocol},
		{"duplicate protocol", func(r *handshake.ClientRequest) { r.Protocols = []string{"a", "a"} }, handshake.ErrDuplicateProtocol},
		{"bad extension", func(r *handshake.ClientRequest) {
			r.Extensions = []handshake.Extension{{Name: "x", Params: []handshake.Param{{Name: "v", Value: "a b"}}}}
		}, handshake.ErrBadExtensions},
		{"header with newline", func(r *handshake.ClientRequest) { r.Header = http.Header{"X": {"1\nY: 2"}} }, handshake.ErrInvalidHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.change(r)
			var w countingWriter
			if err := r.Write(&w); !errors.Is(err, tt.want) {
				t.Errorf("Write error = %v, want %v", err, tt.want)
			}
			if w.calls != 0 {
				t.Errorf("Write wrote %q despite the error", w.String())
			}
		})
	}
}

// response builds a 101 response for the RFC key with the given changes.
func response(status int, fields ...string) *http.Response {
	h := http.Header{}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", rfcAccept)
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			h.Del(fields[i])
		} else {
			h.Set(fields[i], fields[i+1])
		}
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: http.NoBody}
}

func TestVerifyRefusesBadResponses(t *testing.T) {
	cr := &handshake.ClientRequest{
		Key:        rfcKey,
		Protocols:  []string{"chat"},
		Extensions: []handshake.Extension{{Name: "permessage-deflate"}},
	}
	tests := []struct {
		name string
		resp *http.Response
		want error
		says string
	}{
		{"missing upgrade", response(101, "Upgrade", ""), handshake.ErrBadUpgrade, "[]"},
		{"wrong upgrade", response(101, "Upgrade", "h2c"), handshake.ErrBadUpgrade, `"h2c"`},
		{"connection without upgrade", response(101, "Connection", "keep-alive"), handshake.ErrBadConnection, `"keep-alive"`},
		{"missing connection", response(101, "Connection", ""), handshake.ErrBadConnection, "[]"},
		{"wrong accept", response(101, "Sec-WebSocket-Accept", "dGhlIHNhbXBsZSBub25jZQ=="), handshake.ErrBadAccept, "dGhlIHNhbXBsZSBub25jZQ=="},
		{"missing accept", response(101, "Sec-WebSocket-Accept", ""), handshake.ErrBadAccept, "[]"},
		{"unexpected extension", response(101, "Sec-WebSocket-Extensions", "x-webkit-deflate-frame"), handshake.ErrUnexpectedExtension, "x-webkit-deflate-frame"},
		{"malformed extension", response(101, "Sec-WebSocket-Extensions", "permessage-deflate;"), handshake.ErrBadExtensions, "permessage-deflate;"},
		{"unexpected protocol", response(101, "Sec-WebSocket-Protocol", "superchat"), handshake.ErrUnexpectedProtocol, "superchat"},
		{"two protocols", response(101, "Sec-WebSocket-Protocol", "chat, chat"), handshake.ErrUnexpectedProtocol, "more than one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := cr.Verify(tt.resp)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Verify error %q does not say what was received (%s)", err, tt.says)
			}
			if !reflect.DeepEqual(res, handshake.Result{}) {
				t.Errorf("Verify returned %+v with the error", res)
			}
		})
	}
}

func TestVerifyProtocolWhenNoneOfferedIsUnexpected(t *testing.T) {
	cr := &handshake.ClientRequest{Key: rfcKey}
	if _, err := cr.Verify(response(101, "Sec-WebSocket-Protocol", "chat")); !errors.Is(err, handshake.ErrUnexpectedProtocol) {
		t.Errorf("Verify = %v, want ErrUnexpectedProtocol", err)
	}
}

func TestVerifyAccepts(t *testing.T) {
	cr := &handshake.ClientRequest{
		Key:        rfcKey,
		Protocols:  []string{"chat", "superchat"},
		Extensions: []handshake.Extension{{Name: "permessage-deflate"}},
	}
	resp := response(101,
		"Sec-WebSocket-Accept", "  "+rfcAccept+"\t",
		"Upgrade", "WebSocket",
		"Connection", "keep-alive, upgrade",
		"Sec-WebSocket-Protocol", "superchat",
		"Sec-WebSocket-Extensions", "Permessage-Deflate; server_max_window_bits=10")
	res, err := cr.Verify(resp)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := handshake.Result{
		Protocol: "superchat",
		Extensions: []handshake.Extension{{Name: "Permessage-Deflate",
			Params: []handshake.Param{{Name: "server_max_window_bits", Value: "10"}}}},
		Header: resp.Header,
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("Verify = %+v, want %+v", res, want)
	}
}

func TestVerifyRefusalIsStatusErrorWithBodyStart(t *testing.T) {
	cr := &handshake.ClientRequest{Key: rfcKey}
	resp := &http.Response{
		StatusCode: 403, Status: "403 Forbidden",
		Header: http.Header{"X-Reason": {"policy"}},
		Body:   io.NopCloser(strings.NewReader("go away\n")),
	}
	_, err := cr.Verify(resp)
	var se *handshake.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("Verify error = %v (%T), want a *StatusError", err, err)
	}
	if se.StatusCode != 403 || se.Status != "403 Forbidden" || string(se.Body) != "go away\n" || se.Header.Get("X-Reason") != "policy" {
		t.Errorf("StatusError = %+v", se)
	}
	if want := "websocket: handshake refused: 403 Forbidden: go away"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestVerifyRefusalKeepsAtMostOneKiBOfBody(t *testing.T) {
	cr := &handshake.ClientRequest{Key: rfcKey}
	resp := &http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader(strings.Repeat("x", 5000)))}
	_, err := cr.Verify(resp)
	var se *handshake.StatusError
	if !errors.As(err, &se) || len(se.Body) != 1024 {
		t.Fatalf("Verify = %v, want a StatusError with 1024 body bytes", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("Error() is %d bytes long, want a short message", len(err.Error()))
	}
}

func TestVerifyNilResponseIsAnError(t *testing.T) {
	cr := &handshake.ClientRequest{Key: rfcKey}
	if _, err := cr.Verify(nil); err == nil {
		t.Error("Verify(nil) = nil error")
	}
}
