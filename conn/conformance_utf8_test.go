package conn_test

import (
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/internal/rawpeer"
)

// RFC 6455 sections 5.6 and 8.1: a text message must be valid UTF-8, in
// whichever fragments it comes. Each valid sample is sent on one
// connection as one frame, written whole and byte by byte, split in two
// fragments at every byte, and in 1-byte fragments; each must come back
// intact.
func TestConformanceUTF8Valid(t *testing.T) {
	var cases []confCase
	for _, s := range validUTF8 {
		cases = append(cases, confCase{
			name: s.name,
			run: func(x *exchange) {
				text := []byte(s.text)
				x.send(x.frame(true, frames.OpText, text))
				x.expectEcho(frames.OpText, text)
				x.sendChopped(1, x.frame(true, frames.OpText, text))
				x.expectEcho(frames.OpText, text)
				for i := 1; i < len(text); i++ {
					x.send(x.frame(false, frames.OpText, text[:i]), x.frame(true, frames.OpContinuation, text[i:]))
					x.expectEcho(frames.OpText, text)
				}
				x.send(x.fragments(frames.OpText, text, 1)...)
				x.expectEcho(frames.OpText, text)
			},
		})
	}
	runTable(t, cases)
}

// RFC 6455 section 8.1: invalid UTF-8 in a text message fails the
// connection with 1007, and wsactor fails fast: the close comes as soon
// as the bytes received can no longer be the start of valid text. For
// every invalid sample: in one frame; the frame cut just after the byte
// that makes it invalid, the rest never sent; split in two fragments at
// every byte; and in 1-byte fragments. Where the invalid byte is in a
// fragment, the peer sends no further fragment and waits for the close.
func TestConformanceUTF8Invalid(t *testing.T) {
	var cases []confCase
	for _, s := range invalidUTF8 {
		text := []byte(s.text)
		bad := failsAt(text)
		cases = append(cases, confCase{
			name: s.name + "/one frame",
			run: func(x *exchange) {
				x.roundTrip("valid first")
				x.send(x.frame(true, frames.OpText, text))
				x.fails(frames.CloseInvalidPayload)
			},
		})
		if bad > 0 && bad < len(text) {
			cases = append(cases, confCase{
				name: s.name + "/frame cut after the invalid byte",
				run: func(x *exchange) {
					f := x.frame(true, frames.OpText, text)
					wire := rawpeer.Encode(f)
					head := frames.HeaderSize(int64(len(text)), f.Masked)
					x.sendBytes(wire[:head+bad])
					x.fails(frames.CloseInvalidPayload)
				},
			})
		}
		for i := 1; i < len(text); i++ {
			cases = append(cases, confCase{
				name: fmt.Sprintf("%s/split at %d", s.name, i),
				run:  sendUntilInvalid(text, bad, []int{i}),
			})
		}
		if len(text) > 1 {
			var cuts []int
			for i := 1; i < len(text); i++ {
				cuts = append(cuts, i)
			}
			cases = append(cases, confCase{
				name: s.name + "/1-byte fragments",
				run:  sendUntilInvalid(text, bad, cuts),
			})
		}
	}
	runTable(t, cases)
}

// sendUntilInvalid sends text as a fragmented message cut at cuts, one
// fragment per write. Once a fragment holds the byte at which the text can
// no longer be valid (bad, 0 for none), it sends nothing more and checks
// that wsactor fails the connection with 1007; if no fragment does (the
// text ends inside a character), the failure must come after the last.
func sendUntilInvalid(text []byte, bad int, cuts []int) func(x *exchange) {
	return func(x *exchange) {
		start := 0
		for k, end := range append(slices.Clip(cuts), len(text)) {
			op := frames.OpContinuation
			if k == 0 {
				op = frames.OpText
			}
			x.send(x.frame(end == len(text), op, text[start:end]))
			if bad > 0 && end >= bad {
				break
			}
			start = end
		}
		x.fails(frames.CloseInvalidPayload)
	}
}

// The expectations of the UTF-8 cases come from failsAt, built on
// unicode/utf8; these fail points are worked out by hand from RFC 3629.
func TestFailsAtFindsTheFirstImpossibleByte(t *testing.T) {
	cases := []struct {
		text string
		want int
	}{
		{"κόσμε", 0},
		{"\xce", 0},             // the start of a 2-byte character
		{"\xf4\x8f\xbf", 0},     // the start of U+10FFFF
		{"\x80", 1},             // a continuation byte first
		{"\xc0\xaf", 1},         // C0 only starts overlong forms
		{"\xe0\x80\xaf", 2},     // E0 needs A0..BF next
		{"\xed\xa0\x80", 2},     // ED A0.. is a surrogate
		{"\xf4\x90\x80\x80", 2}, // F4 90.. is over U+10FFFF
		{"\xf5", 1},             // F5 and above never occur
		{"a\xdf a", 3},          // a 2-byte character cut by a space
		{"κόσμε\xed\xa0\x80edited", 12},
	}
	for _, tc := range cases {
		if got := failsAt([]byte(tc.text)); got != tc.want {
			t.Errorf("failsAt(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
	for _, s := range validUTF8 {
		if !utf8.ValidString(s.text) {
			t.Errorf("valid sample %s is not valid UTF-8", s.name)
		}
	}
	for _, s := range invalidUTF8 {
		if utf8.ValidString(s.text) {
			t.Errorf("invalid sample %s is valid UTF-8", s.name)
		}
	}
}
