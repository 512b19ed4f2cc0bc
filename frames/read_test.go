package frames

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strconv"
	"testing"
)

func TestReadHeaderReturnsEOFBeforeFirstByte(t *testing.T) {
	if _, err := ReadHeader(bufio.NewReader(bytes.NewReader(nil))); err != io.EOF {
		t.Fatalf("ReadHeader on an empty stream = %v, want io.EOF", err)
	}
	if _, err := ReadFrame(bufio.NewReader(bytes.NewReader(nil)), 0); err != io.EOF {
		t.Fatalf("ReadFrame on an empty stream = %v, want io.EOF", err)
	}
}

func TestReadHeaderCutAnywhereIsUnexpectedEOF(t *testing.T) {
	headers := [][]byte{
		unhex(t, "81 85 37 fa 21 3d"),                      // masked, 7-bit length
		unhex(t, "82 fe 01 00 37 fa 21 3d"),                // masked, 16-bit length
		unhex(t, "82 ff 00 00 00 00 00 01 00 00 01020304"), // masked, 64-bit length
		unhex(t, "82 7f 00 00 00 00 00 01 00 00"),          // unmasked, 64-bit length
	}
	for _, hdr := range headers {
		for cut := 1; cut < len(hdr); cut++ {
			r := bufio.NewReader(bytes.NewReader(hdr[:cut]))
			if _, err := ReadHeader(r); err != io.ErrUnexpectedEOF {
				t.Errorf("ReadHeader(% x) = %v, want io.ErrUnexpectedEOF", hdr[:cut], err)
			}
			r = bufio.NewReader(bytes.NewReader(hdr[:cut]))
			if _, err := ReadFrame(r, 0); err != io.ErrUnexpectedEOF {
				t.Errorf("ReadFrame(% x) = %v, want io.ErrUnexpectedEOF", hdr[:cut], err)
			}
		}
	}
}

func TestReadFrameTruncatedPayloadIsUnexpectedEOF(t *testing.T) {
	wire, err := AppendFrame(nil, Frame{Fin: true, Opcode: OpText, Masked: true, Key: rfcKey, Payload: []byte("Hello")})
	if err != nil {
		t.Fatal(err)
	}
	for cut := HeaderSize(5, true); cut < len(wire); cut++ {
		f, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire[:cut])), 0)
		if err != io.ErrUnexpectedEOF {
			t.Errorf("ReadFrame of %d of %d bytes = %v, want io.ErrUnexpectedEOF", cut, len(wire), err)
		}
		if !reflect.DeepEqual(f, Frame{}) {
			t.Errorf("ReadFrame of %d of %d bytes returned half a frame: %+v", cut, len(wire), f)
		}
	}
}

func TestReadHeaderRejectsLengthWithTopBitSet(t *testing.T) {
	wire := unhex(t, "82 7f 80 00 00 00 00 00 00 05 0102030405")
	if _, err := ReadHeader(bufio.NewReader(bytes.NewReader(wire))); !errors.Is(err, ErrLengthOverflow) {
		t.Errorf("ReadHeader = %v, want ErrLengthOverflow", err)
	}
	if _, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0); !errors.Is(err, ErrLengthOverflow) {
		t.Errorf("ReadFrame = %v, want ErrLengthOverflow", err)
	}
}

func TestReadHeaderAcceptsLongerLengthEncodings(t *testing.T) {
	// RFC 6455 asks senders for the minimal encoding; a reader that is
	// liberal in this loses nothing, and the length is still exact.
	wire := unhex(t, "82 7f 00 00 00 00 00 00 00 03 61 62 63")
	f, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0)
	if err != nil || string(f.Payload) != "abc" {
		t.Fatalf("ReadFrame = %q, %v; want \"abc\"", f.Payload, err)
	}
}

// stingyReader hands out the header and fails the test if anything more is
// asked of it, which a ReadFrame that read the payload would do.
type stingyReader struct {
	t      *testing.T
	header []byte
}

func (s *stingyReader) Read(p []byte) (int, error) {
	if len(s.header) == 0 {
		s.t.Error("ReadFrame read past the header of a frame over the limit")
		return 0, io.EOF
	}
	n := copy(p, s.header)
	s.header = s.header[n:]
	return n, nil
}

func TestReadFrameRefusesPayloadOverLimitWithoutReadingIt(t *testing.T) {
	hdr := unhex(t, "82 ff 00 00 00 00 00 10 00 01 37 fa 21 3d") // 1 MiB + 1, masked
	r := bufio.NewReader(&stingyReader{t: t, header: hdr})
	_, err := ReadFrame(r, 1<<20)
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("ReadFrame = %v, want ErrPayloadTooLarge", err)
	}
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("ReadFrame error %T is not a *HeaderError", err)
	}
	want := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 1<<20 + 1}
	if he.Header != want {
		t.Errorf("HeaderError.Header = %+v, want %+v", he.Header, want)
	}
}

func TestReadFrameRefusesPayloadOverLimitWithoutAllocatingIt(t *testing.T) {
	wire := append(unhex(t, "82 7e 01 00"), pattern(256)...)
	br := bytes.NewReader(wire)
	r := bufio.NewReader(br)
	allocs := testing.AllocsPerRun(100, func() {
		br.Reset(wire)
		r.Reset(br)
		if _, err := ReadFrame(r, 255); !errors.Is(err, ErrPayloadTooLarge) {
			t.Fatalf("ReadFrame = %v, want ErrPayloadTooLarge", err)
		}
	})
	if allocs != 1 { // the *HeaderError, and no payload
		t.Errorf("ReadFrame over the limit allocated %v times, want 1 (the error)", allocs)
	}
}

