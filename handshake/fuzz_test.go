package handshake_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func FuzzCheckRequest(f *testing.F) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	f.Add(crlf(validRequest))
	f.Add(crlf(strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: a, b\nSec-WebSocket-Extensions: x; y=\"1\"\nOrigin: null\n\n", 1)))
	f.Add(crlf(strings.Replace(validRequest, "HTTP/1.1", "HTTP/1.0", 1)))
	f.Add(crlf(strings.Replace(validRequest, "Version: 13", "Version: 8", 1)))
	f.Add("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: \r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return
		}
		req, err := handshake.CheckRequest(r)
		if err != nil {
			var re *handshake.RequestError
			if !errors.As(err, &re) || re.Status < 400 || re.Status > 599 {
				t.Fatalf("CheckRequest error %v is not a RequestError with a 4xx/5xx status", err)
			}
			return
		}
		// What CheckRequest accepts, WriteResponse can answer.
		if err := handshake.WriteResponse(&bytes.Buffer{}, req.Key, handshake.SelectProtocol(req.Protocols, req.Protocols), req.Extensions, nil); err != nil {
			t.Fatalf("WriteResponse for an accepted request: %v", err)
		}
		_ = handshake.CheckOrigin(r, []string{"*.example.com"})
	})
}

func FuzzReadResponse(f *testing.F) {
	f.Add(response101 + helloFrame)
	f.Add("HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\n\r\ngo away")
	f.Add("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n0\r\n\r\n")
	f.Add("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + rfcAccept +
		"\r\nSec-WebSocket-Protocol: chat\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		br := bufio.NewReaderSize(strings.NewReader(raw), 16)
		resp, err := handshake.ReadResponse(br, 1024)
		if err != nil {
			return
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			// Nothing after the header may have been consumed.
			rest, _ := io.ReadAll(br)
			if !strings.HasSuffix(raw, string(rest)) || !strings.HasSuffix(raw[:len(raw)-len(rest)], "\n") {
				t.Fatalf("reader holds %q, not the tail of the input", rest)
			}
		}
		cr := &handshake.ClientRequest{
			Key:        rfcKey,
			Protocols:  []string{"chat"},
			Extensions: []handshake.Extension{{Name: "permessage-deflate"}},
		}
		res, err := cr.Verify(resp)
		if err == nil && (res.Protocol != "" && res.Protocol != "chat") {
			t.Fatalf("Verify accepted protocol %q", res.Protocol)
		}
	})
}

func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"permessage-deflate; client_max_window_bits=10, x",
		`a; b="c", d ; e`,
		", ,a",
		`a; b="\"`,
		"a;;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		exts, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {line}})
		if err != nil {
			if !errors.Is(err, handshake.ErrBadExtensions) {
				t.Fatalf("error %v does not wrap ErrBadExtensions", err)
			}
			return
		}
		// What parses, formats and parses back the same.
		formatted := handshake.FormatExtensions(exts)
		again, err := handshake.ParseExtensions(http.Header{"Sec-Websocket-Extensions": {formatted}})
		if err != nil || !reflect.DeepEqual(again, exts) {
			t.Fatalf("%q parsed to %+v, formatted to %q, parsed again to %+v, %v", line, exts, formatted, again, err)
		}
	})
}

func FuzzClientRequestWrite(f *testing.F) {
	for _, s := range []string{
		"ws://example.com/chat?x=1",
		"wss://user:pa%20ss@[::1]:9000/a%2Fb",
		"http://example.com:80",
		"HTTPS://h/#frag",
	} {
		f.Add(s, "chat")
	}
	f.Fuzz(func(t *testing.T, raw, protocol string) {
		u, err := handshake.ParseURI(raw)
		if err != nil {
			return
		}
		cr := &handshake.ClientRequest{URL: u, Key: rfcKey, Protocols: []string{protocol}}
		var buf bytes.Buffer
		if err := cr.Write(&buf); err != nil {
			if buf.Len() != 0 {
				t.Fatalf("Write failed with %v after writing %q", err, buf.String())
			}
			return
		}
		// Whatever Write accepts, a server reads as a valid handshake.
		r, err := http.ReadRequest(bufio.NewReader(&buf))
		if err != nil {
			t.Fatalf("http.ReadRequest of %q: %v", buf.String(), err)
		}
		req, err := handshake.CheckRequest(r)
		if err != nil {
			t.Fatalf("CheckRequest of what Write wrote for %q: %v", raw, err)
		}
		if len(req.Protocols) != 1 || req.Protocols[0] != protocol {
			t.Fatalf("protocols = %q, want [%q]", req.Protocols, protocol)
		}
		if buf.Len() != 0 {
			t.Fatalf("%d bytes after the request", buf.Len())
		}
	})
}
