package wire

import (
	"errors"
	"testing"
)

// serverStream is what an echo server could send for three 300-byte
// messages: one whole, one in three fragments with a pong between them,
// and one whole with a 64-bit length header.
func serverStream() []byte {
	var none [4]byte
	p := make([]byte, 300)
	s := AppendFrame(nil, OpBinary, p, false, none)
	s = fragment(s, OpText, p[:100])
	s = AppendFrame(s, OpPong, nil, false, none)
	s = fragment(s, OpContinuation, p[100:250])
	s = AppendFrame(s, OpContinuation, p[250:], false, none)
	return AppendFrame(s, OpBinary, p, false, none)
}

// fragment appends a frame without FIN.
func fragment(dst []byte, op byte, p []byte) []byte {
	start := len(dst)
	dst = AppendFrame(dst, op, p, false, [4]byte{})
	dst[start] &^= 0x80
	return dst
}

func TestCounterCountsMessagesFedInAnyPieces(t *testing.T) {
	stream := serverStream()
	for _, piece := range []int{1, 2, 3, 7, 64, len(stream)} {
		c := NewCounter(300)
		total := 0
		for rest := stream; len(rest) > 0; {
			n := min(piece, len(rest))
			got, err := c.Feed(rest[:n])
			if err != nil {
				t.Fatalf("pieces of %d: %v", piece, err)
			}
			total += got
			rest = rest[n:]
		}
		if total != 3 {
			t.Errorf("pieces of %d: counted %d messages, want 3", piece, total)
		}
	}
}

func TestCounterCountsEmptyMessages(t *testing.T) {
	c := NewCounter(0)
	stream := AppendFrame(AppendFrame(nil, OpBinary, nil, false, [4]byte{}), OpText, nil, false, [4]byte{})
	if n, err := c.Feed(stream); n != 2 || err != nil {
		t.Fatalf("Feed = %d, %v; want 2, nil", n, err)
	}
}

func TestCounterRejectsWhatAnEchoServerMustNotSend(t *testing.T) {
	var none [4]byte
	tests := []struct {
		name   string
		stream []byte
	}{
		{"masked frame", AppendFrame(nil, OpBinary, make([]byte, 4), true, [4]byte{1, 2, 3, 4})},
		{"close", AppendFrame(nil, OpClose, []byte{3, 232}, false, none)},
		{"ping", AppendFrame(nil, OpPing, nil, false, none)},
		{"wrong size", AppendFrame(nil, OpBinary, make([]byte, 5), false, none)},
		{"lone continuation", AppendFrame(nil, OpContinuation, make([]byte, 4), false, none)},
		{"message inside a message", AppendFrame(fragment(nil, OpBinary, make([]byte, 2)), OpBinary, make([]byte, 2), false, none)},
		{"reserved bit", []byte{0xC2, 0x00}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewCounter(4).Feed(tt.stream)
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("Feed error = %v, want ErrProtocol", err)
			}
		})
	}
}