func TestReadFrameLeavesRefusedPayloadUnread(t *testing.T) {
	wire := append(unhex(t, "82 03"), "abc"...)
	r := bufio.NewReader(bytes.NewReader(wire))
	if _, err := ReadFrame(r, 2); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("ReadFrame = %v, want ErrPayloadTooLarge", err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "abc" {
		t.Fatalf("after refusing the frame, the stream holds %q, want the payload", rest)
	}
}

func TestReadFrameAcceptsPayloadAtLimit(t *testing.T) {
	wire := append(unhex(t, "82 03"), "abc"...)
	for _, limit := range []int64{0, -1, 3, 4} {
		f, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), limit)
		if err != nil || string(f.Payload) != "abc" {
			t.Errorf("ReadFrame(limit %d) = %q, %v; want \"abc\"", limit, f.Payload, err)
		}
	}
}

// A peer announcing a huge frame and sending a few bytes must not make the
// reader allocate what it announced, nor panic trying.
func TestReadFrameAllocatesAsPayloadArrivesForHugeClaims(t *testing.T) {
	// The claim is 1 TiB, or 1 GiB where an int has 32 bits and a larger
	// claim is refused as too large before anything is read.
	claim := uint64(1) << 40
	if strconv.IntSize == 32 {
		claim = 1 << 30
	}
	wire := binary.BigEndian.AppendUint64([]byte{0x82, 0x7f}, claim)
	wire = append(wire, pattern(3<<20)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0)
	runtime.ReadMemStats(&after)
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("ReadFrame = %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("ReadFrame allocated %d bytes for 3 MiB of a frame that claims %d bytes", got, claim)
	}
}

func TestReadFrameReadsPayloadsLargerThanFirstAllocation(t *testing.T) {
	for _, n := range []int{eagerPayload, eagerPayload + 1, 2*eagerPayload + 3, 5*eagerPayload + 7} {
		f := Frame{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Payload: pattern(n)}
		wire, err := AppendFrame(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0)
		if err != nil {
			t.Fatalf("ReadFrame(%d bytes): %v", n, err)
		}
		if !bytes.Equal(got.Payload, f.Payload) {
			t.Errorf("%d-byte payload came back different", n)
		}
	}
}

// script is a reader that returns its steps in turn: data, or an error.
type script struct{ steps []any }

func (s *script) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	if err, ok := step.(error); ok {
		return 0, err
	}
	return copy(p, step.([]byte)), nil
}

var errTimeout = errors.New("i/o timeout")

func TestReadHeaderConsumesNothingOnReadError(t *testing.T) {
	wire := unhex(t, "81 85 37 fa 21 3d 7f 9f 4d 51 58")
	r := bufio.NewReader(&script{steps: []any{wire[:1], errTimeout, wire[1:4], errTimeout, wire[4:]}})
	for range 2 {
		if _, err := ReadFrame(r, 0); err != errTimeout {
			t.Fatalf("ReadFrame = %v, want the reader's error", err)
		}
	}
	f, err := ReadFrame(r, 0)
	if err != nil || string(f.Payload) != "Hello" {
		t.Fatalf("ReadFrame after the errors = %q, %v; want \"Hello\"", f.Payload, err)
	}
}

func TestReadFrameReadsConsecutiveFrames(t *testing.T) {
	var wire []byte
	var want []Frame
	for i, op := range []Opcode{OpText, OpPing, OpContinuation, OpClose} {
		f := Frame{Fin: op != OpText, Opcode: op, Payload: pattern(i * 40)}
		if i == 0 {
			f.Payload = nil
		}
		want = append(want, f)
		var err error
		if wire, err = AppendFrame(wire, f); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(bytes.NewReader(wire))
	for i, w := range want {
		got, err := ReadFrame(r, 0)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Fatalf("frame %d = %+v, %v; want %+v", i, got, err, w)
		}
	}
	if _, err := ReadFrame(r, 0); err != io.EOF {
		t.Fatalf("after the last frame ReadFrame = %v, want io.EOF", err)
	}
}

func TestReadFrameReturnsReservedAndMalformedFramesAsOnTheWire(t *testing.T) {
	// A fragmented ping with RSV2 and 126 bytes: well formed bytes, a
	// malformed frame. ReadFrame hands it over; Validate says what is wrong.
	wire := append(unhex(t, "29 7e 00 7e"), pattern(126)...)
	f, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0)
	if err != nil {
		t.Fatalf("ReadFrame: %v", err)
	}
	if f.Fin || !f.RSV2 || f.Opcode != OpPing || len(f.Payload) != 126 {
		t.Fatalf("ReadFrame = %+v", f)
	}
	if err := f.Header().Validate(); !errors.Is(err, ErrFragmentedControl) {
		t.Fatalf("Validate = %v, want ErrFragmentedControl", err)
	}
}

func TestDecodingHeadersAllocatesNothing(t *testing.T) {
	wire := unhex(t, "82 ff 00 00 00 00 00 10 00 01 37 fa 21 3d")
	br := bytes.NewReader(wire)
	r := bufio.NewReader(br)
	allocs := testing.AllocsPerRun(100, func() {
		br.Reset(wire)
		r.Reset(br)
		if _, err := ReadHeader(r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadHeader allocated %v times per call", allocs)
	}
}

func TestHeaderErrorMessageNamesTheFrame(t *testing.T) {
	err := &HeaderError{Header: Header{Opcode: OpBinary, Length: 2000}, Err: ErrPayloadTooLarge}
	want := "frames: payload too large (binary frame with a payload of 2000 bytes)"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
