package conn

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/wsactor/wsactor/handshake"
)

// AcceptOptions is what a server answers a client's handshake with: the
// seed's accept options.
type AcceptOptions struct {
	// Header is the prototype of the response headers (Set-Cookie and the
	// like); it cannot override the handshake's own.
	Header http.Header
	// Protocols are the subprotocols the server speaks, in order of
	// preference: the first of them that the client offered is chosen.
	Protocols []string
}

// NewFromRequest checks that r is a WebSocket upgrade request and returns a
// server connection for it in state Connecting. Like lua-http's
// new_from_stream it has no side effects: it writes nothing and hijacks
// nothing, so it is safe to call tentatively. A request that is not a valid
// upgrade (HTTP/1.0, a missing or wrong Upgrade, Connection without
// upgrade, a missing key, a version other than 13, a malformed or duplicate
// subprotocol list) or whose Origin is not allowed returns a
// *handshake.RequestError that says what was wrong and carries the HTTP
// status to answer with; handshake.WriteError writes that answer.
func NewFromRequest(w http.ResponseWriter, r *http.Request, opts ...Option) (*Conn, error) {
	hr, err := handshake.CheckRequest(r)
	if err != nil {
		return nil, err
	}
	c := newConn(false, opts)
	if !c.opts.insecureOrigin {
		if err := handshake.CheckOrigin(r, c.opts.originPatterns); err != nil {
			return nil, err
		}
	}
	c.w, c.hsReq, c.remote = w, hr, r.RemoteAddr
	return c, nil
}

// Accept completes the handshake: it hijacks the HTTP connection (through
// http.ResponseController, so wrapped ResponseWriters work), answers 101
// with the chosen subprotocol and opts.Header, and starts the connection's
// actors. Bytes the client sent right behind its request are kept. The
// answer is bounded by ctx. Accept may be called once.
func (c *Conn) Accept(ctx context.Context, opts AcceptOptions) error {
	if c.client {
		return errors.New("websocket: Accept called on a client connection")
	}
	if err := c.begin(); err != nil {
		return err
	}
	protocol := handshake.SelectProtocol(c.hsReq.Protocols, opts.Protocols)
	nc, brw, err := http.NewResponseController(c.w).Hijack()
	if err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			err = ErrNotHijackable
		}
		http.Error(c.w, "websocket: cannot upgrade this connection", http.StatusInternalServerError)
		err = fmt.Errorf("websocket: accept: %w", err)
		c.finishUnconnected(&CloseError{Code: 1006, Err: err})
		return err
	}
	stop := bindDeadline(ctx, nc)
	exts := c.acceptDeflate()
	err = handshake.WriteResponse(nc, c.hsReq.Key, protocol, exts, opts.Header)
	if !stop() && err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		nc.Close()
		err = fmt.Errorf("websocket: accept: %w", ctxErr(ctx, err))
		c.finishUnconnected(&CloseError{Code: 1006, Err: err})
		return err
	}
	c.accepted = acceptedResponse{accept: handshake.AcceptKey(c.hsReq.Key), protocol: protocol, extra: opts.Header.Clone()}
	if exts != nil {
		c.accepted.extensions = handshake.FormatExtensions(exts)
	}
	// The connection reads the socket itself, not through net/http's
	// buffer, which it leaves behind; bytes the client sent right behind
	// its request may sit there, and are read first.
	early, _ := brw.Reader.Peek(brw.Reader.Buffered())
	c.start(nc, early, protocol)
	// Hold nothing of net/http's: the connection outlives the request.
	c.w, c.hsReq = nil, nil
	return nil
}

// Upgrade answers an upgrade request: NewFromRequest, then Accept bounded by
// r's context. When the request is refused, Upgrade writes the refusal
// (status, headers and message) and returns the error.
func Upgrade(w http.ResponseWriter, r *http.Request, accept AcceptOptions, opts ...Option) (*Conn, error) {
	c, err := NewFromRequest(w, r, opts...)
	if err != nil {
		handshake.WriteError(w, err)
		return nil, err
	}
	if err := c.Accept(r.Context(), accept); err != nil {
		return nil, err
	}
	return c, nil
}

// acceptedResponse is what a server's ResponseHeader rebuilds the headers
// of its handshake response from, rather than keep them as an http.Header
// on every connection.
type acceptedResponse struct {
	accept     string // Sec-WebSocket-Accept
	protocol   string
	extensions string
	extra      http.Header // AcceptOptions.Header
}

// header returns the headers of the handshake response, nil before one
// was sent.
func (a *acceptedResponse) header() http.Header {
	if a.accept == "" {
		return nil
	}
	h := http.Header{
		"Upgrade":              {"websocket"},
		"Connection":           {"Upgrade"},
		"Sec-Websocket-Accept": {a.accept},
	}
	if a.protocol != "" {
		h.Set("Sec-WebSocket-Protocol", a.protocol)
	}
	if a.extensions != "" {
		h.Set("Sec-WebSocket-Extensions", a.extensions)
	}
	for k, v := range a.extra {
		if _, own := h[http.CanonicalHeaderKey(k)]; !own {
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	return h
}
