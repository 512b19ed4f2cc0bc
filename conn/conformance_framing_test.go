package conn_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// framingSizes are the payload sizes at the edges of the three length
// encodings of RFC 6455 section 5.2, and two large messages.
var framingSizes = []int{0, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20}

// choppedUpTo is the largest payload also sent one byte per write.
const choppedUpTo = 65536

// textOf returns valid UTF-8 of exactly n bytes, with characters of one to
// four bytes throughout.
func textOf(n int) []byte {
	const pattern = "Hello-µ@ßöäüàá κόσμε €𝄞 "
	b := []byte(strings.Repeat(pattern, n/len(pattern)+1))
	// Cut before the character that b[n] is inside of, and pad with ASCII.
	i := n
	for i > 0 && b[i]&0xC0 == 0x80 {
		i--
	}
	for j := i; j < n; j++ {
		b[j] = 'x'
	}
	return b[:n:n]
}

// binaryOf returns n bytes going through every byte value.
func binaryOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

func payloadOf(op frames.Opcode, n int) []byte {
	if op == frames.OpText {
		return textOf(n)
	}
	return binaryOf(n)
}

// RFC 6455 section 5.2: each length encoding, at its edges and beyond,
// text and binary, in one write and one byte per write; masked from the
// client, unmasked from the server. The echo shows the message arrived
// whole and was read back in the same framing.
func TestConformanceFramingSizes(t *testing.T) {
	var cases []confCase
	for _, op := range []frames.Opcode{frames.OpText, frames.OpBinary} {
		for _, n := range framingSizes {
			for _, chunk := range []int{0, 1} {
				if chunk == 1 && n > choppedUpTo {
					continue
				}
				how := "one write"
				if chunk == 1 {
					how = "byte by byte"
				}
				cases = append(cases, confCase{
					name: fmt.Sprintf("%s %d bytes %s", op, n, how),
					run: func(x *exchange) {
						p := payloadOf(op, n)
						x.sendChopped(chunk, x.frame(true, op, p))
						x.expectEcho(op, p)
					},
				})
			}
		}
	}
	runTable(t, cases)
}

func TestConformanceFraming(t *testing.T) {
	runTable(t, []confCase{
		{
			name: "many messages in one write",
			run: func(x *exchange) {
				var fs []frames.Frame
				var want [][]byte
				for i := range 100 {
					op := []frames.Opcode{frames.OpText, frames.OpBinary}[i%2]
					p := payloadOf(op, i*13%300)
					fs = append(fs, x.frame(true, op, p))
					want = append(want, p)
				}
				x.send(fs...)
				for i, p := range want {
					x.expectEcho([]frames.Opcode{frames.OpText, frames.OpBinary}[i%2], p)
				}
			},
		},
		{
			name: "many messages chopped into 3-byte writes",
			run: func(x *exchange) {
				var fs []frames.Frame
				for i := range 20 {
					fs = append(fs, x.frame(true, frames.OpText, textOf(i*11)))
				}
				x.sendChopped(3, fs...)
				for i := range 20 {
					x.expectEcho(frames.OpText, textOf(i*11))
				}
			},
		},
		{
			// A receiver must accept what the header says; the minimal
			// encoding is the sender's duty, and wsactor is lenient.
			name: "length in a longer encoding than needed",
			run: func(x *exchange) {
				for _, ext := range []byte{126, 127} {
					f := x.frame(true, frames.OpBinary, []byte("12345"))
					b := []byte{0x82, ext}
					if f.Masked {
						b[1] |= 0x80
					}
					if ext == 126 {
						b = append(b, 0, 5)
					} else {
						b = append(b, 0, 0, 0, 0, 0, 0, 0, 5)
					}
					if f.Masked {
						b = append(b, f.Key[:]...)
					}
					wire := []byte("12345")
					if f.Masked {
						frames.Mask(f.Key, 0, wire)
					}
					x.sendBytes(append(b, wire...))
					x.expectEcho(frames.OpBinary, []byte("12345"))
				}
			},
		},
		{
			name: "64-bit length with its most significant bit set",
			run: func(x *exchange) {
				b := []byte{0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 5}
				if x.p.IsClient() {
					b[1] |= 0x80
					b = append(b, 1, 2, 3, 4)
				}
				x.sendBytes(append(b, "12345"...))
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			// RFC 6455 section 5.1: a server MUST close the connection
			// on an unmasked frame from its client.
			name: "unmasked frame from the client",
			only: asServer,
			run: func(x *exchange) {
				x.roundTrip("masked first")
				x.send(frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte("unmasked")})
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			// RFC 6455 section 5.1: a client MUST close the connection
			// on a masked frame from its server.
			name: "masked frame from the server",
			only: asClient,
			run: func(x *exchange) {
				x.roundTrip("unmasked first")
				x.send(frames.Frame{Fin: true, Opcode: frames.OpText, Masked: true, Key: [4]byte{1, 2, 3, 4}, Payload: []byte("masked")})
				x.fails(frames.CloseProtocolError)
			},
		},
		{
			name: "empty messages, text and binary",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpText, nil), x.frame(true, frames.OpBinary, nil))
				x.expectEcho(frames.OpText, []byte{})
				x.expectEcho(frames.OpBinary, []byte{})
			},
		},
	})
}

func TestTextOfIsValidUTF8OfTheExactLength(t *testing.T) {
	for n := range 200 {
		if b := textOf(n); len(b) != n || !frames.ValidUTF8(b) {
			t.Fatalf("textOf(%d) = %q (%d bytes)", n, b, len(b))
		}
	}
}

// Large binary payloads from a client are unmasked in stretches behind
// the reads (see readPayload): fragments whose sizes leave the masking key
// at every offset, each longer than a stretch, arrive whole when the bytes
// come in pieces of odd sizes.
func TestConformanceFramingLargeMaskedFragments(t *testing.T) {
	var cases []confCase
	for _, chunk := range []int{0, 65537, 1<<20 + 3} {
		cases = append(cases, confCase{
			name: fmt.Sprintf("binary in fragments of 1 MiB+1, 2 MiB+2, 3 bytes, 3 MiB+3, written %d bytes at a time", chunk),
			run: func(x *exchange) {
				p := binaryOf(6<<20 + 9)
				a, b, c := 1<<20+1, 3<<20+3, 3<<20+6
				x.sendChopped(chunk,
					x.frame(false, frames.OpBinary, p[:a]),
					x.frame(false, frames.OpContinuation, p[a:b]),
					x.frame(false, frames.OpContinuation, p[b:c]),
					x.frame(true, frames.OpContinuation, p[c:]))
				x.expectEcho(frames.OpBinary, p)
			},
		})
	}
	runTable(t, cases)
}
