package handshake

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors about values given to the package, either by the caller or by the
// peer.
var (
	// ErrBadURI reports a WebSocket URI that cannot be used: a scheme other
	// than ws, wss, http or https, no host, a bad port, or a fragment.
	ErrBadURI = errors.New("websocket: bad URI")
	// ErrInvalidProtocol reports a subprotocol that is not an RFC 2616 token.
	ErrInvalidProtocol = errors.New("websocket: invalid subprotocol")
	// ErrDuplicateProtocol reports a subprotocol listed more than once.
	ErrDuplicateProtocol = errors.New("websocket: duplicate subprotocol")
	// ErrBadExtensions reports a Sec-WebSocket-Extensions value that does not
	// follow the grammar of RFC 6455 section 9.1, or an Extension that cannot
	// be written in it.
	ErrBadExtensions = errors.New("websocket: malformed Sec-WebSocket-Extensions")
	// ErrBadKey reports a Sec-WebSocket-Key that is not the base64 encoding of
	// 16 bytes, or that appears more than once.
	ErrBadKey = errors.New("websocket: bad Sec-WebSocket-Key")
	// ErrInvalidHeader reports an extra header field given to
	// [ClientRequest.Write] or [WriteResponse] whose name is not a token or
	// whose value holds control characters.
	ErrInvalidHeader = errors.New("websocket: invalid header field")
)

// Errors a client sees when it checks the server's response.
var (
	// ErrHeaderTooLarge reports a response header block longer than the
	// limit given to [ReadResponse].
	ErrHeaderTooLarge = errors.New("websocket: response header too large")
	// ErrBadUpgrade reports a 101 response whose Upgrade field is not
	// "websocket".
	ErrBadUpgrade = errors.New("websocket: response Upgrade is not websocket")
	// ErrBadConnection reports a 101 response whose Connection field has no
	// "upgrade" token.
	ErrBadConnection = errors.New("websocket: response Connection has no upgrade token")
	// ErrBadAccept reports a Sec-WebSocket-Accept that does not match the
	// key the client sent.
	ErrBadAccept = errors.New("websocket: wrong Sec-WebSocket-Accept")
	// ErrUnexpectedProtocol reports a server that chose a subprotocol the
	// client did not offer, or more than one.
	ErrUnexpectedProtocol = errors.New("websocket: server chose a subprotocol that was not offered")
	// ErrUnexpectedExtension reports a server that accepted an extension the
	// client did not offer.
	ErrUnexpectedExtension = errors.New("websocket: server accepted an extension that was not offered")
)

// Errors a server sees when it checks a client's request, each carried in a
// *[RequestError] with the status to answer with.
var (
	// ErrMethod reports a request method other than GET.
	ErrMethod = errors.New("websocket: method is not GET")
	// ErrHTTPVersion reports a request older than HTTP/1.1, whose upgrade
	// headers must be ignored.
	ErrHTTPVersion = errors.New("websocket: HTTP version is older than 1.1")
	// ErrMissingUpgrade reports a request without an Upgrade field.
	ErrMissingUpgrade = errors.New("websocket: missing Upgrade header")
	// ErrNotWebSocket reports an Upgrade field that does not name websocket.
	ErrNotWebSocket = errors.New("websocket: Upgrade does not name websocket")
	// ErrMissingConnection reports a request without a Connection field.
	ErrMissingConnection = errors.New("websocket: missing Connection header")
	// ErrConnectionNoUpgrade reports a Connection field without an "upgrade"
	// token.
	ErrConnectionNoUpgrade = errors.New("websocket: Connection has no upgrade token")
	// ErrMissingKey reports a request without a Sec-WebSocket-Key field.
	ErrMissingKey = errors.New("websocket: missing Sec-WebSocket-Key header")
	// ErrVersion reports a Sec-WebSocket-Version that is missing or not 13.
	ErrVersion = errors.New("websocket: unsupported Sec-WebSocket-Version")
	// ErrOriginNotAllowed reports a browser request from an origin the
	// server does not accept.
	ErrOriginNotAllowed = errors.New("websocket: origin not allowed")
)

// RequestError is a server-side refusal of an opening handshake: what was
// wrong with the request and how to answer it. [WriteError] writes it.
type RequestError struct {
	// Status is the HTTP status code to answer with.
	Status int
	// Header holds fields the answer must carry, such as Allow for a 405 or
	// Sec-WebSocket-Version for a 426; it may be nil.
	Header http.Header
	// Err is what was wrong; it wraps one of the package's sentinel errors.
	Err error
}

// Error returns "websocket: bad handshake: " followed by what was wrong.
func (e *RequestError) Error() string {
	what := "request refused"
	if e.Err != nil {
		what = strings.TrimPrefix(e.Err.Error(), "websocket: ")
	}
	return "websocket: bad handshake: " + what
}

// Unwrap returns e.Err, so that errors.Is finds the sentinel.
func (e *RequestError) Unwrap() error { return e.Err }

// StatusError is a client-side refusal of an opening handshake: the server
// answered with a status other than 101 Switching Protocols.
type StatusError struct {
	// StatusCode is the response's status code, such as 403.
	StatusCode int
	// Status is the response's status line text, such as "403 Forbidden".
	Status string
	// Header is the response's header.
	Header http.Header
	// Body is the start of the response body, at most 1 KiB.
	Body []byte
}

// maxErrorBody is how much of a refusal's body StatusError.Error shows.
const maxErrorBody = 200

// Error returns "websocket: handshake refused: " followed by the status and
// the start of the body, whitespace trimmed and control characters
// replaced.
func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = strconv.Itoa(e.StatusCode)
		if text := http.StatusText(e.StatusCode); text != "" {
			status += " " + text
		}
	}
	msg := "websocket: handshake refused: " + status
	if body := printable(e.Body, maxErrorBody); body != "" {
		msg += ": " + body
	}
	return msg
}

// printable returns at most max bytes of b as trimmed, valid UTF-8 with
// control characters replaced by spaces, so that a peer's bytes cannot
// forge log lines.
func printable(b []byte, max int) string {
	cut := false
	if len(b) > max {
		// Back off to a rune boundary so the cut does not leave half a rune.
		n := max
		for i := 0; i < utf8.UTFMax-1 && n > 0 && !utf8.RuneStart(b[n]); i++ {
			n--
		}
		b, cut = b[:n], true
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if cut {
		s += "…"
	}
	return s
}
