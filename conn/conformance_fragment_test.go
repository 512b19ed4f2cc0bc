package conn_test

import (
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// fragments returns payload as a message of op in fragments of n bytes
// (the last one shorter), as the raw side sends them.
func (x *exchange) fragments(op frames.Opcode, payload []byte, n int) []frames.Frame {
	var fs []frames.Frame
	for first := true; first || len(payload) > 0; first = false {
		k := min(n, len(payload))
		fop := frames.OpContinuation
		if first {
			fop = op
		}
		fs = append(fs, x.frame(k == len(payload), fop, payload[:k]))
		payload = payload[k:]
	}
	return fs
}

// RFC 6455 section 5.4: a message may come in any number of fragments,
// including empty ones, with control frames between them; a continuation
// frame continues an open message, and a data frame while a message is
// open, or a continuation with none open, fails the connection (1002).
func TestConformanceFragmentation(t *testing.T) {
	text := []byte("Hello, κόσμε! 𝄞 (split)")
	bin := binaryOf(64)
	cont := frames.OpContinuation
	runTable(t, []confCase{
		{
			name: "text in 1-byte fragments",
			run: func(x *exchange) {
				x.send(x.fragments(frames.OpText, text, 1)...)
				x.expectEcho(frames.OpText, text)
			},
		},
		{
			name: "binary in 1-byte fragments",
			run: func(x *exchange) {
				x.send(x.fragments(frames.OpBinary, bin, 1)...)
				x.expectEcho(frames.OpBinary, bin)
			},
		},
		{
			name: "text in 1-byte fragments written byte by byte",
			run: func(x *exchange) {
				x.sendChopped(1, x.fragments(frames.OpText, text, 1)...)
				x.expectEcho(frames.OpText, text)
			},
		},
		{
			name: "binary of 64 KiB in 1000-byte fragments",
			run: func(x *exchange) {
				p := binaryOf(65536)
				x.send(x.fragments(frames.OpBinary, p, 1000)...)
				x.expectEcho(frames.OpBinary, p)
			},
		},
		{
			name: "empty fragments first, between and last",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpText, nil),
					x.frame(false, cont, []byte("Hello")),
					x.frame(false, cont, nil),
					x.frame(false, cont, []byte(", world")),
					x.frame(true, cont, nil))
				x.expectEcho(frames.OpText, []byte("Hello, world"))
			},
		},
		{
			name: "a message of empty fragments only",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpBinary, nil), x.frame(false, cont, nil), x.frame(true, cont, nil))
				x.expectEcho(frames.OpBinary, []byte{})
			},
		},
		{
			name: "fragmented messages back to back",
			run: func(x *exchange) {
				fs := append(x.fragments(frames.OpText, []byte("one two"), 3), x.fragments(frames.OpBinary, []byte("three"), 2)...)
				x.send(fs...)
				x.expectEcho(frames.OpText, []byte("one two"))
				x.expectEcho(frames.OpBinary, []byte("three"))
			},
		},
		{
			name: "pong and ping and pong between fragments",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpBinary, []byte("a")),
					x.frame(true, frames.OpPong, []byte("1")),
					x.frame(false, cont, []byte("b")),
					x.frame(true, frames.OpPing, []byte("2")),
					x.frame(true, frames.OpPong, []byte("3")),
					x.frame(true, cont, []byte("c")))
				f, err := x.p.ReadFrame(x.ctx)
				if err != nil {
					x.t.Fatal(err)
				}
				// The pong and the echo may come in either order.
				if f.Opcode == frames.OpPong {
					if string(f.Payload) != "2" {
						x.t.Fatalf("pong %q, want \"2\"", f.Payload)
					}
					x.expectEcho(frames.OpBinary, []byte("abc"))
				} else {
					if f.Opcode != frames.OpBinary || string(f.Payload) != "abc" {
						x.t.Fatalf("got %s %q, want the pong or the echo", f.Opcode, f.Payload)
					}
					x.expectFrame(frames.OpPong, []byte("2"))
				}
			},
		},
		{
			// RFC 6455 section 5.5.1: the close may come between
			// fragments; the message never completes and is not
			// delivered.
			name: "close between fragments",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpText, []byte("never ")),
					x.closeFrame(frames.CloseNormal, "mid-message"))
				x.closesCleanly(frames.CloseNormal, frames.CloseNormal, "mid-message")
				if got := x.e.messages(); len(got) != 0 {
					x.t.Fatalf("the unfinished message was delivered: %v", got)
				}
			},
		},
		{
			name: "continuation with nothing to continue",
			run: func(x *exchange) {
				x.send(x.frame(true, cont, []byte("orphan")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "empty non-final continuation with nothing to continue",
			run: func(x *exchange) {
				x.send(x.frame(false, cont, nil))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "continuation after a complete message",
			run: func(x *exchange) {
				x.roundTrip("complete")
				x.send(x.frame(true, cont, []byte("more")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "continuation after a complete fragmented message",
			run: func(x *exchange) {
				x.send(x.fragments(frames.OpText, []byte("complete"), 4)...)
				x.expectEcho(frames.OpText, []byte("complete"))
				x.send(x.frame(true, cont, []byte("more")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "final text frame while a text message is open",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpText, []byte("open ")), x.frame(true, frames.OpText, []byte("new")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "non-final binary frame while a text message is open",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpText, []byte("open ")), x.frame(false, frames.OpBinary, []byte("new")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "text frame while a binary message is open, after control frames",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpBinary, []byte("open ")), x.frame(true, frames.OpPong, nil))
				x.send(x.frame(true, frames.OpText, []byte("new")))
				x.fails(frames.CloseProtocolError)
			},
		},
	})
}
