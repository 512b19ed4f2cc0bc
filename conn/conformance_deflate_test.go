package conn_test

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"testing"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
	"github.com/wsactor/wsactor/internal/rawpeer"
)

// The payloads of RFC 7692 section 7.2.3, each "Hello".
var (
	rfcHello          = []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}                                     // 7.2.3.1
	rfcHelloAgain     = []byte{0xf2, 0x00, 0x11, 0x00, 0x00}                                                 // 7.2.3.2, after rfcHello
	rfcHelloStored    = []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}             // 7.2.3.3
	rfcHelloFinal     = []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}                               // 7.2.3.4
	rfcHelloTwoBlocks = []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00} // 7.2.3.5
)

// The raw peer's side of the negotiation: an offer wsactor's server takes
// and an answer wsactor's client takes, with and without context takeover.
const (
	peerNoContext = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
	peerTakeover  = "permessage-deflate"
)

// compressed returns a frame of the raw peer with RSV1 set.
func (x *exchange) compressed(fin bool, op frames.Opcode, payload []byte) frames.Frame {
	f := x.frame(fin, op, payload)
	f.RSV1 = true
	return f
}

// expectCompressed checks that the next frame wsactor sends is a whole
// message op with RSV1 set and exactly payload as its compressed data.
func (x *exchange) expectCompressed(op frames.Opcode, payload []byte) {
	x.t.Helper()
	f, err := x.p.ReadFrame(x.ctx)
	if err != nil {
		x.t.Fatalf("waiting for a compressed %s frame: %v", op, err)
	}
	if f.Opcode != op || !f.Fin || !f.RSV1 || f.RSV2 || f.RSV3 || !bytes.Equal(f.Payload, payload) {
		x.t.Fatalf("got %s frame (fin %t, rsv %t %t %t) % x, want a compressed %s % x",
			f.Opcode, f.Fin, f.RSV1, f.RSV2, f.RSV3, f.Payload, op, payload)
	}
}

// sendsHello is a handler that first sends "Hello" count times, then
// echoes.
func sendsHello(count int) handler {
	return func(ctx context.Context, c *conn.Conn, e *endpoint) error {
		for range count {
			if err := c.SendText(ctx, "Hello"); err != nil {
				return err
			}
		}
		return echo(ctx, c, e)
	}
}

// helloRepeated is a text that compresses well.
const helloRepeated = "Hello, Hello, Hello, Hello, Hello, Hello, Hello, Hello, Hello, Hello!"

// sendsText is a handler that first sends each text, then echoes.
func sendsText(texts ...string) handler {
	return func(ctx context.Context, c *conn.Conn, e *endpoint) error {
		for _, s := range texts {
			if err := c.SendText(ctx, s); err != nil {
				return err
			}
		}
		return echo(ctx, c, e)
	}
}

