package frames

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// eagerPayload is the largest payload ReadFrame allocates in one piece
// before any of it has arrived. Above it the buffer grows as the data comes
// in, so a peer that announces a huge frame and sends little costs little
// memory.
const eagerPayload = 1 << 20

// ReadHeader reads one frame header from r. It returns [io.EOF] if the
// stream ends before the header's first byte and [io.ErrUnexpectedEOF] if
// it ends inside the header. A 64-bit length with its most significant bit
// set is an error wrapping [ErrLengthOverflow]. Any other error is r's.
//
// The header is not validated (see [Header.Validate]), and the length is
// accepted in any encoding, even one longer than needed. ReadHeader
// allocates nothing. It consumes nothing from r unless it returns a header
// or ErrLengthOverflow, so after a read error such as a timeout, the whole
// header is still there to be read again.
func ReadHeader(r *bufio.Reader) (Header, error) {
	b, err := r.Peek(2)
	if len(b) < 2 {
		if err == io.EOF && len(b) == 1 {
			err = io.ErrUnexpectedEOF
		}
		return Header{}, err
	}
	if n := headerLen(b[1]); n > 2 {
		if b, err = r.Peek(n); len(b) < n {
			return Header{}, unexpected(err)
		}
	}
	h, n, err := ParseHeader(b)
	r.Discard(n)
	return h, err
}

// ParseHeader decodes the frame header at the start of b, for a caller
// that does its own buffering (an event loop, say). It returns the header
// and its size in bytes, or n == 0 and a nil error when b holds only the
// beginning of a header: read more and call again. A 64-bit length with its
// most significant bit set is an error wrapping [ErrLengthOverflow], with n
// the size of the offending header.
//
// Like [ReadHeader], ParseHeader does not validate the header, accepts any
// length encoding and allocates nothing.
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return Header{}, 0, nil
	}
	n = headerLen(b[1])
	if len(b) < n {
		return Header{}, 0, nil
	}
	h = Header{
		Fin:    b[0]&bitFin != 0,
		RSV1:   b[0]&bitRSV1 != 0,
		RSV2:   b[0]&bitRSV2 != 0,
		RSV3:   b[0]&bitRSV3 != 0,
		Opcode: Opcode(b[0] & maskOp),
		Masked: b[1]&bitMasked != 0,
	}
	rest := b[2:n]
	switch b[1] & maskLen7 {
	case len16:
		h.Length = int64(binary.BigEndian.Uint16(rest))
		rest = rest[2:]
	case len64:
		l := binary.BigEndian.Uint64(rest)
		if l > math.MaxInt64 {
			return Header{}, n, fmt.Errorf("%w: 64-bit length %#x", ErrLengthOverflow, l)
		}
		h.Length = int64(l)
		rest = rest[8:]
	default:
		h.Length = int64(b[1] & maskLen7)
	}
	if h.Masked {
		copy(h.Key[:], rest)
	}
	return h, n, nil
}

// headerLen returns the size of a header from its second byte: 2, plus
// the extended length, plus the masking key.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & maskLen7 {
	case len16:
		n += 2
	case len64:
		n += 8
	}
	if b1&bitMasked != 0 {
		n += 4
	}
	return n
}

// ReadFrame reads one whole frame from r. It is lua-http's read_frame: it
// reads the header with [ReadHeader], then the payload, which it unmasks in
// place; Masked and Key in the returned frame still say what the wire
// carried. An empty payload is nil.
//
// If maxPayload is positive and the header announces a longer payload,
// ReadFrame returns a [*HeaderError] wrapping [ErrPayloadTooLarge] before it
// allocates or reads any of the payload; the payload is left unread on r.
// A stream that ends inside the frame is [io.ErrUnexpectedEOF]. On any
// error the frame returned is the zero Frame: ReadFrame never returns half
// a frame. After an error other than ErrPayloadTooLarge, r may have been
// left inside a frame, and the stream is of no further use.
//
// ReadFrame does not validate the header: a caller enforcing RFC 6455
// checks f.Header().Validate() and the connection's own rules.
func ReadFrame(r *bufio.Reader, maxPayload int64) (Frame, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return Frame{}, err
	}
	if (maxPayload > 0 && h.Length > maxPayload) || uint64(h.Length) > math.MaxInt {
		return Frame{}, &HeaderError{Header: h, Err: ErrPayloadTooLarge}
	}
	payload, err := readPayload(r, int(h.Length))
	if err != nil {
		return Frame{}, err
	}
	if h.Masked {
		Mask(h.Key, 0, payload)
	}
	return Frame{
		Fin:     h.Fin,
		RSV1:    h.RSV1,
		RSV2:    h.RSV2,
		RSV3:    h.RSV3,
		Opcode:  h.Opcode,
		Masked:  h.Masked,
		Key:     h.Key,
		Payload: payload,
	}, nil
}

// readPayload reads exactly n bytes from r. Up to eagerPayload it allocates
// them at once; above, it starts there and doubles the buffer each time it
// fills, so memory follows the bytes that actually arrive.
func readPayload(r *bufio.Reader, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	p := make([]byte, min(n, eagerPayload))
	got := 0
	for {
		m, err := io.ReadFull(r, p[got:])
		got += m
		if err != nil {
			return nil, unexpected(err)
		}
		if got == n {
			return p, nil
		}
		size := n
		if len(p) <= n/2 {
			size = 2 * len(p)
		}
		p = slices.Grow(p, size-len(p))[:size]
	}
}

// unexpected turns the end of the stream inside a frame into
// io.ErrUnexpectedEOF and leaves other errors alone.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
