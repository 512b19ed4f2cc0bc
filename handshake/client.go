package handshake

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ClientRequest is a client's opening handshake: what [ClientRequest.Write]
// sends and what [ClientRequest.Verify] checks the server's answer against.
type ClientRequest struct {
	// URL is the WebSocket URI, as returned by ParseURI.
	URL *url.URL
	// Key is the Sec-WebSocket-Key, as returned by NewKey.
	Key string
	// Protocols are the subprotocols offered, in order of preference.
	Protocols []string
	// Extensions are the extensions offered.
	Extensions []Extension
	// Header holds extra request fields such as Origin, Authorization or
	// Cookie. Fields the handshake writes itself (Host, Upgrade,
	// Connection and the Sec-WebSocket-* fields) are ignored here.
	Header http.Header
}

// Result is what a verified opening handshake agreed on.
type Result struct {
	// Protocol is the subprotocol the server chose, "" for none.
	Protocol string
	// Extensions are the extensions the server accepted, with the
	// parameters it answered with.
	Extensions []Extension
	// Header is the server's response header.
	Header http.Header
}

// Write writes the upgrade request to w in a single Write call:
//
//	GET /path?query HTTP/1.1
//	Host: host[:port]
//	Upgrade: websocket
//	Connection: Upgrade
//	Sec-WebSocket-Key: key
//	Sec-WebSocket-Version: 13
//	Sec-WebSocket-Protocol: offered, protocols     (if any)
//	Sec-WebSocket-Extensions: offered, extensions  (if any)
//	extra headers, in key order
//
// The port appears in Host only when it is not the scheme's default. If the
// URL carries a user name and Header has no Authorization, the user
// information is sent as HTTP Basic authorization. Write checks everything
// it writes: a bad URL, key, protocol list, extension or extra field is an
// error wrapping [ErrBadURI], [ErrBadKey], [ErrInvalidProtocol] or
// [ErrDuplicateProtocol], [ErrBadExtensions] or [ErrInvalidHeader], and
// nothing is written.
func (r *ClientRequest) Write(w io.Writer) error {
	target, err := r.check()
	if err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	b = append(b, "GET "...)
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\n"...)
	b = appendField(b, "Host", hostHeader(r.URL))
	b = append(b, "Upgrade: websocket\r\nConnection: Upgrade\r\n"...)
	b = appendField(b, "Sec-WebSocket-Key", r.Key)
	b = appendField(b, "Sec-WebSocket-Version", Version)
	if len(r.Protocols) > 0 {
		b = appendField(b, "Sec-WebSocket-Protocol", strings.Join(r.Protocols, ", "))
	}
	if len(r.Extensions) > 0 {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = appendExtensions(b, r.Extensions)
		b = append(b, "\r\n"...)
	}
	if u := r.URL.User; u != nil && !hasField(r.Header, "Authorization") {
		pass, _ := u.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(u.Username() + ":" + pass))
		b = appendField(b, "Authorization", "Basic "+cred)
	}
	if b, err = appendExtra(b, r.Header, clientOwn); err != nil {
		return err
	}
	b = append(b, "\r\n"...)
	_, err = w.Write(b)
	return err
}

// check validates everything Write would write and returns the request
// target.
func (r *ClientRequest) check() (string, error) {
	u := r.URL
	if u == nil {
		return "", fmt.Errorf("%w: no URL", ErrBadURI)
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "wss", "http", "https":
	default:
		return "", fmt.Errorf("%w: scheme must be ws or wss, not %q", ErrBadURI, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return "", fmt.Errorf("%w: no host", ErrBadURI)
	}
	target := u.RequestURI()
	if !validFieldValue(u.Host) || !validFieldValue(target) || strings.ContainsAny(target, " \t") {
		return "", fmt.Errorf("%w: %q", ErrBadURI, u.String())
	}
	if !validKey(r.Key) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, r.Key)
	}
	if err := CheckProtocols(r.Protocols); err != nil {
		return "", err
	}
	return target, checkExtensions(r.Extensions)
}

// Verify checks resp, the server's answer to r read by [ReadResponse],
// against RFC 6455 section 4.1, in this order:
//
//   - the status is 101, else a *[StatusError] carrying the status, header
//     and the first KiB of the body;
//   - Upgrade is "websocket", in any case, else [ErrBadUpgrade];
//   - Connection lists "upgrade", in any case, else [ErrBadConnection];
//   - Sec-WebSocket-Accept, surrounding whitespace ignored, is
//     AcceptKey(r.Key), else [ErrBadAccept];
//   - every extension accepted was offered, else [ErrUnexpectedExtension]
//     ([ErrBadExtensions] if the field is malformed);
//   - at most one subprotocol was chosen and it was offered, else
//     [ErrUnexpectedProtocol].
//
// Errors wrap the sentinel and say what was received.
func (r *ClientRequest) Verify(resp *http.Response) (Result, error) {
	if resp == nil {
		return Result{}, errors.New("websocket: no handshake response")
	}
	h := resp.Header
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return Result{}, statusError(resp)
	}
	if up := headerList(h, "Upgrade"); len(up) != 1 || !strings.EqualFold(up[0], "websocket") {
		return Result{}, fmt.Errorf("%w: got %q", ErrBadUpgrade, h.Values("Upgrade"))
	}
	if !headerHasToken(h, "Connection", "upgrade") {
		return Result{}, fmt.Errorf("%w: got %q", ErrBadConnection, h.Values("Connection"))
	}
	accept := h.Values("Sec-WebSocket-Accept")
	if len(accept) != 1 || strings.Trim(accept[0], " \t") != AcceptKey(r.Key) {
		return Result{}, fmt.Errorf("%w: got %q, want %q", ErrBadAccept, accept, AcceptKey(r.Key))
	}
	exts, err := ParseExtensions(h)
	if err != nil {
		return Result{}, err
	}
	for _, e := range exts {
		if !r.offered(e.Name) {
			return Result{}, fmt.Errorf("%w: %q", ErrUnexpectedExtension, e.Name)
		}
	}
	res := Result{Extensions: exts, Header: h}
	switch chosen := headerList(h, "Sec-WebSocket-Protocol"); len(chosen) {
	case 0:
	case 1:
		if SelectProtocol(r.Protocols, chosen) == "" {
			return Result{}, fmt.Errorf("%w: %q, offered %q", ErrUnexpectedProtocol, chosen[0], r.Protocols)
		}
		res.Protocol = chosen[0]
	default:
		return Result{}, fmt.Errorf("%w: more than one: %q", ErrUnexpectedProtocol, chosen)
	}
	return res, nil
}

// offered reports whether r offered the extension name, compared
// case-insensitively.
func (r *ClientRequest) offered(name string) bool {
	for _, e := range r.Extensions {
		if strings.EqualFold(e.Name, name) {
			return true
		}
	}
	return false
}

// statusError builds the StatusError for a refused handshake, reading at
// most maxBody bytes of resp.Body.
func statusError(resp *http.Response) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header}
	if resp.Body != nil {
		// The body only explains the refusal; a failure to read it does
		// not change the error.
		e.Body, _ = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	}
	return e
}
