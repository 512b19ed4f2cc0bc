package frames

import (
	"bytes"
	"testing"
)

// maskBytewise is the reference: RFC 6455 section 5.3 written out.
func maskBytewise(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)%4]
	}
	return (pos + len(b)) % 4
}

var maskLengths = []int{0, 1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 191, 192, 193, 1000, 4099, 65541}

func TestMaskMatchesBytewiseFromEveryOffset(t *testing.T) {
	key := [4]byte{0x01, 0x23, 0xc4, 0xf8}
	for _, n := range maskLengths {
		for pos := range 4 {
			got, want := pattern(n), pattern(n)
			gotNext := Mask(key, pos, got)
			wantNext := maskBytewise(key, pos, want)
			if !bytes.Equal(got, want) {
				t.Errorf("Mask(len %d, pos %d) differs from the bytewise reference", n, pos)
			}
			if gotNext != wantNext {
				t.Errorf("Mask(len %d, pos %d) = %d, want %d", n, pos, gotNext, wantNext)
			}
		}
	}
}

func TestMaskTakesOffsetModuloFour(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, pos := range []int{4, 5, 6, 7, 1001, -1, -4} {
		got, want := pattern(40), pattern(40)
		if next, wantNext := Mask(key, pos, got), maskBytewise(key, pos&3, want); next != wantNext {
			t.Errorf("Mask(pos %d) returned %d, want %d", pos, next, wantNext)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Mask(pos %d) differs from Mask(pos %d)", pos, pos&3)
		}
	}
}

func TestMaskTwiceRestores(t *testing.T) {
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	for _, n := range maskLengths {
		for pos := range 4 {
			b := pattern(n)
			Mask(key, pos, b)
			if n > 0 && bytes.Equal(b, pattern(n)) {
				t.Fatalf("Mask(len %d) changed nothing", n)
			}
			Mask(key, pos, b)
			if !bytes.Equal(b, pattern(n)) {
				t.Errorf("masking %d bytes twice from offset %d did not restore them", n, pos)
			}
		}
	}
}

func TestMaskInPiecesEqualsMaskWhole(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	const n = 200 // over three 64-byte blocks
	want := pattern(n)
	Mask(key, 0, want)
	for i := 0; i <= n; i++ {
		for j := i; j <= n; j++ {
			got := pattern(n)
			pos := Mask(key, 0, got[:i])
			pos = Mask(key, pos, got[i:j])
			Mask(key, pos, got[j:])
			if !bytes.Equal(got, want) {
				t.Fatalf("masking in pieces [:%d] [%d:%d] [%d:] differs from masking whole", i, i, j, j)
			}
		}
	}
}

func TestMaskAtEveryAlignment(t *testing.T) {
	key := [4]byte{0x9a, 0x0b, 0x77, 0xe1}
	for start := range 16 {
		for _, n := range []int{64, 130, 1029} {
			got, want := pattern(start+n+16), pattern(start+n+16)
			Mask(key, 3, got[start:start+n])
			maskBytewise(key, 3, want[start:start+n])
			if !bytes.Equal(got, want) {
				t.Errorf("Mask of %d bytes from address offset %d differs from the bytewise reference (or touched bytes outside)", n, start)
			}
		}
	}
}

func FuzzMask(f *testing.F) {
	f.Add([]byte("hello, world"), uint32(0x37fa213d), 1)
	f.Add(pattern(300), uint32(0x01020304), 3)
	f.Fuzz(func(t *testing.T, data []byte, k uint32, pos int) {
		key := [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
		got, want := bytes.Clone(data), bytes.Clone(data)
		if next, wantNext := Mask(key, pos, got), maskBytewise(key, pos&3, want); next != wantNext {
			t.Fatalf("Mask returned %d, want %d", next, wantNext)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("Mask differs from the bytewise reference")
		}
	})
}
