package handshake

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// ParseURI parses raw as a WebSocket URI (RFC 6455 section 3).
//
// The scheme may be ws or wss, or http or https, which become ws and wss;
// it is matched case-insensitively. A host is required and a port, if
// given, must be in 1-65535. A fragment is an error, even an empty one,
// because RFC 6455 forbids fragments in WebSocket URIs ('#' must be
// escaped as %23). An empty path becomes "/"; the query is kept. Errors
// wrap [ErrBadURI].
func ParseURI(raw string) (*url.URL, error) {
	if strings.Contains(raw, "#") {
		return nil, fmt.Errorf("%w: %q has a fragment", ErrBadURI, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURI, err)
	}
	// url.Parse has already lowered the scheme.
	switch u.Scheme {
	case "ws", "wss":
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("%w: %q: scheme must be ws or wss, not %q", ErrBadURI, raw, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %q has no host", ErrBadURI, raw)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: %q: port %q out of range", ErrBadURI, raw, p)
		}
	}
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	}
	return u, nil
}

// defaultPort returns the port a WebSocket (or HTTP) scheme implies.
func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "wss", "https":
		return "443"
	default:
		return "80"
	}
}

// hostHeader returns the Host field for u: the host, with the port only
// when it is not the scheme's default, and without an IPv6 zone, which
// means nothing to the server (RFC 6874 section 4).
func hostHeader(u *url.URL) string {
	host := u.Hostname()
	if i := strings.IndexByte(host, '%'); i >= 0 && strings.Contains(host, ":") {
		host = host[:i]
	}
	port := u.Port()
	if port == defaultPort(u.Scheme) {
		port = ""
	}
	if port != "" {
		return net.JoinHostPort(host, port)
	}
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}
