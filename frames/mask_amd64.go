package frames

// maskBlock is the unit maskBlocks works in.
const maskBlock = 64

// maskBlocks XORs b, whose length is a multiple of maskBlock, with k, eight
// bytes of key repeated (byte i of k lands on byte i of each word). It is
// written in assembly with SSE2, which every amd64 processor has: four
// 16-byte registers a round.
//
//go:noescape
func maskBlocks(b []byte, k uint64)
