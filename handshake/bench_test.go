package handshake_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/handshake"
)

func BenchmarkAcceptKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		handshake.AcceptKey(rfcKey)
	}
}

func BenchmarkNewKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		handshake.NewKey()
	}
}

func BenchmarkCheckRequest(b *testing.B) {
	raw := strings.Replace(validRequest, "\n\n", "\nSec-WebSocket-Protocol: chat, superchat\n"+
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\nOrigin: http://example.com\n\n", 1)
	r := readRequest(b, raw)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handshake.CheckRequest(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientRequestWrite(b *testing.B) {
	u, err := handshake.ParseURI("wss://example.com/chat?room=1")
	if err != nil {
		b.Fatal(err)
	}
	cr := &handshake.ClientRequest{
		URL: u, Key: rfcKey, Protocols: []string{"chat", "superchat"},
		Extensions: []handshake.Extension{{Name: "permessage-deflate", Params: []handshake.Param{{Name: "client_max_window_bits"}}}},
		Header:     http.Header{"Origin": {"https://example.com"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := cr.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteResponse(b *testing.B) {
	exts := []handshake.Extension{{Name: "permessage-deflate", Params: []handshake.Param{{Name: "server_no_context_takeover"}}}}
	b.ReportAllocs()
	for b.Loop() {
		if err := handshake.WriteResponse(io.Discard, rfcKey, "chat", exts, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadResponseAndVerify(b *testing.B) {
	raw := response101 + helloFrame
	cr := &handshake.ClientRequest{Key: rfcKey}
	sr := strings.NewReader(raw)
	br := bufio.NewReader(sr)
	b.SetBytes(int64(len(response101)))
	b.ReportAllocs()
	for b.Loop() {
		sr.Reset(raw)
		br.Reset(sr)
		resp, err := handshake.ReadResponse(br, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cr.Verify(resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseExtensions(b *testing.B) {
	h := http.Header{"Sec-Websocket-Extensions": {`permessage-deflate; client_max_window_bits="10"; server_no_context_takeover, x-custom; a=b`}}
	b.SetBytes(int64(len(h.Get("Sec-WebSocket-Extensions"))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handshake.ParseExtensions(h); err != nil {
			b.Fatal(err)
		}
	}
}
