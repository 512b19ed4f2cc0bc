package conn

import (
	"errors"
	"fmt"

	"github.com/wsactor/wsactor/frames"
)

// CloseError tells how a connection ended. Code is the close code: the one
// the peer sent (frames.CloseNoStatus when its close frame carried none),
// the one wsactor failed the connection with (for example
// frames.CloseProtocolError), or frames.CloseAbnormal when the connection
// ended without a closing handshake. Err, when not nil, is the cause: the
// protocol violation or the network error.
type CloseError struct {
	Code   frames.CloseCode
	Reason string
	Err    error
}

func (e *CloseError) Error() string {
	s := fmt.Sprintf("websocket: closed: %d %s", uint16(e.Code), e.Code)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause of the close, if any.
func (e *CloseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrClosed: every CloseError means the
// connection is closed.
func (e *CloseError) Is(target error) bool { return target == ErrClosed }

var (
	// ErrClosed is matched (with errors.Is) by every error that a call on a
	// closed connection returns, including every *CloseError.
	ErrClosed = errors.New("websocket: connection closed")

	// ErrCloseSent is returned by calls that would send a data frame after
	// the connection's close frame was sent.
	ErrCloseSent = fmt.Errorf("%w: close frame already sent", ErrClosed)

	// ErrNotConnected is returned by calls that need an open connection on
	// a Conn that never completed Connect or Accept.
	ErrNotConnected = errors.New("websocket: not connected")

	// ErrAlreadyConnected is returned by a second Connect or Accept.
	ErrAlreadyConnected = errors.New("websocket: already connected")

	// ErrCloseTimeout is the cause in the CloseError of a connection whose
	// peer did not complete the closing handshake within the close timeout.
	ErrCloseTimeout = errors.New("websocket: closing handshake timed out")

	// ErrPeerUnresponsive is the cause in the CloseError of a connection
	// whose peer sent nothing within the keep-alive timeout.
	ErrPeerUnresponsive = errors.New("websocket: peer unresponsive: keep-alive timeout")

	// ErrInvalidMessage is wrapped by the errors for messages that cannot be
	// sent: text that is not UTF-8, a control payload over 125 bytes, an
	// opcode above 15.
	ErrInvalidMessage = errors.New("websocket: invalid message")

	// ErrSendQueueFull is returned by TrySendPrepared when the writer's
	// mailbox is past its bound: the peer is not keeping up.
	ErrSendQueueFull = errors.New("websocket: send queue full")

	// ErrNotHijackable is returned by Accept when the http.ResponseWriter
	// cannot be hijacked (for example an HTTP/2 response).
	ErrNotHijackable = errors.New("websocket: response writer cannot be hijacked")
)

// protocolError is a violation of RFC 6455 by the peer, and the close code
// the connection is failed with.
type protocolError struct {
	code frames.CloseCode
	err  error
}

func (e *protocolError) Error() string { return e.err.Error() }
func (e *protocolError) Unwrap() error { return e.err }

func violation(code frames.CloseCode, format string, args ...any) error {
	return &protocolError{code: code, err: fmt.Errorf("websocket: "+format, args...)}
}

// closeCodeFor is the close code a failure of the connection by err sends.
func closeCodeFor(err error) frames.CloseCode {
	var pe *protocolError
	if errors.As(err, &pe) {
		return pe.code
	}
	return frames.CloseInternalError
}
