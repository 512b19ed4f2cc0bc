package rawpeer

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// acceptGUID is the string RFC 6455 section 1.3 appends to the client's key.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Dial connects to the WebSocket server at rawURL (ws://host:port/path),
// sends the opening handshake's request, written byte for byte here, and
// reads the server's answer, which must be 101 with the right
// Sec-WebSocket-Accept. Extra header fields go into the request as given.
// ctx bounds the whole handshake.
func Dial(ctx context.Context, rawURL string, header http.Header) (*Peer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ws" || u.Host == "" {
		return nil, fmt.Errorf("%w: URL %q is not ws://host:port/path", ErrHandshake, rawURL)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("rawpeer: dial: %w", err)
	}
	p, err := clientHandshake(ctx, nc, u, header)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return p, nil
}

func clientHandshake(ctx context.Context, nc net.Conn, u *url.URL, header http.Header) (*Peer, error) {
	stop, err := bind(ctx, nc.SetDeadline)
	if err != nil {
		return nil, err
	}
	defer stop()
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), u.Host)
	fmt.Fprintf(&b, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		return nil, fmt.Errorf("%w: building the request: %w", ErrHandshake, err)
	}
	if _, err := nc.Write([]byte(b.String())); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("%w: writing the request: %w", ErrHandshake, err))
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("%w: reading the response: %w", ErrHandshake, err))
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("%w: status %s", ErrHandshake, resp.Status)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		return nil, fmt.Errorf("%w: Sec-WebSocket-Accept %q, want %q", ErrHandshake, got, want)
	}
	return &Peer{nc: nc, br: br, client: true, Request: req, Response: resp}, nil
}

// Listener accepts WebSocket clients on a loopback port and answers their
// opening handshake itself.
type Listener struct {
	ln *net.TCPListener
	// Extensions, if not empty, is the Sec-WebSocket-Extensions field the
	// 101 response carries, whatever the client offered.
	Extensions string
}

// Listen returns a Listener on 127.0.0.1 and a port the system chooses.
func Listen() (*Listener, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("rawpeer: listen: %w", err)
	}
	return &Listener{ln: ln}, nil
}

// Addr returns the address the Listener listens on.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// URL returns the ws URL a client dials to reach the Listener.
func (l *Listener) URL() string { return "ws://" + l.ln.Addr().String() + "/" }

// Accept waits for a client, reads its upgrade request and answers it with
// 101 Switching Protocols. A request that is not a WebSocket upgrade (not a
// GET, no Upgrade: websocket, no Sec-WebSocket-Key, a version other than
// 13) is answered with 400 and is an error wrapping ErrHandshake. ctx bounds
// the wait and the handshake.
func (l *Listener) Accept(ctx context.Context) (*Peer, error) {
	stop, err := bind(ctx, l.ln.SetDeadline)
	if err != nil {
		return nil, err
	}
	nc, err := l.ln.Accept()
	stop()
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("rawpeer: accept: %w", err))
	}
	p, err := serverHandshake(ctx, nc, l.Extensions)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return p, nil
}

func serverHandshake(ctx context.Context, nc net.Conn, extensions string) (*Peer, error) {
	stop, err := bind(ctx, nc.SetDeadline)
	if err != nil {
		return nil, err
	}
	defer stop()
	br := bufio.NewReader(nc)
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("%w: reading the request: %w", ErrHandshake, err))
	}
	key := req.Header.Get("Sec-WebSocket-Key")
	switch {
	case req.Method != http.MethodGet,
		!strings.EqualFold(req.Header.Get("Upgrade"), "websocket"),
		key == "",
		req.Header.Get("Sec-WebSocket-Version") != "13":
		nc.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		return nil, fmt.Errorf("%w: not a WebSocket upgrade: %s %s %v", ErrHandshake, req.Method, req.URL, req.Header)
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + acceptKey(key) + "\r\n"
	if extensions != "" {
		resp += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	resp += "\r\n"
	if _, err := nc.Write([]byte(resp)); err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("%w: writing the response: %w", ErrHandshake, err))
	}
	return &Peer{nc: nc, br: br, client: false, Request: req}, nil
}

// Close stops the Listener. Peers it accepted stay open.
func (l *Listener) Close() error { return l.ln.Close() }
