package wire

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// ErrHandshake is wrapped by every error of a failed opening handshake.
var ErrHandshake = errors.New("wire: handshake failed")

const (
	acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	// clientKey is the nonce of RFC 6455 section 1.3. A benchmark client
	// has no need for a fresh one, and a fixed key keeps dialling cheap.
	clientKey = "dGhlIHNhbXBsZSBub25jZQ=="
)

// AcceptKey returns the Sec-WebSocket-Accept value for a client's key.
func AcceptKey(key string) string {
	sum := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// ClientHandshake sends an upgrade request for path to the server at host
// over nc and reads its answer, which must be 101 with the right accept key.
// It returns the bytes the server sent right behind its answer, which
// belong to the first frames.
func ClientHandshake(nc net.Conn, host, path string) ([]byte, error) {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + clientKey +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	buf := make([]byte, 0, 512)
	for {
		if end := bytes.Index(buf, []byte("\r\n\r\n")); end >= 0 {
			if err := checkResponse(string(buf[:end])); err != nil {
				return nil, err
			}
			return bytes.Clone(buf[end+4:]), nil
		}
		if len(buf) == cap(buf) {
			if len(buf) >= 8<<10 {
				return nil, fmt.Errorf("%w: response header over 8 KiB", ErrHandshake)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
	}
}

// checkResponse checks the status line and the accept key of a response
// header (without its final blank line).
func checkResponse(head string) error {
	lines := strings.Split(head, "\r\n")
	if !strings.HasPrefix(lines[0], "HTTP/1.1 101") {
		return fmt.Errorf("%w: status %q", ErrHandshake, lines[0])
	}
	want := AcceptKey(clientKey)
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "Sec-WebSocket-Accept") {
			if strings.TrimSpace(value) != want {
				return fmt.Errorf("%w: wrong accept key %q", ErrHandshake, value)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: no Sec-WebSocket-Accept", ErrHandshake)
}

// ServerHandshake answers a WebSocket upgrade request with 101 and hands
// over the connection. It returns the connection and the bytes the client
// sent right behind its request. A request that is not an upgrade is
// answered with 400 and an error.
func ServerHandshake(w http.ResponseWriter, r *http.Request) (net.Conn, []byte, error) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if key == "" || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "not a websocket upgrade", http.StatusBadRequest)
		return nil, nil, fmt.Errorf("%w: not an upgrade request", ErrHandshake)
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot upgrade", http.StatusInternalServerError)
		return nil, nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	early, err := buffered(brw.Reader)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		AcceptKey(key) + "\r\n\r\n"
	if _, err := nc.Write([]byte(resp)); err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return nc, early, nil
}

// buffered returns a copy of what br holds without reading more.
func buffered(br *bufio.Reader) ([]byte, error) {
	n := br.Buffered()
	if n == 0 {
		return nil, nil
	}
	p, err := br.Peek(n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return bytes.Clone(p), nil
}
