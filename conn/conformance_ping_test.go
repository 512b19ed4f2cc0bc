package conn_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// expectPongsAndEcho reads what wsactor sends after pings with the given
// payloads and a text message text: pongs and the echo, in any order
// between the two, since RFC 6455 orders neither against the other. Every
// pong must carry the payload of a ping (section 5.5.3), in the order of
// the pings; an endpoint may skip a pong for a ping that a later ping made
// stale, but never the last one.
func (x *exchange) expectPongsAndEcho(pings [][]byte, text string) {
	x.t.Helper()
	next, echoed := 0, false
	for next < len(pings) || !echoed {
		f, err := x.p.ReadFrame(x.ctx)
		if err != nil {
			x.t.Fatalf("waiting for pongs %d.. and the echo (%t): %v", next, echoed, err)
		}
		switch {
		case f.Opcode == frames.OpPong && f.Fin:
			i := next
			for i < len(pings) && !bytes.Equal(pings[i], f.Payload) {
				i++
			}
			if i == len(pings) {
				x.t.Fatalf("pong %s answers no ping still unanswered (next %d)", show(f.Payload), next)
			}
			next = i + 1
		case f.Opcode == frames.OpText && f.Fin && !echoed && string(f.Payload) == text:
			echoed = true
		default:
			x.t.Fatalf("got %s frame %s (fin %t), want pongs and the echo of %q", f.Opcode, show(f.Payload), f.Fin, text)
		}
	}
}

// RFC 6455 sections 5.5.2 and 5.5.3: a ping is answered with a pong of the
// same payload, and a pong is answered with nothing. Section 5.5: control
// frames carry at most 125 bytes, are never fragmented, and may come
// between the fragments of a message.
func TestConformancePingPong(t *testing.T) {
	binaryPayload := make([]byte, 125)
	for i := range binaryPayload {
		binaryPayload[i] = byte(255 - i*2)
	}
	pingIsAnswered := func(payload []byte, chunk int) func(x *exchange) {
		return func(x *exchange) {
			x.sendChopped(chunk, x.frame(true, frames.OpPing, payload))
			x.expectFrame(frames.OpPong, payload)
			x.roundTrip("still open")
		}
	}
	tenPings := func(chunk int) func(x *exchange) {
		return func(x *exchange) {
			var fs []frames.Frame
			var pings [][]byte
			for i := range 10 {
				p := []byte(fmt.Sprintf("ping %d", i))
				pings = append(pings, p)
				fs = append(fs, x.frame(true, frames.OpPing, p))
			}
			fs = append(fs, x.frame(true, frames.OpText, []byte("after ten pings")))
			x.sendChopped(chunk, fs...)
			x.expectPongsAndEcho(pings, "after ten pings")
		}
	}
	runTable(t, []confCase{
		{name: "empty ping", run: pingIsAnswered(nil, 0)},
		{name: "ping of 125 bytes", run: pingIsAnswered([]byte(strings.Repeat("*", 125)), 0)},
		{name: "ping with a binary payload", run: pingIsAnswered(binaryPayload, 0)},
		{name: "ping byte by byte", run: pingIsAnswered([]byte("Hello, ping"), 1)},
		{name: "ten pings in one write", run: tenPings(0)},
		{name: "ten pings byte by byte", run: tenPings(1)},
		{
			name: "ping of 126 bytes",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpPing, make([]byte, 126)))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "pong of 126 bytes",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpPong, make([]byte, 126)))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "fragmented ping",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpPing, []byte("frag")),
					x.frame(true, frames.OpContinuation, []byte("ment")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "fragmented pong",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpPong, []byte("frag")),
					x.frame(true, frames.OpContinuation, []byte("ment")))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "ping between the fragments of a message",
			run: func(x *exchange) {
				x.send(x.frame(false, frames.OpText, []byte("Hello, ")),
					x.frame(true, frames.OpPing, []byte("between")),
					x.frame(true, frames.OpContinuation, []byte("world")))
				x.expectPongsAndEcho([][]byte{[]byte("between")}, "Hello, world")
			},
		},
		{
			name: "ping between the fragments of a message byte by byte",
			run: func(x *exchange) {
				x.sendChopped(1, x.frame(false, frames.OpText, []byte("Hello, ")),
					x.frame(true, frames.OpPing, []byte("between")),
					x.frame(true, frames.OpContinuation, []byte("world")))
				x.expectPongsAndEcho([][]byte{[]byte("between")}, "Hello, world")
			},
		},
		{
			name: "unsolicited pong",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpPong, []byte("unsolicited")))
				x.roundTrip("nothing answers a pong")
			},
		},
		{
			name: "unsolicited empty pong, then a ping",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpPong, nil), x.frame(true, frames.OpPing, []byte("p")))
				x.expectFrame(frames.OpPong, []byte("p"))
				x.roundTrip("still open")
			},
		},
	})
}
