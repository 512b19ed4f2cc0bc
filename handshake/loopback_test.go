package handshake_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wsactor/wsactor/handshake"
)

// upgradeHandler accepts WebSocket handshakes offering "chat", refuses
// others with WriteError, and sends a text frame right behind its 101.
func upgradeHandler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := handshake.CheckRequest(r)
		if err == nil {
			err = handshake.CheckOrigin(r, nil)
		}
		if err != nil {
			handshake.WriteError(w, err)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		protocol := handshake.SelectProtocol(req.Protocols, []string{"chat"})
		if err := handshake.WriteResponse(brw, req.Key, protocol, nil, http.Header{"X-Server": {"test"}}); err != nil {
			t.Errorf("WriteResponse: %v", err)
			return
		}
		// The frame goes out in the same flush as the header.
		brw.WriteString(helloFrame)
		if err := brw.Flush(); err != nil {
			t.Errorf("Flush: %v", err)
		}
	}
}

// dial opens a loopback connection to srv with a deadline.
func dial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	return c
}

func TestHandshakeOverLoopback(t *testing.T) {
	srv := httptest.NewServer(upgradeHandler(t))
	defer srv.Close()

	u, err := handshake.ParseURI(srv.URL + "/chat")
	if err != nil {
		t.Fatalf("ParseURI(%q): %v", srv.URL, err)
	}
	c := dial(t, srv)
	defer c.Close()
	cr := &handshake.ClientRequest{URL: u, Key: handshake.NewKey(), Protocols: []string{"superchat", "chat"}}
	if err := cr.Write(c); err != nil {
		t.Fatalf("Write: %v", err)
	}
	br := bufio.NewReader(c)
	resp, err := handshake.ReadResponse(br, 0)
	if err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	res, err := cr.Verify(resp)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Protocol != "chat" || res.Header.Get("X-Server") != "test" {
		t.Errorf("Result = %+v, want protocol chat and the server's header", res)
	}
	frame := make([]byte, len(helloFrame))
	if _, err := io.ReadFull(br, frame); err != nil || string(frame) != helloFrame {
		t.Errorf("frame after the handshake = %q, %v; want %q", frame, err, helloFrame)
	}
}

func TestHandshakeRefusalOverLoopback(t *testing.T) {
	srv := httptest.NewServer(upgradeHandler(t))
	defer srv.Close()

	u, err := handshake.ParseURI(srv.URL)
	if err != nil {
		t.Fatalf("ParseURI: %v", err)
	}
	c := dial(t, srv)
	defer c.Close()
	cr := &handshake.ClientRequest{URL: u, Key: handshake.NewKey(), Header: http.Header{"Origin": {"https://evil.example"}}}
	if err := cr.Write(c); err != nil {
		t.Fatalf("Write: %v", err)
	}
	resp, err := handshake.ReadResponse(bufio.NewReader(c), 0)
	if err != nil {
		t.Fatalf("ReadResponse: %v", err)
	}
	_, err = cr.Verify(resp)
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("Verify = %v, want a 403 StatusError", err)
	}
	if want := "websocket: handshake refused: 403 Forbidden: websocket: bad handshake: origin not allowed: \"https://evil.example\""; err.Error() != want {
		t.Errorf("Error() = %q\nwant      %q", err, want)
	}
}
