package frames

import "strconv"

// Opcode is the four-bit opcode of a frame (RFC 6455 section 5.2), which
// says how to interpret its payload. The type is a byte so that values
// outside the four bits can be represented and rejected with
// [ErrInvalidOpcode].
type Opcode uint8

// The opcodes defined by RFC 6455. Opcodes 0x3 to 0x7 are reserved for
// further data frames and 0xB to 0xF for further control frames.
const (
	OpContinuation Opcode = 0x0 // a continuation of a fragmented message
	OpText         Opcode = 0x1 // the first frame of a text message
	OpBinary       Opcode = 0x2 // the first frame of a binary message
	OpClose        Opcode = 0x8 // a close frame, payload as in section 5.5.1
	OpPing         Opcode = 0x9 // a ping, to be answered by a pong
	OpPong         Opcode = 0xA // a pong, an answer or a one-way keep-alive
)

// IsControl reports whether op is a control opcode, 0x8 to 0xF: close,
// ping, pong or a reserved control opcode. Control frames may not be
// fragmented and carry at most 125 bytes.
func (op Opcode) IsControl() bool { return op >= 0x8 && op <= 0xF }

// IsData reports whether op is one of the data opcodes that RFC 6455
// defines: continuation, text or binary.
func (op Opcode) IsData() bool { return op <= OpBinary }

// IsReserved reports whether op has no meaning in RFC 6455: the reserved
// opcodes 0x3 to 0x7 and 0xB to 0xF, and any value that does not fit in
// four bits. A connection fails when it receives one without an extension
// that defines it.
func (op Opcode) IsReserved() bool {
	return (op >= 0x3 && op <= 0x7) || op >= 0xB
}

// String returns the opcode's name, such as "text" or "ping", or
// "opcode(N)" for an opcode without a name.
func (op Opcode) String() string {
	switch op {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "opcode(" + strconv.Itoa(int(op)) + ")"
}
