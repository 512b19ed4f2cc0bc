// Package handshake implements the opening handshake of the WebSocket
// protocol (RFC 6455, section 4) for both ends of a connection.
//
// It is the layer between HTTP and the frame codec in package frames: a
// client builds and writes its upgrade request with [ClientRequest], reads
// the server's answer with [ReadResponse] and checks it with
// [ClientRequest.Verify]; a server checks an incoming *http.Request with
// [CheckRequest] (and, for browsers, [CheckOrigin]), answers a refusal with
// [WriteError] and an acceptance with [WriteResponse]. Subprotocols are
// validated with [CheckProtocols] and chosen with [SelectProtocol];
// extensions are parsed and formatted with [ParseExtensions] and
// [FormatExtensions], and permessage-deflate (RFC 7692) is negotiated with
// [DeflateOffer] on the client, [AcceptDeflate] on the server and
// [VerifyDeflate] on the client again.
//
// The package starts no goroutines and has no I/O policy: it reads from and
// writes to what it is given, once, and leaves deadlines, dialing, hijacking
// and everything after the handshake to package conn. The behaviour follows
// lua-http's http.websocket: CheckRequest is that module's
// new_from_stream (it has no side effects, so it is safe to call
// tentatively) and SelectProtocol is the choice made by its accept.
//
// Every error can be examined with [errors.Is] against the package's
// sentinel errors. A refused server-side request is a *[RequestError]
// carrying the HTTP status and headers to answer with; a refused client
// handshake (any status other than 101) is a *[StatusError] carrying the
// server's status, headers and the start of its body.
//
// Decisions where RFC 6455 leaves room:
//   - Header lists (Upgrade, Connection, Sec-WebSocket-Protocol,
//     Sec-WebSocket-Extensions) are read across all lines of the field, and
//     empty list elements are ignored, as RFC 7230 section 7 asks.
//   - Subprotocols are compared case-sensitively, extension names
//     case-insensitively.
//   - permessage-deflate never uses an LZ77 window under 32 KiB to
//     compress, since Go's compress/flate has none: a client never offers
//     client_max_window_bits and refuses a response that asks for less
//     than 15; a server declines an offer whose server_max_window_bits is
//     under 15 (and takes the next offer, if any). Both inflate any
//     window the peer compresses with.
//   - The quoted-string form of an extension parameter must unquote to a
//     token (RFC 6455 section 9.1); anything else is ErrBadExtensions.
//   - Extra headers given to [ClientRequest.Write] or [WriteResponse] never
//     replace the fields the handshake writes itself; such entries are
//     skipped.
//   - A user name and password in a client URL are sent as HTTP Basic
//     authorization, as net/http does, unless the extra headers carry an
//     Authorization field of their own.
package handshake
