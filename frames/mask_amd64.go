package frames

// maskBlock is the unit maskBlocks works in.
const maskBlock = 64

// maskBlocks XORs b, whose length is a multiple of maskBlock, with k, eight
// bytes of key repeated (byte i of k lands on byte i of each word): with
// AVX2, 128 bytes a round, where the processor and the operating system
// support it, and otherwise with SSE2, which every amd64 processor has, 64
// bytes a round.
func maskBlocks(b []byte, k uint64) {
	if useAVX2 && len(b) >= avx2Min {
		n := len(b) &^ 127
		maskBlocksAVX2(b[:n], k)
		b = b[n:]
	}
	maskBlocksSSE2(b, k)
}

// avx2Min is the shortest stretch maskBlocks masks with AVX2: below it
// SSE2 is as fast.
const avx2Min = 256

// useAVX2 says the processor has AVX2 and the operating system saves its
// registers.
var useAVX2 = hasAVX2()

// hasAVX2 asks the processor (CPUID) whether it has AVX2, and whether the
// operating system has enabled the 256-bit registers (OSXSAVE, and XCR0's
// SSE and AVX state bits).
func hasAVX2() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const osxsave, avx = 1 << 27, 1 << 28
	if ecx1&(osxsave|avx) != osxsave|avx || xgetbv()&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}

// maskBlocksSSE2 is maskBlocks with SSE2; len(b) is a multiple of 64.
//
//go:noescape
func maskBlocksSSE2(b []byte, k uint64)

// maskBlocksAVX2 is maskBlocks with AVX2; len(b) is a multiple of 128.
//
//go:noescape
func maskBlocksAVX2(b []byte, k uint64)

func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax uint32)
