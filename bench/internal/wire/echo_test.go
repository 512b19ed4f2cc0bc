package wire

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func runEcho(t *testing.T, server net.Conn, early []byte) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- Echo(server, early) }()
	return done
}

func TestEchoEchoesFramesAnswersPingsAndEndsWithClose(t *testing.T) {
	client, server := tcpPair(t)
	key := [4]byte{5, 6, 7, 8}
	first := AppendFrame(nil, OpBinary, []byte("early"), true, key)
	done := runEcho(t, server, first)

	var req []byte
	start := len(req)
	req = AppendFrame(req, OpText, []byte("frag-"), true, key)
	req[start] &^= 0x80
	req = AppendFrame(req, OpPing, []byte("p"), true, key)
	req = AppendFrame(req, OpContinuation, []byte("ment"), true, key)
	req = AppendFrame(req, OpClose, []byte{3, 232}, true, key)
	if _, err := client.Write(req); err != nil {
		t.Fatal(err)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	var none [4]byte
	want := AppendFrame(nil, OpBinary, []byte("early"), false, none)
	start = len(want)
	want = AppendFrame(want, OpText, []byte("frag-"), false, none)
	want[start] &^= 0x80
	want = AppendFrame(want, OpPong, []byte("p"), false, none)
	want = AppendFrame(want, OpContinuation, []byte("ment"), false, none)
	want = AppendFrame(want, OpClose, []byte{3, 232}, false, none)
	if !bytes.Equal(got, want) {
		t.Fatalf("echo sent\n% x\nwant\n% x", got, want)
	}
	if err := <-done; err != nil {
		t.Fatalf("Echo = %v after a close, want nil", err)
	}
}

func TestEchoHandlesFramesLargerThanItsBuffer(t *testing.T) {
	client, server := tcpPair(t)
	done := runEcho(t, server, nil)
	payload := make([]byte, 1<<20)
	for i := range payload {
		payload[i] = byte(i)
	}
	go client.Write(AppendFrame(nil, OpBinary, payload, true, [4]byte{1, 2, 3, 4}))
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, FrameSize(len(payload), false))
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[HeaderSize(len(payload), false):], payload) {
		t.Fatal("the echoed 1 MiB payload differs")
	}
	client.Close()
	if err := <-done; err != nil {
		t.Fatalf("Echo = %v after the client closed, want nil", err)
	}
}

func TestEchoRejectsUnmaskedFrames(t *testing.T) {
	client, server := tcpPair(t)
	done := runEcho(t, server, nil)
	client.Write(AppendFrame(nil, OpBinary, []byte("x"), false, [4]byte{}))
	if err := <-done; !errors.Is(err, ErrProtocol) {
		t.Fatalf("Echo = %v, want ErrProtocol", err)
	}
}

func TestGrowDoublesTheBufferAReadFilled(t *testing.T) {
	// A read filled 4 KiB with three 1032-byte frames and the first 1000
	// bytes of a fourth, which are left over.
	frame := AppendFrame(nil, OpBinary, make([]byte, 1024), true, [4]byte{1, 2, 3, 4})
	buf := make([]byte, initialBuffer)
	n := copy(buf, frame[:1000])
	got := grow(buf, n, true)
	if len(got) != 2*initialBuffer {
		t.Fatalf("after a read that filled it, the buffer holds %d bytes, want %d", len(got), 2*initialBuffer)
	}
	if !bytes.Equal(got[:n], frame[:1000]) {
		t.Fatal("growing lost the bytes left over")
	}
	if got := grow(buf, n, false); len(got) != initialBuffer {
		t.Fatalf("after a read that left room, the buffer holds %d bytes, want %d", len(got), initialBuffer)
	}
	if got := grow(make([]byte, maxBuffer), 0, true); len(got) != maxBuffer {
		t.Fatalf("a full buffer of maxBuffer grew to %d bytes", len(got))
	}
	big := make([]byte, 4*maxBuffer)
	if got := grow(big, 10, true); len(got) != len(big) {
		t.Fatalf("a buffer grown for a large frame shrank to %d bytes", len(got))
	}
}

func TestRawEchoSendsBackEveryByte(t *testing.T) {
	client, server := tcpPair(t)
	done := make(chan error, 1)
	go func() { done <- RawEcho(server) }()
	msg := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	go func() {
		client.Write(msg)
		client.(*net.TCPConn).CloseWrite()
	}()
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("raw echo returned %d bytes, want the %d sent", len(got), len(msg))
	}
	if err := <-done; err != nil {
		t.Fatalf("RawEcho = %v, want nil", err)
	}
}

func TestAcceptKeyMatchesRFC(t *testing.T) {
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("AcceptKey = %q", got)
	}
}

func TestHandshakesConnectClientAndServer(t *testing.T) {
	echoed := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nc, early, err := ServerHandshake(w, r)
		if err != nil {
			echoed <- err
			return
		}
		echoed <- Echo(nc, early)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	early, err := ClientHandshake(nc, addr, "/")
	if err != nil {
		t.Fatal(err)
	}
	if len(early) != 0 {
		t.Fatalf("%d unexpected bytes after the handshake", len(early))
	}
	nc.Write(AppendFrame(nil, OpBinary, []byte("hi"), true, [4]byte{1, 1, 1, 1}))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply := make([]byte, 4)
	if _, err := io.ReadFull(nc, reply); err != nil {
		t.Fatal(err)
	}
	if string(reply[2:]) != "hi" {
		t.Fatalf("reply %q", reply)
	}
	nc.Close()
	if err := <-echoed; err != nil {
		t.Fatal(err)
	}
}

func TestClientHandshakeRejectsBadAnswers(t *testing.T) {
	tests := []struct{ name, answer string }{
		{"not 101", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
		{"wrong accept key", "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: nope\r\n\r\n"},
		{"no accept key", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := tcpPair(t)
			go func() {
				buf := make([]byte, 1024)
				server.Read(buf)
				server.Write([]byte(tt.answer))
			}()
			client.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := ClientHandshake(client, "x", "/"); !errors.Is(err, ErrHandshake) {
				t.Fatalf("ClientHandshake = %v, want ErrHandshake", err)
			}
		})
	}
}

func TestServerHandshakeRefusesPlainRequests(t *testing.T) {
	rec := httptest.NewRecorder()
	_, _, err := ServerHandshake(rec, httptest.NewRequest("GET", "/", nil))
	if !errors.Is(err, ErrHandshake) || rec.Code != http.StatusBadRequest {
		t.Fatalf("ServerHandshake = %v with status %d, want ErrHandshake and 400", err, rec.Code)
	}
}
