package supervisor

import (
	"crypto/tls"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// Retryable reports whether a Client dials again after err, the error that
// ended a dial or a connection. It is what a Client uses unless
// ClientOptions.Retry says otherwise.
//
// It returns false for what a new attempt would meet again:
//
//   - an error wrapping ErrStop (the handler is done for good);
//   - a handshake refused with a 1xx, 3xx or 4xx status (redirects are not
//     followed; 401, 403 and 404 mean the request is wrong), except 408
//     Request Timeout and 429 Too Many Requests;
//   - a server that did not answer as a WebSocket server (a wrong Upgrade,
//     Connection or Sec-WebSocket-Accept, a subprotocol or extension that
//     was not offered, a header block over the limit);
//   - a URI or subprotocol list the client cannot use, or a server
//     certificate that does not verify;
//   - a connection closed with a code that says the client broke a rule of
//     the server: 1002 Protocol Error, 1003 Unsupported Data, 1007 Invalid
//     Payload, 1008 Policy Violation, 1009 Message Too Big, 1010 Mandatory
//     Extension.
//
// Everything else is retried: network errors and timeouts, 5xx, 408 and
// 429 refusals, connections closed with 1000, 1001 Going Away, 1005 (no
// code), 1006 (dropped), 1011 Internal Error, 1012 Service Restart, 1013
// Try Again Later, 1014 Bad Gateway or an application code (3000-4999), and
// any other error or panic of the handler. A nil err is retried too.
func Retryable(err error) bool {
	if err == nil {
		return true
	}
	if errors.Is(err, ErrStop) {
		return false
	}
	var se *handshake.StatusError
	if errors.As(err, &se) {
		return se.StatusCode >= 500 || se.StatusCode == http.StatusRequestTimeout ||
			se.StatusCode == http.StatusTooManyRequests
	}
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case frames.CloseProtocolError, frames.CloseUnsupportedData, frames.CloseInvalidPayload,
			frames.ClosePolicyViolation, frames.CloseMessageTooBig, frames.CloseMandatoryExtension:
			return false
		}
		// A connection that never opened (Code 1006) carries its dial
		// error: look at it as well.
	}
	var cv *tls.CertificateVerificationError
	for _, permanent := range []error{
		handshake.ErrBadUpgrade, handshake.ErrBadConnection, handshake.ErrBadAccept,
		handshake.ErrUnexpectedProtocol, handshake.ErrUnexpectedExtension, handshake.ErrHeaderTooLarge,
		handshake.ErrBadURI, handshake.ErrInvalidProtocol, handshake.ErrDuplicateProtocol,
	} {
		if errors.Is(err, permanent) {
			return false
		}
	}
	return !errors.As(err, &cv)
}

// retryAfter returns the wait that a 503 or 429 refusal asks for in its
// Retry-After header (seconds or an HTTP date), or 0.
func retryAfter(err error, now time.Time) time.Duration {
	var se *handshake.StatusError
	if !errors.As(err, &se) ||
		se.StatusCode != http.StatusServiceUnavailable && se.StatusCode != http.StatusTooManyRequests {
		return 0
	}
	v := se.Header.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
