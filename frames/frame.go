package frames

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
)

// Bits of the first two bytes of a frame header (RFC 6455 section 5.2).
const (
	bitFin    = 0x80
	bitRSV1   = 0x40
	bitRSV2   = 0x20
	bitRSV3   = 0x10
	maskOp    = 0x0F
	bitMasked = 0x80
	maskLen7  = 0x7F

	len16 = 126 // the 7-bit length that announces a 16-bit length
	len64 = 127 // the 7-bit length that announces a 64-bit length

	maxControlPayload = 125
	maxHeaderSize     = 2 + 8 + 4 // the longest header: 64-bit length and a key
)

// Header is a frame header as it is on the wire (RFC 6455 section 5.2).
type Header struct {
	Fin              bool    // the final fragment of a message
	RSV1, RSV2, RSV3 bool    // the reserved bits, for extensions
	Opcode           Opcode  // the frame's opcode, 0 to 15
	Masked           bool    // the payload is masked with Key
	Key              [4]byte // the masking key, meaningful when Masked
	Length           int64   // the payload length in bytes
}

// Frame is a whole frame. Payload is the application data unmasked: when
// encoding, Masked asks for it to be masked with Key on the wire (clients
// must mask, servers must not); when decoding, Masked and Key say what the
// wire carried and Payload has already been unmasked.
type Frame struct {
	Fin              bool    // the final fragment of a message
	RSV1, RSV2, RSV3 bool    // the reserved bits, for extensions
	Opcode           Opcode  // the frame's opcode, 0 to 15
	Masked           bool    // mask the payload with Key on the wire
	Key              [4]byte // the masking key, used when Masked
	Payload          []byte  // the unmasked payload
}

// Header returns the header that encodes f, with the length of f.Payload.
func (f *Frame) Header() Header {
	return Header{
		Fin:    f.Fin,
		RSV1:   f.RSV1,
		RSV2:   f.RSV2,
		RSV3:   f.RSV3,
		Opcode: f.Opcode,
		Masked: f.Masked,
		Key:    f.Key,
		Length: int64(len(f.Payload)),
	}
}

// Validate reports whether h is a well-formed header: an opcode that fits
// in four bits ([ErrInvalidOpcode]), a length that is not negative
// ([ErrLengthOverflow]), and for a control opcode, the FIN bit set
// ([ErrFragmentedControl]) and at most 125 bytes of payload
// ([ErrControlTooLong]). The errors are wrapped with detail.
//
// Reserved opcodes and RSV bits are not errors here: raw frames may carry
// them, and whether they are allowed depends on the extensions a
// connection negotiated, which is for the connection to decide.
func (h Header) Validate() error {
	if h.Opcode <= maskOp && h.Length >= 0 &&
		(!h.Opcode.IsControl() || (h.Fin && h.Length <= maxControlPayload)) {
		return nil
	}
	return h.invalid()
}

// invalid returns the error, with detail, for a header that Validate found
// malformed; the well-formed path never reaches the formatting.
func (h Header) invalid() error {
	switch {
	case h.Opcode > maskOp:
		return fmt.Errorf("%w: %d", ErrInvalidOpcode, h.Opcode)
	case h.Length < 0:
		return fmt.Errorf("%w: length %d", ErrLengthOverflow, h.Length)
	case !h.Fin:
		return fmt.Errorf("%w: %v frame without FIN", ErrFragmentedControl, h.Opcode)
	}
	return fmt.Errorf("%w: %v frame of %d bytes", ErrControlTooLong, h.Opcode, h.Length)
}

// HeaderSize returns the number of bytes [AppendHeader] writes for a
// header with the given payload length and masking: 2, plus 2 or 8 for a
// length over 125 or over 65535, plus 4 for a masking key.
func HeaderSize(length int64, masked bool) int {
	n := 2 + extendedLengthSize(length)
	if masked {
		n += 4
	}
	return n
}

// extendedLengthSize returns the number of length bytes that follow the
// first two bytes of a header, in the minimal encoding RFC 6455 requires.
// A negative length, which Validate rejects, takes the 64-bit form.
func extendedLengthSize(length int64) int {
	switch {
	case length >= 0 && length <= maxControlPayload:
		return 0
	case length >= 0 && length <= math.MaxUint16:
		return 2
	}
	return 8
}

// AppendHeader appends the wire encoding of h to dst and returns the
// extended slice. The length takes the minimal encoding: 7 bits up to 125,
// 16 bits up to 65535, 64 bits above.
//
// AppendHeader is the hot path of encoding and does not validate h: call
// [Header.Validate] first for a header that may be malformed. An opcode
// over 15 is truncated to its low four bits, and a negative length is
// written as its two's complement; neither can be read back.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Opcode) & maskOp
	if h.Fin {
		b0 |= bitFin
	}
	if h.RSV1 {
		b0 |= bitRSV1
	}
	if h.RSV2 {
		b0 |= bitRSV2
	}
	if h.RSV3 {
		b0 |= bitRSV3
	}
	var b1 byte
	if h.Masked {
		b1 = bitMasked
	}
	switch extendedLengthSize(h.Length) {
	case 0:
		dst = append(dst, b0, b1|byte(h.Length))
	case 2:
		dst = append(dst, b0, b1|len16)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Length))
	default:
		dst = append(dst, b0, b1|len64)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Key[:]...)
	}
	return dst
}

// AppendFrame appends the wire encoding of f to dst and returns the
// extended slice. It is lua-http's build_frame: the header is validated
// (see [Header.Validate]) and on an error dst is returned unchanged. When
// f.Masked is set the payload is masked with f.Key in dst; f.Payload itself
// is never modified.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	h := f.Header()
	if err := h.Validate(); err != nil {
		return dst, err
	}
	dst = AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, f.Payload...)
	if f.Masked {
		Mask(f.Key, 0, dst[start:])
	}
	return dst, nil
}

// WriteFrame writes the wire encoding of f to w, as [AppendFrame] does,
// and leaves it buffered: the caller decides when to flush, so that several
// frames can share one write to the network. On a validation error nothing
// is written.
//
// A masked payload is masked piece by piece inside w's buffer, so that
// WriteFrame allocates nothing and never modifies f.Payload.
func WriteFrame(w *bufio.Writer, f Frame) error {
	h := f.Header()
	if err := h.Validate(); err != nil {
		return err
	}
	if err := writeHeader(w, h); err != nil {
		return err
	}
	if !f.Masked {
		_, err := w.Write(f.Payload)
		return err
	}
	p, pos := f.Payload, 0
	for len(p) > 0 {
		if w.Available() == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
		}
		buf := w.AvailableBuffer()
		n := min(cap(buf), len(p))
		buf = append(buf, p[:n]...)
		pos = Mask(f.Key, pos, buf)
		if _, err := w.Write(buf); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// writeHeader encodes h straight into w's buffer, flushing first if the
// buffer has too little room left, so that nothing escapes to the heap.
func writeHeader(w *bufio.Writer, h Header) error {
	n := HeaderSize(h.Length, h.Masked)
	if w.Available() < n {
		if err := w.Flush(); err != nil {
			return err
		}
	}
	if w.Available() >= n {
		_, err := w.Write(AppendHeader(w.AvailableBuffer(), h))
		return err
	}
	// A writer whose whole buffer is smaller than a header: go byte by
	// byte, through a copy that stays on the stack.
	var hb [maxHeaderSize]byte
	for _, c := range AppendHeader(hb[:0], h) {
		if err := w.WriteByte(c); err != nil {
			return err
		}
	}
	return nil
}