// deflateBytes compresses data as a permessage-deflate payload with
// compress/flate itself: flushed, the trailing 00 00 ff ff removed.
func deflateBytes(t *testing.T, data []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	w.Flush()
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// RFC 7692 section 7.2.3: the examples, byte for byte, received and sent by
// wsactor on each side.
func TestConformanceDeflateRFCExamples(t *testing.T) {
	compress := conn.WithCompression(conn.CompressionOptions{})
	exact := conn.WithCompression(conn.CompressionOptions{Level: flate.DefaultCompression, Threshold: -1})
	exactTakeover := conn.WithCompression(conn.CompressionOptions{Level: flate.DefaultCompression, Threshold: -1, ContextTakeover: true})
	receives := func(name string, fs func(x *exchange) []frames.Frame) confCase {
		return confCase{name: name, opts: []conn.Option{compress}, peerExt: peerNoContext, run: func(x *exchange) {
			x.send(fs(x)...)
			x.expectFrame(frames.OpText, []byte("Hello")) // under the threshold: echoed uncompressed
			x.roundTrip("still open")
		}}
	}
	runTable(t, []confCase{
		receives("7.2.3.1 a message compressed in one block", func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpText, rfcHello)}
		}),
		receives("7.2.3.1 the same message in two fragments", func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(false, frames.OpText, rfcHello[:3]), x.frame(true, frames.OpContinuation, rfcHello[3:])}
		}),
		receives("7.2.3.3 a block with no compression", func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpText, rfcHelloStored)}
		}),
		receives("7.2.3.4 a block with BFINAL set", func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpText, rfcHelloFinal)}
		}),
		receives("7.2.3.5 two blocks in one message", func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpText, rfcHelloTwoBlocks)}
		}),
		{
			name: "a ping between two fragments", opts: []conn.Option{compress}, peerExt: peerNoContext,
			run: func(x *exchange) {
				x.send(x.compressed(false, frames.OpText, rfcHello[:1]),
					x.frame(true, frames.OpPing, []byte("p")),
					x.frame(true, frames.OpContinuation, rfcHello[1:]))
				// The pong and the echo may leave in either order.
				got := map[frames.Opcode]string{}
				for range 2 {
					f, err := x.p.ReadFrame(x.ctx)
					if err != nil {
						x.t.Fatal(err)
					}
					got[f.Opcode] = string(f.Payload)
				}
				if got[frames.OpPong] != "p" || got[frames.OpText] != "Hello" {
					x.t.Fatalf("got %q, want the pong \"p\" and the echo \"Hello\"", got)
				}
			},
		},
		{
			name: "7.2.3.2 two messages sharing the LZ77 window", opts: []conn.Option{conn.WithCompression(conn.CompressionOptions{ContextTakeover: true})},
			peerExt: peerTakeover,
			run: func(x *exchange) {
				x.send(x.compressed(true, frames.OpText, rfcHello), x.compressed(true, frames.OpText, rfcHelloAgain))
				x.expectFrame(frames.OpText, []byte("Hello"))
				x.expectFrame(frames.OpText, []byte("Hello"))
			},
		},
		{
			// RFC 7692 leaves it to the sender whether to compress a
			// message: "Hello" compresses to 7 bytes, more than its 5, so
			// it goes uncompressed even with no threshold.
			name: "a message that does not shrink is sent uncompressed", opts: []conn.Option{exact}, peerExt: peerNoContext,
			handler: sendsHello(1),
			run:     func(x *exchange) { x.expectFrame(frames.OpText, []byte("Hello")) },
		},
		{
			name: "7.2.3.1 a compressed message as compress/flate writes it", opts: []conn.Option{exact}, peerExt: peerNoContext,
			handler: sendsText(helloRepeated, helloRepeated),
			run: func(x *exchange) {
				want := deflateBytes(x.t, []byte(helloRepeated), flate.DefaultCompression)
				x.expectCompressed(frames.OpText, want)
				x.expectCompressed(frames.OpText, want) // no context taken over
			},
		},
		{
			name: "7.2.3.2 the second message refers to the first", opts: []conn.Option{exactTakeover}, peerExt: peerTakeover,
			handler: sendsText(helloRepeated, helloRepeated),
			run: func(x *exchange) {
				var b bytes.Buffer
				w, _ := flate.NewWriter(&b, flate.DefaultCompression)
				w.Write([]byte(helloRepeated))
				w.Flush()
				first := bytes.Clone(bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff}))
				b.Reset()
				w.Write([]byte(helloRepeated))
				w.Flush()
				second := bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
				if len(second) >= len(first) {
					x.t.Fatalf("with its context the second message takes %d bytes, the first %d", len(second), len(first))
				}
				x.expectCompressed(frames.OpText, first)
				x.expectCompressed(frames.OpText, second)
			},
		},
		{
			name: "an empty compressed message is one byte", opts: []conn.Option{compress}, peerExt: peerNoContext,
			run: func(x *exchange) {
				x.send(x.compressed(true, frames.OpBinary, []byte{0x00}))
				x.expectFrame(frames.OpBinary, nil)
			},
		},
	})
}

