package conn

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

func TestClientKeepsBytesSentBehindThe101(t *testing.T) {
	url := rawServer(t, serverFrame(frames.OpText, "right behind"), func(nc net.Conn, br *bufio.Reader) {
		io.Copy(io.Discard, br)
	})
	c, err := Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseContext(context.Background(), 0, "")
	if m := mustReceive(t, c); m.String() != "right behind" {
		t.Fatalf("got %q", m.Data)
	}
}

// upgradeServer runs Upgrade with opts for every request and sends each
// connection on the returned channel.
func upgradeServer(t *testing.T, opts ...Option) (*httptest.Server, chan *Conn) {
	conns := make(chan *Conn, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Upgrade(w, r, AcceptOptions{}, opts...); err == nil {
			conns <- c
		}
	}))
	t.Cleanup(ts.Close)
	return ts, conns
}

func TestServerKeepsBytesSentBehindTheRequest(t *testing.T) {
	ts, conns := upgradeServer(t)
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	frame, _ := frames.AppendFrame(nil, frames.Frame{Fin: true, Opcode: frames.OpText, Masked: true, Key: [4]byte{1, 2, 3, 4}, Payload: []byte("eager")})
	nc.Write(append([]byte(req), frame...)) // one write: the frame rides with the request
	s := <-conns
	defer func() { s.CloseContext(context.Background(), 0, ""); <-s.Done() }()
	if m := mustReceive(t, s); m.String() != "eager" {
		t.Fatalf("got %q", m.Data)
	}
}

func TestNewFromRequestHasNoSideEffects(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header = http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
		"Sec-Websocket-Version": {"13"},
	}
	w := httptest.NewRecorder()
	c, err := NewFromRequest(w, r)
	if err != nil {
		t.Fatal(err)
	}
	if w.Body.Len() != 0 || len(w.Header()) != 0 || w.Code != 200 || w.Flushed {
		t.Fatalf("NewFromRequest wrote to the response: code %d, headers %v, body %q", w.Code, w.Header(), w.Body)
	}
	if c.State() != Connecting {
		t.Fatal(c.State())
	}
	// A recorder cannot be hijacked: Accept says so clearly.
	if err := c.Accept(testCtx(t), AcceptOptions{}); !errors.Is(err, ErrNotHijackable) {
		t.Fatalf("Accept on a recorder = %v, want ErrNotHijackable", err)
	}
	if err := c.Accept(testCtx(t), AcceptOptions{}); err == nil {
		t.Fatal("second Accept succeeded")
	}
}

func TestUpgradeAnswersRefusalsWithTheirStatus(t *testing.T) {
	ts, _ := upgradeServer(t)
	cases := []struct {
		name    string
		header  map[string]string
		proto10 bool
		status  int
	}{
		{"plain GET", nil, false, http.StatusUpgradeRequired},
		{"HTTP/1.0", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13"}, true, http.StatusHTTPVersionNotSupported},
		{"no key", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}, false, http.StatusBadRequest},
		{"version 8", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "8"}, false, http.StatusUpgradeRequired},
		{"bad protocol", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "invalid@protocol"}, false, http.StatusBadRequest},
		{"cross origin", map[string]string{"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13", "Origin": "https://evil.example"}, false, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			proto := "HTTP/1.1"
			if tc.proto10 {
				proto = "HTTP/1.0"
			}
			req := "GET / " + proto + "\r\nHost: " + ts.Listener.Addr().String() + "\r\n"
			for k, v := range tc.header {
				req += k + ": " + v + "\r\n"
			}
			nc.Write([]byte(req + "\r\n"))
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.name == "version 8" && resp.Header.Get("Sec-WebSocket-Version") != "13" {
				t.Fatalf("426 does not name version 13: %v", resp.Header)
			}
		})
	}
}

func TestOriginPatternsAllowNamedOrigins(t *testing.T) {
	ts, conns := upgradeServer(t, WithOriginPatterns("*.example.com"))
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	c, err := Dial(testCtx(t), url, WithHeader(http.Header{"Origin": {"https://app.example.com"}}))
	if err != nil {
		t.Fatalf("allowed origin refused: %v", err)
	}
	s := <-conns
	c.Close(0, "")
	<-s.Done()
	_, err = Dial(testCtx(t), url, WithHeader(http.Header{"Origin": {"https://evil.example"}}))
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("cross origin: %v, want a 403 StatusError", err)
	}
}

