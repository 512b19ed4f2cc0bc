//go:build !amd64

package frames

import "encoding/binary"

// maskBlock is the unit maskBlocks works in.
const maskBlock = 32

// maskBlocks XORs b, whose length is a multiple of maskBlock, with k, eight
// bytes of key repeated (byte i of k lands on byte i of each word).
func maskBlocks(b []byte, k uint64) {
	for len(b) >= 32 {
		v := b[:32:32]
		binary.LittleEndian.PutUint64(v[0:], binary.LittleEndian.Uint64(v[0:])^k)
		binary.LittleEndian.PutUint64(v[8:], binary.LittleEndian.Uint64(v[8:])^k)
		binary.LittleEndian.PutUint64(v[16:], binary.LittleEndian.Uint64(v[16:])^k)
		binary.LittleEndian.PutUint64(v[24:], binary.LittleEndian.Uint64(v[24:])^k)
		b = b[32:]
	}
}
