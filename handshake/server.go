package handshake

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Request is what a server learns from a valid opening handshake request.
type Request struct {
	// Key is the client's Sec-WebSocket-Key, the argument for WriteResponse.
	Key string
	// Protocols are the subprotocols the client offered, in its order of
	// preference; nil if it offered none.
	Protocols []string
	// Extensions are the extensions the client offered; nil if none.
	Extensions []Extension
	// Origin is the Origin field, "" if the client sent none.
	Origin string
}

// CheckRequest checks that r is a WebSocket opening handshake request (RFC
// 6455 section 4.2.1) and returns what it asks for. It has no side effects:
// it reads only r's method, protocol version and header, so it is safe to
// call tentatively (it is lua-http's new_from_stream).
//
// A request that is not acceptable gives a *[RequestError] carrying the
// status to answer with; the checks run in this order:
//
//   - the method is not GET: [ErrMethod], 405 with Allow: GET;
//   - the request is older than HTTP/1.1, whose upgrade fields must be
//     ignored: [ErrHTTPVersion], 505;
//   - there is no Upgrade field: [ErrMissingUpgrade], 426 with
//     Upgrade: websocket and Connection: Upgrade;
//   - Upgrade does not list websocket (in any case): [ErrNotWebSocket], 400;
//   - there is no Connection field: [ErrMissingConnection], 400;
//   - Connection does not list upgrade (in any case):
//     [ErrConnectionNoUpgrade], 400;
//   - there is no Sec-WebSocket-Key: [ErrMissingKey], 400;
//   - the key is not the base64 encoding of 16 bytes, or appears twice:
//     [ErrBadKey], 400;
//   - Sec-WebSocket-Version is missing or not 13: [ErrVersion], 426 with
//     Sec-WebSocket-Version: 13 (RFC 6455 section 4.4);
//   - Sec-WebSocket-Protocol is not a list of distinct tokens:
//     [ErrInvalidProtocol] or [ErrDuplicateProtocol], 400;
//   - Sec-WebSocket-Extensions is malformed: [ErrBadExtensions], 400.
//
// CheckRequest does not look at Origin; see [CheckOrigin].
func CheckRequest(r *http.Request) (*Request, error) {
	if r == nil {
		return nil, &RequestError{Status: http.StatusBadRequest, Err: errors.New("websocket: no request")}
	}
	h := r.Header
	if r.Method != http.MethodGet && r.Method != "" { // "" means GET in net/http
		return nil, refuse(http.StatusMethodNotAllowed, fields("Allow", http.MethodGet),
			fmt.Errorf("%w: got %q", ErrMethod, r.Method))
	}
	if !r.ProtoAtLeast(1, 1) {
		return nil, refuse(http.StatusHTTPVersionNotSupported, nil,
			fmt.Errorf("%w: got %s", ErrHTTPVersion, protoName(r)))
	}
	if len(headerList(h, "Upgrade")) == 0 {
		return nil, refuse(http.StatusUpgradeRequired,
			fields("Upgrade", "websocket", "Connection", "Upgrade"), ErrMissingUpgrade)
	}
	if !headerHasToken(h, "Upgrade", "websocket") {
		return nil, refuse(http.StatusBadRequest, nil,
			fmt.Errorf("%w: got %q", ErrNotWebSocket, h.Values("Upgrade")))
	}
	if len(headerList(h, "Connection")) == 0 {
		return nil, refuse(http.StatusBadRequest, nil, ErrMissingConnection)
	}
	if !headerHasToken(h, "Connection", "upgrade") {
		return nil, refuse(http.StatusBadRequest, nil,
			fmt.Errorf("%w: got %q", ErrConnectionNoUpgrade, h.Values("Connection")))
	}
	keys := h.Values("Sec-WebSocket-Key")
	if len(keys) == 0 {
		return nil, refuse(http.StatusBadRequest, nil, ErrMissingKey)
	}
	if len(keys) > 1 || !validKey(strings.Trim(keys[0], " \t")) {
		return nil, refuse(http.StatusBadRequest, nil, fmt.Errorf("%w: got %q", ErrBadKey, keys))
	}
	if v := h.Values("Sec-WebSocket-Version"); len(v) != 1 || strings.Trim(v[0], " \t") != Version {
		got := "none"
		if len(v) > 0 {
			got = fmt.Sprintf("%q", v)
		}
		return nil, refuse(http.StatusUpgradeRequired, fields("Sec-WebSocket-Version", Version),
			fmt.Errorf("%w: got %s, want %s", ErrVersion, got, Version))
	}
	protocols, err := ParseProtocols(h)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, nil, err)
	}
	exts, err := ParseExtensions(h)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, nil, err)
	}
	return &Request{
		Key:        strings.Trim(keys[0], " \t"),
		Protocols:  protocols,
		Extensions: exts,
		Origin:     h.Get("Origin"),
	}, nil
}

// refuse builds the RequestError for a refused request.
func refuse(status int, h http.Header, err error) *RequestError {
	return &RequestError{Status: status, Header: h, Err: err}
}

// fields returns a header holding the given name and value pairs.
func fields(kv ...string) http.Header {
	h := make(http.Header, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// protoName returns r's protocol version for an error message.
func protoName(r *http.Request) string {
	if r.Proto != "" {
		return r.Proto
	}
	return fmt.Sprintf("HTTP/%d.%d", r.ProtoMajor, r.ProtoMinor)
}

// WriteError answers a refused opening handshake on w: for a
// *[RequestError] (found with errors.As) its status, its header fields and
// its message as plain text; for any other error, status 400 and the
// error's message.
func WriteError(w http.ResponseWriter, err error) {
	status, msg := http.StatusBadRequest, "websocket: bad handshake"
	if err != nil {
		msg = err.Error()
	}
	var re *RequestError
	if errors.As(err, &re) {
		if re.Status >= 400 && re.Status <= 599 {
			status = re.Status
		}
		for k, vs := range re.Header {
			w.Header().Del(k)
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	http.Error(w, msg, status)
}

// WriteResponse writes the server's acceptance of an opening handshake to
// w in a single Write call:
//
//	HTTP/1.1 101 Switching Protocols
//	Upgrade: websocket
//	Connection: Upgrade
//	Sec-WebSocket-Accept: AcceptKey(key)
//	Sec-WebSocket-Protocol: protocol               (if not "")
//	Sec-WebSocket-Extensions: accepted extensions  (if any)
//	the fields of header, in key order
//
// and the blank line that ends the header. header is the prototype of the
// response header (lua-http's accept option headers); its entries for the
// fields above are ignored. A protocol that is not a token, an extension
// that cannot be written or a bad header field is an error wrapping
// [ErrInvalidProtocol], [ErrBadExtensions] or [ErrInvalidHeader], and
// nothing is written.
func WriteResponse(w io.Writer, key, protocol string, extensions []Extension, header http.Header) error {
	if protocol != "" && !isToken(protocol) {
		return fmt.Errorf("%w: %q", ErrInvalidProtocol, protocol)
	}
	if err := checkExtensions(extensions); err != nil {
		return err
	}
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"...)
	b = appendField(b, "Sec-WebSocket-Accept", AcceptKey(key))
	if protocol != "" {
		b = appendField(b, "Sec-WebSocket-Protocol", protocol)
	}
	if len(extensions) > 0 {
		b = append(b, "Sec-WebSocket-Extensions: "...)
		b = appendExtensions(b, extensions)
		b = append(b, "\r\n"...)
	}
	b, err := appendExtra(b, header, serverOwn)
	if err != nil {
		return err
	}
	b = append(b, "\r\n"...)
	_, err = w.Write(b)
	return err
}
