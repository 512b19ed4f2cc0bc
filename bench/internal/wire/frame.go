package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Opcodes of RFC 6455 section 5.2 that the benchmark uses.
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// ErrProtocol is wrapped by every error about frames that break RFC 6455
// or the benchmark's expectations (an unexpected size or opcode).
var ErrProtocol = errors.New("wire: protocol error")

// HeaderSize returns the size of the header of a frame with an n-byte
// payload.
func HeaderSize(n int, masked bool) int {
	size := 2
	switch {
	case n > 0xFFFF:
		size += 8
	case n > 125:
		size += 2
	}
	if masked {
		size += 4
	}
	return size
}

// FrameSize returns the size of a whole frame with an n-byte payload.
func FrameSize(n int, masked bool) int { return HeaderSize(n, masked) + n }

// AppendFrame appends a frame with FIN set, opcode op and payload to dst.
// When masked is true the frame is masked with key, as a client sends it.
func AppendFrame(dst []byte, op byte, payload []byte, masked bool, key [4]byte) []byte {
	n := len(payload)
	b0, b1 := 0x80|op, byte(0)
	if masked {
		b1 = 0x80
	}
	switch {
	case n > 0xFFFF:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	case n > 125:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, b0, b1|byte(n))
	}
	if !masked {
		return append(dst, payload...)
	}
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	Mask(key, dst[start:])
	return dst
}

// Mask applies (or removes) the masking of RFC 6455 section 5.3 to p in
// place, p starting at payload offset 0.
func Mask(key [4]byte, p []byte) {
	k := binary.LittleEndian.Uint32(key[:])
	k64 := uint64(k) | uint64(k)<<32
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k64)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}

// header is a decoded frame header.
type header struct {
	fin    bool
	op     byte
	masked bool
	key    [4]byte
	length int64
	size   int // bytes the header took
}

// parseHeader decodes the frame header at the start of p. It returns
// ok == false when p does not yet hold the whole header.
func parseHeader(p []byte) (h header, ok bool, err error) {
	if len(p) < 2 {
		return h, false, nil
	}
	if p[0]&0x70 != 0 {
		return h, false, fmt.Errorf("%w: reserved bits set", ErrProtocol)
	}
	h.fin = p[0]&0x80 != 0
	h.op = p[0] & 0x0F
	h.masked = p[1]&0x80 != 0
	h.size = 2
	switch n := p[1] & 0x7F; n {
	case 126:
		if len(p) < 4 {
			return h, false, nil
		}
		h.length = int64(binary.BigEndian.Uint16(p[2:]))
		h.size = 4
	case 127:
		if len(p) < 10 {
			return h, false, nil
		}
		u := binary.BigEndian.Uint64(p[2:])
		if u>>63 != 0 {
			return h, false, fmt.Errorf("%w: length has its top bit set", ErrProtocol)
		}
		h.length = int64(u)
		h.size = 10
	default:
		h.length = int64(n)
	}
	if h.masked {
		if len(p) < h.size+4 {
			return h, false, nil
		}
		copy(h.key[:], p[h.size:])
		h.size += 4
	}
	return h, true, nil
}
