package frames

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

func TestParseHeaderWantsMoreBytesUntilTheHeaderIsWhole(t *testing.T) {
	headers := [][]byte{
		unhex(t, "81 05"),                                  // unmasked, 7-bit length
		unhex(t, "81 85 37 fa 21 3d"),                      // masked, 7-bit length
		unhex(t, "82 fe 01 00 37 fa 21 3d"),                // masked, 16-bit length
		unhex(t, "82 ff 00 00 00 00 00 01 00 00 01020304"), // masked, 64-bit length
		unhex(t, "82 7f 00 00 00 00 00 01 00 00"),          // unmasked, 64-bit length
	}
	for _, hdr := range headers {
		for cut := range len(hdr) {
			if h, n, err := ParseHeader(hdr[:cut]); n != 0 || err != nil || h != (Header{}) {
				t.Errorf("ParseHeader(% x) = %+v, %d, %v; want more bytes (0, nil)", hdr[:cut], h, n, err)
			}
		}
		want, err := ReadHeader(bufio.NewReader(bytes.NewReader(hdr)))
		if err != nil {
			t.Fatal(err)
		}
		// Bytes after the header (its payload, the next frame) are not its.
		h, n, err := ParseHeader(append(hdr[:len(hdr):len(hdr)], 0xff, 0xff))
		if h != want || n != len(hdr) || err != nil {
			t.Errorf("ParseHeader(% x) = %+v, %d, %v; want %+v, %d, nil", hdr, h, n, err, want, len(hdr))
		}
	}
}

func TestParseHeaderRejectsLengthWithTopBitSet(t *testing.T) {
	wire := unhex(t, "82 7f 80 00 00 00 00 00 00 05 0102030405")
	h, n, err := ParseHeader(wire)
	if !errors.Is(err, ErrLengthOverflow) || n != 10 || h != (Header{}) {
		t.Errorf("ParseHeader = %+v, %d, %v; want the zero Header, 10, ErrLengthOverflow", h, n, err)
	}
}

func TestParseHeaderAllocatesNothing(t *testing.T) {
	wire := unhex(t, "82 ff 00 00 00 00 00 10 00 01 37 fa 21 3d")
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := ParseHeader(wire); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ParseHeader allocated %v times per call", allocs)
	}
}