// RFC 7692 section 6 and RFC 6455 section 5.2: with permessage-deflate
// negotiated, RSV1 may only mark the first frame of a data message; every
// other reserved bit still fails the connection with 1002. Data that does
// not inflate, or inflates to text that is not UTF-8, fails with 1007; a
// message that inflates past the read limit fails with 1009.
func TestConformanceDeflateViolations(t *testing.T) {
	compress := []conn.Option{conn.WithCompression(conn.CompressionOptions{})}
	violation := func(name string, code frames.CloseCode, fs func(x *exchange) []frames.Frame) confCase {
		return confCase{name: name, opts: compress, peerExt: peerNoContext, run: func(x *exchange) {
			x.roundTrip("a valid message first")
			x.send(fs(x)...)
			x.fails(code)
		}}
	}
	bomb := func(t *testing.T) []byte { return deflateBytes(t, make([]byte, 64<<20), flate.BestCompression) }
	var cases []confCase
	cases = append(cases,
		violation("RSV1 on a continuation frame", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(false, frames.OpText, rfcHello[:3]), x.compressed(true, frames.OpContinuation, rfcHello[3:])}
		}),
		violation("RSV1 on a continuation of an uncompressed message", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.frame(false, frames.OpText, []byte("He")), x.compressed(true, frames.OpContinuation, []byte("llo"))}
		}),
		violation("RSV1 on a ping", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpPing, nil)}
		}),
		violation("RSV1 on a pong", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpPong, nil)}
		}),
		violation("RSV1 on a close", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			f := x.closeFrame(frames.CloseNormal, "")
			f.RSV1 = true
			return []frames.Frame{f}
		}),
		violation("RSV2 on a text frame", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			f := x.frame(true, frames.OpText, []byte("x"))
			f.RSV2 = true
			return []frames.Frame{f}
		}),
		violation("RSV1 and RSV3 on a text frame", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			f := x.compressed(true, frames.OpText, rfcHello)
			f.RSV3 = true
			return []frames.Frame{f}
		}),
		violation("RSV1 on a reserved opcode", frames.CloseProtocolError, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, 3, rfcHello)}
		}),
		violation("data that is not DEFLATE", frames.CloseInvalidPayload, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpBinary, []byte{0xff, 0xff, 0xff})}
		}),
		confCase{
			name: "a reference back past the start without context takeover", opts: compress, peerExt: peerNoContext,
			run: func(x *exchange) {
				x.send(x.compressed(true, frames.OpText, rfcHello))
				x.expectFrame(frames.OpText, []byte("Hello"))
				x.send(x.compressed(true, frames.OpText, rfcHelloAgain))
				x.fails(frames.CloseInvalidPayload)
			},
		},
		violation("text that inflates to invalid UTF-8", frames.CloseInvalidPayload, func(x *exchange) []frames.Frame {
			return []frames.Frame{x.compressed(true, frames.OpText, deflateBytes(t, []byte("ok \xff not ok"), flate.BestCompression))}
		}),
	)
	cases = append(cases, confCase{
		name: "a small frame that inflates past the read limit", peerExt: peerNoContext,
		opts: []conn.Option{conn.WithCompression(conn.CompressionOptions{}), conn.WithReadLimit(1 << 20)},
		run: func(x *exchange) {
			p := bomb(t)
			if len(p) > 1<<17 {
				t.Fatalf("the bomb is %d bytes, not small", len(p))
			}
			x.send(x.compressed(true, frames.OpBinary, p))
			x.fails(frames.CloseMessageTooBig)
		},
	})
	runTable(t, cases)
}

// RFC 7692 section 5: a client that cannot accept the server's answer
// fails the connection; Dial reports handshake.ErrBadDeflate.
func TestDeflateClientFailsOnAnUnacceptableResponse(t *testing.T) {
	for _, answer := range []string{
		"permessage-deflate; client_max_window_bits=10",
		"permessage-deflate; server_max_window_bits=16",
		"permessage-deflate; mystery",
		"permessage-deflate, permessage-deflate",
	} {
		t.Run(answer, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			l, err := rawpeer.Listen()
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			l.Extensions = answer
			accepted := make(chan *rawpeer.Peer, 1)
			go func() {
				p, _ := l.Accept(ctx)
				accepted <- p
			}()
			c, err := conn.Dial(ctx, l.URL(), conn.WithProxy(nil), conn.WithCompression(conn.CompressionOptions{}))
			if !errors.Is(err, handshake.ErrBadDeflate) {
				if c != nil {
					c.Close(0, "")
				}
				t.Fatalf("Dial = %v, want ErrBadDeflate", err)
			}
			if p := <-accepted; p != nil {
				if err := p.ExpectEOF(ctx); err != nil {
					t.Errorf("the client did not close TCP: %v", err)
				}
				p.Close()
			}
		})
	}
}

// A server that is not asked for compression, or is asked for it but not
// configured for it, declines; RSV1 then still fails with 1002.
func TestConformanceDeflateDeclined(t *testing.T) {
	runTable(t, []confCase{
		{
			name: "offered, not configured", only: asServer, peerExt: peerNoContext,
			run: func(x *exchange) {
				if got := x.e.wsConn(x.t).ResponseHeader().Get("Sec-WebSocket-Extensions"); got != "" {
					x.t.Fatalf("server answered Sec-WebSocket-Extensions %q", got)
				}
				x.send(x.compressed(true, frames.OpText, rfcHello))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "configured, not answered", opts: []conn.Option{conn.WithCompression(conn.CompressionOptions{})},
			run: func(x *exchange) {
				x.send(x.compressed(true, frames.OpText, rfcHello))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "offer the server cannot honour", only: asServer, peerExt: "permessage-deflate; server_max_window_bits=10",
			opts: []conn.Option{conn.WithCompression(conn.CompressionOptions{})},
			run: func(x *exchange) {
				x.send(x.compressed(true, frames.OpText, rfcHello))
				x.fails(frames.CloseProtocolError)
			},
		},
	})
}
