package wire

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendFrameEncodesRFCExamples(t *testing.T) {
	rfcKey := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	tests := []struct {
		name    string
		op      byte
		payload []byte
		masked  bool
		want    string // hex of the frame's start
	}{
		{"unmasked text", OpText, []byte("Hello"), false, "81 05 48 65 6c 6c 6f"},
		{"masked text", OpText, []byte("Hello"), true, "81 85 37 fa 21 3d 7f 9f 4d 51 58"},
		{"256 bytes binary", OpBinary, make([]byte, 256), false, "82 7e 01 00"},
		{"64 KiB binary", OpBinary, make([]byte, 65536), false, "82 7f 00 00 00 00 00 01 00 00"},
		{"empty ping", OpPing, nil, false, "89 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AppendFrame(nil, tt.op, tt.payload, tt.masked, rfcKey)
			want := unhex(t, tt.want)
			if !bytes.HasPrefix(got, want) {
				t.Fatalf("frame starts % x, want % x", got[:min(len(got), len(want))], want)
			}
			if len(got) != FrameSize(len(tt.payload), tt.masked) {
				t.Fatalf("frame is %d bytes, FrameSize says %d", len(got), FrameSize(len(tt.payload), tt.masked))
			}
		})
	}
}

func TestMaskIsItsOwnInverseAtEveryLength(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 40 {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 31)
		}
		orig := bytes.Clone(p)
		Mask(key, p)
		for i := range p {
			if p[i] != orig[i]^key[i%4] {
				t.Fatalf("n=%d: byte %d masked to %#x, want %#x", n, i, p[i], orig[i]^key[i%4])
			}
		}
		Mask(key, p)
		if !bytes.Equal(p, orig) {
			t.Fatalf("n=%d: masking twice did not restore the payload", n)
		}
	}
}

func TestParseHeaderWaitsForWholeHeaderAndRejectsBadOnes(t *testing.T) {
	full := AppendFrame(nil, OpBinary, make([]byte, 300), true, [4]byte{9, 9, 9, 9})
	for n := range HeaderSize(300, true) {
		if _, ok, err := parseHeader(full[:n]); ok || err != nil {
			t.Fatalf("%d header bytes: ok=%v err=%v, want incomplete", n, ok, err)
		}
	}
	h, ok, err := parseHeader(full)
	if !ok || err != nil || h.length != 300 || !h.masked || h.key != [4]byte{9, 9, 9, 9} || h.size != 8 {
		t.Fatalf("parseHeader = %+v, %v, %v", h, ok, err)
	}
	for _, bad := range []string{"c2 00", "82 7f 80 00 00 00 00 00 00 00"} {
		if _, _, err := parseHeader(unhex(t, bad)); err == nil {
			t.Errorf("parseHeader(%s) accepted a bad header", bad)
		}
	}
}
