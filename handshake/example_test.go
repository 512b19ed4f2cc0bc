package handshake_test

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/wsactor/wsactor/handshake"
)

func ExampleAcceptKey() {
	// The sample handshake of RFC 6455 section 1.3.
	fmt.Println(handshake.AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="))
	// Output: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleSelectProtocol() {
	offered := []string{"foo", "my-awesome-protocol", "bar"} // the client's list
	supported := []string{"my awesome-protocol", "foo"}      // the server's, in its preference
	fmt.Printf("%q\n", handshake.SelectProtocol(offered, supported))
	fmt.Printf("%q\n", handshake.SelectProtocol(offered, []string{"baz"}))
	// Output:
	// "foo"
	// ""
}

func ExampleClientRequest_Write() {
	u, err := handshake.ParseURI("ws://server.example.com/chat")
	if err != nil {
		fmt.Println(err)
		return
	}
	req := &handshake.ClientRequest{
		URL:       u,
		Key:       "dGhlIHNhbXBsZSBub25jZQ==", // use handshake.NewKey() in real code
		Protocols: []string{"chat", "superchat"},
		Header:    http.Header{"Origin": {"http://example.com"}},
	}
	var b strings.Builder
	if err := req.Write(&b); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// GET /chat HTTP/1.1
	// Host: server.example.com
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==
	// Sec-WebSocket-Version: 13
	// Sec-WebSocket-Protocol: chat, superchat
	// Origin: http://example.com
}

func ExampleClientRequest_Verify() {
	req := &handshake.ClientRequest{Key: "dGhlIHNhbXBsZSBub25jZQ==", Protocols: []string{"chat"}}
	// What a server answered; in real code br wraps the connection and
	// keeps whatever frames follow the header.
	br := bufio.NewReader(strings.NewReader("HTTP/1.1 101 Switching Protocols\r\n" +
		"Upgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
		"Sec-WebSocket-Protocol: chat\r\n\r\n"))
	resp, err := handshake.ReadResponse(br, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := req.Verify(resp)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("protocol:", res.Protocol)
	// Output: protocol: chat
}

func ExampleCheckRequest() {
	r := httptest.NewRequest("GET", "/chat", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	r.Header.Set("Sec-WebSocket-Version", "8")

	_, err := handshake.CheckRequest(r)
	fmt.Println(err)

	w := httptest.NewRecorder()
	handshake.WriteError(w, err)
	fmt.Println(w.Code, w.Header().Get("Sec-WebSocket-Version"))

	r.Header.Set("Sec-WebSocket-Version", "13")
	req, err := handshake.CheckRequest(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	// After hijacking the connection, a server answers with:
	if err := handshake.WriteResponse(crlfToLF{}, req.Key, "", nil, nil); err != nil {
		fmt.Println(err)
	}
	// Output:
	// websocket: bad handshake: unsupported Sec-WebSocket-Version: got ["8"], want 13
	// 426 13
	// HTTP/1.1 101 Switching Protocols
	// Upgrade: websocket
	// Connection: Upgrade
	// Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
}

func ExampleCheckOrigin() {
	r := httptest.NewRequest("GET", "http://example.com/chat", nil)
	r.Header.Set("Origin", "https://app.example.org")
	fmt.Println(handshake.CheckOrigin(r, nil))
	fmt.Println(handshake.CheckOrigin(r, []string{"*.example.org"}))
	// Output:
	// websocket: bad handshake: origin not allowed: "https://app.example.org"
	// <nil>
}

// crlfToLF writes to standard output with CRLF line ends shown as LF, so
// that the examples' output can be checked.
type crlfToLF struct{}

func (crlfToLF) Write(p []byte) (int, error) {
	_, err := os.Stdout.WriteString(strings.ReplaceAll(string(p), "\r\n", "\n"))
	return len(p), err
}
