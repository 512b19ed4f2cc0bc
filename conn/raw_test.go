package conn

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// rawServer answers the handshake by hand, writes extra right behind its
// 101, then gives the socket to serve, and closes it when serve returns.
// It returns the ws:// URL.
func rawServer(t *testing.T, extra []byte, serve func(nc net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer nc.Close()
		resp := fmt.Sprintf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			handshake.AcceptKey(r.Header.Get("Sec-WebSocket-Key")))
		nc.Write(append([]byte(resp), extra...))
		serve(nc, brw.Reader)
	}))
	t.Cleanup(ts.Close)
	return "ws" + strings.TrimPrefix(ts.URL, "http")
}

// serverFrame encodes an unmasked frame, as a server sends it.
func serverFrame(op frames.Opcode, payload string) []byte {
	b, err := frames.AppendFrame(nil, frames.Frame{Fin: true, Opcode: op, Payload: []byte(payload)})
	if err != nil {
		panic(err)
	}
	return b
}

// readFrame reads one frame from a client, failing the test on error.
func readFrame(t *testing.T, br *bufio.Reader) frames.Frame {
	t.Helper()
	f, err := frames.ReadFrame(br, 1<<20)
	if err != nil {
		t.Errorf("reading the client's frame: %v", err)
	}
	return f
}