func TestRefusedHandshakeCarriesStatusAndBody(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "go away", http.StatusForbidden)
	}))
	defer ts.Close()
	_, err := Dial(testCtx(t), "ws"+strings.TrimPrefix(ts.URL, "http"))
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != 403 || !strings.Contains(string(se.Body), "go away") {
		t.Fatalf("Dial = %v, want a StatusError 403 with the body", err)
	}
}

func TestHandshakeEndsWithItsContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close() // accept, then say nothing
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = Dial(ctx, "ws://"+ln.Addr().String()+"/")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Dial took %v with a 100ms context", d)
	}
}

func TestNewFromURIRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		uri       string
		protocols []string
	}{
		{"ftp://example.com/", nil},
		{"ws://example.com/#frag", nil},
		{"ws://example.com/", []string{""}},
		{"ws://example.com/", []string{"invalid@protocol"}},
		{"ws://example.com/", []string{"foo", "foo"}},
	} {
		if _, err := NewFromURI(tc.uri, tc.protocols); err == nil {
			t.Errorf("NewFromURI(%q, %q) succeeded", tc.uri, tc.protocols)
		}
	}
	for _, uri := range []string{"ws://h/", "wss://h/", "http://h/", "https://h/"} {
		if _, err := NewFromURI(uri, nil); err != nil {
			t.Errorf("NewFromURI(%q): %v", uri, err)
		}
	}
}

func TestConnectTwiceIsAnError(t *testing.T) {
	ts, conns := upgradeServer(t)
	c, err := NewFromURI("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	s := <-conns
	if err := c.Connect(testCtx(t)); !errors.Is(err, ErrAlreadyConnected) {
		t.Fatalf("second Connect = %v", err)
	}
	c.Close(0, "")
	<-s.Done()
}

func TestSecureConnection(t *testing.T) {
	conns := make(chan *Conn, 1)
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Upgrade(w, r, AcceptOptions{}); err == nil {
			conns <- c
		}
	}))
	defer ts.Close()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	c, err := Dial(testCtx(t), "wss"+strings.TrimPrefix(ts.URL, "https"), WithTLSConfig(&tls.Config{RootCAs: pool}))
	if err != nil {
		t.Fatal(err)
	}
	s := <-conns
	c.SendText(testCtx(t), "over TLS")
	if m := mustReceive(t, s); m.String() != "over TLS" {
		t.Fatalf("got %q", m.Data)
	}
	c.Close(0, "")
	<-s.Done()
}

func TestClientThroughHTTPProxy(t *testing.T) {
	ts, conns := upgradeServer(t)
	var tunnels atomic.Int32
	var auth atomic.Value
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		auth.Store(r.Header.Get("Proxy-Authorization"))
		up, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		down, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer down.Close()
		down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
		tunnels.Add(1)
		go func() { io.Copy(up, brw); up.(*net.TCPConn).CloseWrite() }()
		io.Copy(down, up)
	}))
	defer proxy.Close()
	proxyURL, _ := url.Parse(proxy.URL)
	proxyURL.User = url.UserPassword("user", "secret")
	c, err := Dial(testCtx(t), "ws"+strings.TrimPrefix(ts.URL, "http"), WithProxy(http.ProxyURL(proxyURL)))
	if err != nil {
		t.Fatal(err)
	}
	s := <-conns
	c.SendText(testCtx(t), "through the tunnel")
	if m := mustReceive(t, s); m.String() != "through the tunnel" {
		t.Fatalf("got %q", m.Data)
	}
	c.Close(0, "")
	<-s.Done()
	if tunnels.Load() != 1 {
		t.Fatalf("%d tunnels", tunnels.Load())
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:secret")); auth.Load() != want {
		t.Fatalf("Proxy-Authorization %q, want %q", auth.Load(), want)
	}
}
