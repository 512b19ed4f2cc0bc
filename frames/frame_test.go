package frames

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"
)

var rfcKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// rfcExamples are the frames of RFC 6455 section 5.7, byte for byte.
func rfcExamples(t *testing.T) []struct {
	name  string
	frame Frame
	wire  []byte
} {
	hello := []byte("Hello")
	p256, p64k := pattern(256), pattern(65536)
	return []struct {
		name  string
		frame Frame
		wire  []byte
	}{
		{"unmasked text Hello",
			Frame{Fin: true, Opcode: OpText, Payload: hello},
			unhex(t, "81 05 48 65 6c 6c 6f")},
		{"masked text Hello",
			Frame{Fin: true, Opcode: OpText, Masked: true, Key: rfcKey, Payload: hello},
			unhex(t, "81 85 37 fa 21 3d 7f 9f 4d 51 58")},
		{"first fragment Hel",
			Frame{Opcode: OpText, Payload: []byte("Hel")},
			unhex(t, "01 03 48 65 6c")},
		{"last fragment lo",
			Frame{Fin: true, Opcode: OpContinuation, Payload: []byte("lo")},
			unhex(t, "80 02 6c 6f")},
		{"unmasked ping Hello",
			Frame{Fin: true, Opcode: OpPing, Payload: hello},
			unhex(t, "89 05 48 65 6c 6c 6f")},
		{"masked pong Hello",
			Frame{Fin: true, Opcode: OpPong, Masked: true, Key: rfcKey, Payload: hello},
			unhex(t, "8a 85 37 fa 21 3d 7f 9f 4d 51 58")},
		{"256-byte binary",
			Frame{Fin: true, Opcode: OpBinary, Payload: p256},
			append(unhex(t, "82 7E 0100"), p256...)},
		{"64 KiB binary",
			Frame{Fin: true, Opcode: OpBinary, Payload: p64k},
			append(unhex(t, "82 7F 0000000000010000"), p64k...)},
	}
}

func TestAppendFrameEncodesRFCExamples(t *testing.T) {
	for _, tt := range rfcExamples(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendFrame(nil, tt.frame)
			if err != nil {
				t.Fatalf("AppendFrame: %v", err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Fatalf("AppendFrame = % x\nwant        % x", head(got), head(tt.wire))
			}
		})
	}
}

func TestWriteFrameEncodesRFCExamples(t *testing.T) {
	for _, tt := range rfcExamples(t) {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			if err := WriteFrame(w, tt.frame); err != nil {
				t.Fatalf("WriteFrame: %v", err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), tt.wire) {
				t.Fatalf("WriteFrame wrote % x\nwant         % x", head(out.Bytes()), head(tt.wire))
			}
		})
	}
}

func TestReadFrameDecodesRFCExamples(t *testing.T) {
	for _, tt := range rfcExamples(t) {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReader(bytes.NewReader(tt.wire))
			got, err := ReadFrame(r, 0)
			if err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if !reflect.DeepEqual(got, tt.frame) {
				t.Fatalf("ReadFrame = %+v\nwant       %+v", got, tt.frame)
			}
			if _, err := r.ReadByte(); err != io.EOF {
				t.Fatalf("ReadFrame left bytes behind (err %v)", err)
			}
		})
	}
}

