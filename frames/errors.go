package frames

import (
	"errors"
	"strconv"
)

// Errors reported by this package. Functions may wrap them with detail, so
// test for them with [errors.Is].
var (
	// ErrInvalidOpcode reports an opcode that does not fit in the four
	// bits a frame header has for it (a value above 15).
	ErrInvalidOpcode = errors.New("frames: invalid opcode")

	// ErrFragmentedControl reports a control frame (close, ping, pong or a
	// reserved control opcode) without the FIN bit: RFC 6455 section 5.5
	// forbids fragmenting them.
	ErrFragmentedControl = errors.New("frames: fragmented control frame")

	// ErrControlTooLong reports a control frame whose payload is longer
	// than 125 bytes (RFC 6455 section 5.5).
	ErrControlTooLong = errors.New("frames: control frame payload longer than 125 bytes")

	// ErrLengthOverflow reports a payload length that is negative or, on
	// the wire, a 64-bit length with its most significant bit set (RFC 6455
	// section 5.2).
	ErrLengthOverflow = errors.New("frames: payload length overflows 63 bits")

	// ErrPayloadTooLarge reports a frame whose payload is longer than the
	// limit given to [ReadFrame]. ReadFrame returns it inside a
	// [*HeaderError] that carries the frame's header.
	ErrPayloadTooLarge = errors.New("frames: payload too large")

	// ErrCloseReasonTooLong reports a close reason longer than
	// [MaxCloseReason] bytes.
	ErrCloseReasonTooLong = errors.New("frames: close reason longer than 123 bytes")

	// ErrInvalidCloseCode reports a close status code that may not appear in
	// a close frame (see [CloseCode.ValidOnWire]).
	ErrInvalidCloseCode = errors.New("frames: invalid close code")

	// ErrInvalidClosePayload reports a close frame payload of exactly one
	// byte, which cannot hold a status code.
	ErrInvalidClosePayload = errors.New("frames: close payload of one byte")

	// ErrInvalidUTF8 reports text that is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("frames: invalid UTF-8")
)

// HeaderError is an error about a frame whose header was read from the wire
// but whose payload was not. [ReadFrame] returns one for [ErrPayloadTooLarge],
// so that the caller can still see what the peer tried to send (a close
// frame, say, or the opcode of a message that is too big).
type HeaderError struct {
	Header Header // the header as the wire carried it
	Err    error  // the reason, one of this package's sentinel errors
}

// Error describes the error and the frame it is about.
func (e *HeaderError) Error() string {
	return e.Err.Error() + " (" + e.Header.Opcode.String() + " frame with a payload of " +
		strconv.FormatInt(e.Header.Length, 10) + " bytes)"
}

// Unwrap returns e.Err, so that errors.Is(err, ErrPayloadTooLarge) holds.
func (e *HeaderError) Unwrap() error { return e.Err }
