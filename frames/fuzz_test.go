package frames

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"
)

func FuzzReadFrame(f *testing.F) {
	for _, seed := range []string{
		"81 05 48 65 6c 6c 6f",
		"81 85 37 fa 21 3d 7f 9f 4d 51 58",
		"01 03 48 65 6c 80 02 6c 6f",
		"89 05 48 65 6c 6c 6f",
		"8a 85 37 fa 21 3d 7f 9f 4d 51 58",
		"82 7e 00 05 01 02 03 04 05",          // non-minimal 16-bit length
		"82 7f 00 00 00 00 00 00 00 02 01 02", // non-minimal 64-bit length
		"82 7f 80 00 00 00 00 00 00 00",       // top bit set
		"82 7f 00 00 01 00 00 00 00 00 01",    // huge claim, short stream
		"88 02 03 e8",                         // close 1000
		"09 00",                               // fragmented ping
		"f3 00",                               // RSV bits and a reserved opcode
		"8a fe 00 7e 00 00 00 00",             // masked 126-byte pong, truncated
		"",
		"81",
	} {
		f.Add(unhex(f, seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// ParseHeader agrees with ReadHeader on every input.
		want, werr := ReadHeader(bufio.NewReader(bytes.NewReader(data)))
		h, n, err := ParseHeader(data)
		switch {
		case werr == nil && (h != want || n == 0 || err != nil):
			t.Fatalf("ParseHeader = %+v, %d, %v; ReadHeader = %+v", h, n, err, want)
		case errors.Is(werr, ErrLengthOverflow) != errors.Is(err, ErrLengthOverflow):
			t.Fatalf("ParseHeader error %v, ReadHeader error %v", err, werr)
		case werr != nil && !errors.Is(werr, ErrLengthOverflow) && n != 0:
			t.Fatalf("ParseHeader took %d bytes of a header ReadHeader found cut (%v)", n, werr)
		}

		br := bytes.NewReader(data)
		r := bufio.NewReader(br)
		fr, err := ReadFrame(r, 1<<16)
		if err != nil {
			if !reflect.DeepEqual(fr, Frame{}) {
				t.Fatalf("ReadFrame returned %+v with error %v", fr, err)
			}
			if len(data) >= maxHeaderSize+1<<16 && errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("ReadFrame reported a truncated frame in %d bytes", len(data))
			}
			return
		}
		consumed := len(data) - br.Len() - r.Buffered()
		h = fr.Header()
		hdrLen := consumed - len(fr.Payload)

		// Re-encoding what was read, malformed or not, gives the
		// input back when the input used the minimal length encoding.
		wire := AppendHeader(nil, h)
		start := len(wire)
		wire = append(wire, fr.Payload...)
		if fr.Masked {
			Mask(fr.Key, 0, wire[start:])
		}
		if hdrLen == HeaderSize(h.Length, h.Masked) && !bytes.Equal(wire, data[:consumed]) {
			t.Fatalf("re-encoded % x, read from % x", wire, data[:consumed])
		}

		if h.Validate() != nil {
			if _, err := AppendFrame(nil, fr); err == nil {
				t.Fatal("AppendFrame accepted a frame that Validate refuses")
			}
			return
		}
		enc, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatalf("AppendFrame: %v", err)
		}
		if !bytes.Equal(enc, wire) {
			t.Fatalf("AppendFrame = % x, AppendHeader and Mask give % x", enc, wire)
		}
		back, err := ReadFrame(bufio.NewReader(bytes.NewReader(enc)), 0)
		if err != nil || !reflect.DeepEqual(back, fr) {
			t.Fatalf("round trip: %+v, %v; want %+v", back, err, fr)
		}
	})
}

func FuzzParseClose(f *testing.F) {
	for _, seed := range [][]byte{
		nil, {0x03}, {0x03, 0xe8}, []byte("\x03\xe9going away"), []byte("\x03\xed"),
		[]byte("\x0f\xa0\xff"), []byte("\x03\xe8\xed\xa0\x80"), []byte("\x13\x88x"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		code, reason, err := ParseClose(payload)
		switch {
		case len(payload) == 0:
			if code != CloseNoStatus || reason != "" || err != nil {
				t.Fatalf("ParseClose(empty) = %d, %q, %v", code, reason, err)
			}
			return
		case len(payload) == 1:
			if !errors.Is(err, ErrInvalidClosePayload) {
				t.Fatalf("ParseClose(% x) = %v, want ErrInvalidClosePayload", payload, err)
			}
			return
		case !code.ValidOnWire():
			if !errors.Is(err, ErrInvalidCloseCode) {
				t.Fatalf("ParseClose(% x) = %v, want ErrInvalidCloseCode", payload, err)
			}
			return
		case !utf8.Valid(payload[2:]):
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("ParseClose(% x) = %v, want ErrInvalidUTF8", payload, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ParseClose(% x): %v", payload, err)
		}
		back, err := AppendClose(nil, code, reason)
		if len(reason) > MaxCloseReason {
			if !errors.Is(err, ErrCloseReasonTooLong) {
				t.Fatalf("AppendClose with a %d-byte reason = %v", len(reason), err)
			}
			return
		}
		if err != nil || !bytes.Equal(back, payload) {
			t.Fatalf("AppendClose(ParseClose(% x)) = % x, %v", payload, back, err)
		}
	})
}

func FuzzUTF8Validator(f *testing.F) {
	for _, tt := range utf8Cases {
		f.Add([]byte(tt.in), uint(len(tt.in)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		want := utf8.Valid(data)
		if got := ValidUTF8(data); got != want {
			t.Fatalf("ValidUTF8(% x) = %v, utf8.Valid says %v", data, got, want)
		}
		i := int(split % uint(len(data)+1))
		var v UTF8Validator
		first := v.Write(data[:i])
		second := v.Write(data[i:])
		if first && !utf8.Valid(data[:i]) && !canComplete(tailOfInvalid(data[:i])) {
			t.Fatalf("Write(% x) = true, but no continuation can make it valid", data[:i])
		}
		if !first && second {
			t.Fatal("Write returned true after a failure")
		}
		if got := second && v.Complete(); got != want {
			t.Fatalf("split at %d: valid = %v, utf8.Valid says %v for % x", i, got, want, data)
		}
	})
}

// tailOfInvalid returns the part of p from the start of its last, possibly
// incomplete, sequence: what decides whether p can still be completed when
// everything before it is valid.
func tailOfInvalid(p []byte) []byte {
	for k := len(p) - 1; k >= 0 && k >= len(p)-4; k-- {
		if utf8.RuneStart(p[k]) {
			if utf8.Valid(p[:k]) {
				return p[k:]
			}
			return p // invalid before the tail: cannot be completed
		}
	}
	return p
}