// head shortens a long slice for an error message.
func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		want error
	}{
		{"text", Header{Fin: true, Opcode: OpText, Length: 5}, nil},
		{"unfinished binary", Header{Opcode: OpBinary, Length: 1 << 40}, nil},
		{"largest length", Header{Fin: true, Opcode: OpBinary, Length: math.MaxInt64}, nil},
		{"reserved data opcode with RSV bits", Header{Fin: true, RSV1: true, RSV2: true, RSV3: true, Opcode: 3}, nil},
		{"reserved control opcode", Header{Fin: true, Opcode: 0xF, Length: 125}, nil},
		{"close of 125 bytes", Header{Fin: true, Opcode: OpClose, Length: 125}, nil},
		{"opcode 16", Header{Fin: true, Opcode: 16}, ErrInvalidOpcode},
		{"opcode 255", Header{Fin: true, Opcode: 255}, ErrInvalidOpcode},
		{"negative length", Header{Fin: true, Opcode: OpBinary, Length: -1}, ErrLengthOverflow},
		{"fragmented close", Header{Opcode: OpClose}, ErrFragmentedControl},
		{"fragmented ping", Header{Opcode: OpPing, Length: 3}, ErrFragmentedControl},
		{"fragmented pong", Header{Opcode: OpPong}, ErrFragmentedControl},
		{"fragmented reserved control", Header{Opcode: 0xB}, ErrFragmentedControl},
		{"ping of 126 bytes", Header{Fin: true, Opcode: OpPing, Length: 126}, ErrControlTooLong},
		{"close of 65536 bytes", Header{Fin: true, Opcode: OpClose, Length: 65536}, ErrControlTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			if tt.want == nil && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

// The checks of lua-http's build_frame: malformed frames are refused, with
// nothing appended or written, and without a panic.
func TestEncodingRefusesMalformedFrames(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want error
	}{
		{"opcode 16", Frame{Fin: true, Opcode: 16, Payload: []byte("x")}, ErrInvalidOpcode},
		{"control frame of 126 bytes", Frame{Fin: true, Opcode: OpPing, Payload: make([]byte, 126)}, ErrControlTooLong},
		{"masked close of 200 bytes", Frame{Fin: true, Opcode: OpClose, Masked: true, Payload: make([]byte, 200)}, ErrControlTooLong},
		{"fragmented control frame", Frame{Opcode: OpPong, Payload: []byte("x")}, ErrFragmentedControl},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("prefix")
			got, err := AppendFrame(prefix, tt.f)
			if !errors.Is(err, tt.want) {
				t.Errorf("AppendFrame error = %v, want %v", err, tt.want)
			}
			if !bytes.Equal(got, prefix) {
				t.Errorf("AppendFrame returned % x, want dst unchanged", got)
			}

			var out bytes.Buffer
			w := bufio.NewWriter(&out)
			if err := WriteFrame(w, tt.f); !errors.Is(err, tt.want) {
				t.Errorf("WriteFrame error = %v, want %v", err, tt.want)
			}
			if w.Buffered() != 0 {
				t.Errorf("WriteFrame buffered %d bytes of a refused frame", w.Buffered())
			}
		})
	}
}

func TestAppendFrameAcceptsReservedBitsAndOpcodes(t *testing.T) {
	f := Frame{Fin: true, RSV1: true, RSV3: true, Opcode: 0xB, Payload: []byte("x")}
	got, err := AppendFrame(nil, f)
	if err != nil {
		t.Fatalf("AppendFrame: %v", err)
	}
	if want := unhex(t, "db 01 78"); !bytes.Equal(got, want) {
		t.Fatalf("AppendFrame = % x, want % x", got, want)
	}
}

func TestHeaderUsesMinimalLengthEncoding(t *testing.T) {
	tests := []struct {
		length int64
		want   string // the length bytes after the first byte, unmasked
	}{
		{0, "00"},
		{1, "01"},
		{125, "7d"},
		{126, "7e 007e"},
		{127, "7e 007f"},
		{65535, "7e ffff"},
		{65536, "7f 0000000000010000"},
		{1 << 32, "7f 0000000100000000"},
		{math.MaxInt64, "7f 7fffffffffffffff"},
	}
	for _, tt := range tests {
		for _, masked := range []bool{false, true} {
			h := Header{Fin: true, Opcode: OpBinary, Masked: masked, Length: tt.length}
			if masked {
				h.Key = rfcKey
			}
			got := AppendHeader(nil, h)
			want := append([]byte{0x82}, unhex(t, tt.want)...)
			if masked {
				want[1] |= 0x80
				want = append(want, rfcKey[:]...)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("AppendHeader(length %d, masked %v) = % x, want % x", tt.length, masked, got, want)
			}
			if n := HeaderSize(tt.length, masked); n != len(got) {
				t.Errorf("HeaderSize(%d, %v) = %d, AppendHeader wrote %d", tt.length, masked, n, len(got))
			}
			back, err := ReadHeader(bufio.NewReader(bytes.NewReader(got)))
			if err != nil || back != h {
				t.Errorf("ReadHeader(% x) = %+v, %v; want %+v", got, back, err, h)
			}
		}
	}
}

