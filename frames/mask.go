package frames

import "encoding/binary"

// Mask XORs b in place with the masking key, as RFC 6455 section 5.3
// describes, starting at byte pos of the key (pos is taken modulo 4). It
// returns the key offset for the byte that follows b, (pos+len(b)) mod 4,
// so that a payload can be masked in pieces:
//
//	pos := 0
//	for _, chunk := range chunks {
//		pos = Mask(key, pos, chunk)
//	}
//
// Masking is its own inverse: masking twice with the same key and offset
// restores the data. Mask works a machine word at a time, and on amd64
// 128 bytes at a time with AVX2 instructions (64 with SSE2 on processors
// without AVX2).
func Mask(key [4]byte, pos int, b []byte) int {
	pos &= 3
	next := (pos + len(b)) & 3
	if len(b) < 8 {
		for i := range b {
			b[i] ^= key[(pos+i)&3]
		}
		return next
	}

	// The key rotated so that its byte pos comes first, repeated twice
	// to fill a word. Byte i of the word lands on byte i of b, because
	// the loads and stores below are little-endian.
	k := uint64(key[pos]) | uint64(key[(pos+1)&3])<<8 |
		uint64(key[(pos+2)&3])<<16 | uint64(key[(pos+3)&3])<<24
	k |= k << 32

	if n := len(b) &^ (maskBlock - 1); n > 0 {
		maskBlocks(b[:n], k)
		b = b[n:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	// Whole words keep the key aligned, so the tail starts at key[pos].
	for i := range b {
		b[i] ^= byte(k >> (8 * i))
	}
	return next
}
