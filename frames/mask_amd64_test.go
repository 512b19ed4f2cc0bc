package frames

import (
	"bytes"
	"os"
	"runtime"
	"strings"
	"testing"
)

// Both kernels, called directly and through Mask with the other switched
// off, agree with the bytewise reference.
func TestMaskKernelsMatchBytewise(t *testing.T) {
	key := [4]byte{0x5c, 0x01, 0xe7, 0x93}
	k := uint64(0x93e7015c93e7015c) // key from byte 0, twice
	for _, n := range []int{0, 128, 256, 384, 1024, 4096 + 128, 65536} {
		if useAVX2 {
			got, want := pattern(n), pattern(n)
			maskBlocksAVX2(got, k)
			maskBytewise(key, 0, want)
			if !bytes.Equal(got, want) {
				t.Errorf("maskBlocksAVX2 of %d bytes differs from the bytewise reference", n)
			}
		}
		got, want := pattern(n), pattern(n)
		maskBlocksSSE2(got, k)
		maskBytewise(key, 0, want)
		if !bytes.Equal(got, want) {
			t.Errorf("maskBlocksSSE2 of %d bytes differs from the bytewise reference", n)
		}
	}
	defer func(was bool) { useAVX2 = was }(useAVX2)
	for _, avx2 := range []bool{false, useAVX2} {
		useAVX2 = avx2
		for _, n := range append(maskLengths, 255, 256, 257, 320, 383, 384, 385) {
			for pos := range 4 {
				got, want := pattern(n), pattern(n)
				Mask(key, pos, got)
				maskBytewise(key, pos, want)
				if !bytes.Equal(got, want) {
					t.Errorf("Mask (AVX2 %v) of %d bytes from offset %d differs from the bytewise reference", avx2, n, pos)
				}
			}
		}
	}
}

// Mask uses AVX2 where Linux says the processor has it.
func TestMaskUsesAVX2WhereThereIsAVX2(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/cpuinfo")
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip(err)
	}
	var flags []string
	for line := range strings.Lines(string(info)) {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(value)
			break
		}
	}
	has := false
	for _, f := range flags {
		has = has || f == "avx2"
	}
	if useAVX2 != has {
		t.Fatalf("useAVX2 = %v, but /proc/cpuinfo lists avx2: %v", useAVX2, has)
	}
}