func TestFramesRoundTripAtLengthBoundaries(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		for _, masked := range []bool{false, true} {
			payload := pattern(n)
			f := Frame{Fin: true, Opcode: OpBinary, Masked: masked, Key: rfcKey, Payload: payload}
			if !masked {
				f.Key = [4]byte{}
			}
			wire, err := AppendFrame(nil, f)
			if err != nil {
				t.Fatalf("AppendFrame(%d bytes): %v", n, err)
			}
			if want := HeaderSize(int64(n), masked) + n; len(wire) != want {
				t.Errorf("%d-byte frame encoded in %d bytes, want %d", n, len(wire), want)
			}
			got, err := ReadFrame(bufio.NewReader(bytes.NewReader(wire)), 0)
			if err != nil {
				t.Fatalf("ReadFrame(%d bytes): %v", n, err)
			}
			if n == 0 {
				f.Payload = nil
			}
			if !reflect.DeepEqual(got, f) {
				t.Errorf("%d-byte frame, masked %v, did not round trip", n, masked)
			}
		}
	}
}

func TestEncodingLeavesPayloadUnmodified(t *testing.T) {
	payload := pattern(5000)
	orig := bytes.Clone(payload)
	f := Frame{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Payload: payload}
	if _, err := AppendFrame(nil, f); err != nil {
		t.Fatal(err)
	}
	if err := WriteFrame(bufio.NewWriterSize(io.Discard, 100), f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(payload, orig) {
		t.Fatal("encoding a masked frame modified its payload")
	}
}

// WriteFrame masks in pieces inside the writer's buffer, and writes the
// header byte by byte into a buffer too small for it; whatever the buffer
// size, the bytes must be those of AppendFrame.
func TestWriteFrameMatchesAppendFrameForAnyBufferSize(t *testing.T) {
	for _, size := range []int{1, 3, 16, 17, 64, 4096} {
		for _, n := range []int{0, 5, 31, 126, 1000, 70000} {
			for _, masked := range []bool{false, true} {
				f := Frame{Fin: true, Opcode: OpText, Masked: masked, Key: rfcKey, Payload: pattern(n)}
				want, err := AppendFrame(nil, f)
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				w := bufio.NewWriterSize(&out, size)
				w.WriteString("x") // start unaligned
				if err := WriteFrame(w, f); err != nil {
					t.Fatalf("WriteFrame: %v", err)
				}
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
				if got := out.Bytes()[1:]; !bytes.Equal(got, want) {
					t.Errorf("buffer %d, payload %d, masked %v: WriteFrame differs from AppendFrame", size, n, masked)
				}
			}
		}
	}
}

var errBrokenPipe = errors.New("broken pipe")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errBrokenPipe }

func TestWriteFrameReportsWriterErrors(t *testing.T) {
	for _, masked := range []bool{false, true} {
		w := bufio.NewWriterSize(failingWriter{}, 16)
		f := Frame{Fin: true, Opcode: OpBinary, Masked: masked, Payload: pattern(100)}
		if err := WriteFrame(w, f); !errors.Is(err, errBrokenPipe) {
			t.Errorf("masked %v: WriteFrame error = %v, want the writer's", masked, err)
		}
	}
}

func TestEncodingHeadersAllocatesNothing(t *testing.T) {
	h := Header{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Length: 70000}
	buf := make([]byte, 0, maxHeaderSize)
	if n := testing.AllocsPerRun(100, func() { buf = AppendHeader(buf[:0], h) }); n != 0 {
		t.Errorf("AppendHeader allocated %v times per call", n)
	}
	w := bufio.NewWriterSize(io.Discard, 512)
	f := Frame{Fin: true, Opcode: OpBinary, Masked: true, Key: rfcKey, Payload: pattern(2000)}
	if n := testing.AllocsPerRun(100, func() { _ = WriteFrame(w, f) }); n != 0 {
		t.Errorf("WriteFrame of a masked frame allocated %v times per call", n)
	}
}
