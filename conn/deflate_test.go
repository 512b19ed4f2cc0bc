package conn

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// rfcFrame is the frame of a compressed text message, unmasked, as RFC 7692
// section 7.2.3 writes it.
func rfcFrame(payload []byte) []byte {
	return append(frames.AppendHeader(nil, frames.Header{Fin: true, RSV1: true, Opcode: frames.OpText, Length: int64(len(payload))}), payload...)
}

// RFC 7692 section 7.2.3, byte for byte: what the compressor produces and
// what the inflater makes of the RFC's payloads.
func TestDeflateRFC7692Examples(t *testing.T) {
	hello := []byte("Hello")
	t.Run("7.2.3.1 compressing Hello", func(t *testing.T) {
		z := newCompressor(flate.DefaultCompression)
		p, _ := z.compress(hello)
		want := []byte{0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}
		if got := rfcFrame(p); !bytes.Equal(got, want) {
			t.Fatalf("frame % x, want % x", got, want)
		}
	})
	t.Run("7.2.3.2 sharing the LZ77 window", func(t *testing.T) {
		// The RFC's second message is a literal H and a 4-byte match, 5
		// bytes; compress/flate finds the whole 5-byte match and writes 4.
		// Both refer back to the first message, and the inflater reads
		// both.
		rfcSecond := []byte{0xf2, 0x00, 0x11, 0x00, 0x00}
		z := newCompressor(flate.DefaultCompression)
		first, _ := z.compress(hello)
		first = bytes.Clone(first)
		second, _ := z.compress(hello)
		if want := []byte{0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}; !bytes.Equal(rfcFrame(first), want) {
			t.Fatalf("first frame % x, want % x", rfcFrame(first), want)
		}
		if want := []byte{0xc1, 0x04, 0x02, 0x13, 0x00, 0x00}; !bytes.Equal(rfcFrame(second), want) {
			t.Fatalf("second frame % x, want % x", rfcFrame(second), want)
		}
		for _, second := range [][]byte{rfcSecond, second} {
			f := inflater{takeover: true}
			for i, p := range [][]byte{first, second} {
				if got, err := f.inflate(p, 0); err != nil || string(got) != "Hello" {
					t.Fatalf("message %d (% x) inflates to %q, %v", i, p, got, err)
				}
			}
			// Without the first message's window, the second cannot be read.
			if _, err := (&inflater{}).inflate(second, 0); closeCodeFor(err) != frames.CloseInvalidPayload {
				t.Fatalf("second message % x alone: %v, want a 1007 violation", second, err)
			}
		}
	})
	t.Run("7.2.3.3 a block with no compression", func(t *testing.T) {
		// flate.BestSpeed stores a message this short.
		z := newCompressor(flate.BestSpeed)
		p, shorter := z.compress(hello)
		want := []byte{0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}
		if got := rfcFrame(p); !bytes.Equal(got, want) {
			t.Fatalf("frame % x, want % x", got, want)
		}
		if shorter {
			t.Fatal("compress says 11 bytes are shorter than 5")
		}
	})
	t.Run("7.2.3.6 an empty message", func(t *testing.T) {
		p, _ := newCompressor(flate.DefaultCompression).compress(nil)
		if !bytes.Equal(p, []byte{0x00}) {
			t.Fatalf("empty message compresses to % x, want 00", p)
		}
	})
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"7.2.3.1 inflating Hello", []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}},
		{"7.2.3.3 inflating a block with no compression", []byte{0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00}},
		{"7.2.3.4 inflating a block with BFINAL set", []byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}},
		{"7.2.3.5 inflating two blocks", []byte{0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, takeover := range []bool{false, true} {
				got, err := (&inflater{takeover: takeover}).inflate(tc.payload, 5)
				if err != nil || string(got) != "Hello" {
					t.Fatalf("takeover %v: %q, %v", takeover, got, err)
				}
				if _, err := (&inflater{takeover: takeover}).inflate(tc.payload, 4); closeCodeFor(err) != frames.CloseMessageTooBig {
					t.Fatalf("takeover %v, limit 4: %v, want a 1009 violation", takeover, err)
				}
			}
		})
	}
}

// bomb returns a small compressed payload that inflates to n zero bytes.
func bomb(t testing.TB, n int) []byte {
	t.Helper()
	z := newCompressor(flate.BestCompression)
	p, _ := z.compress(make([]byte, n))
	return bytes.Clone(p)
}

func TestInflateStopsAtTheLimitAndAllocatesAboutTheLimit(t *testing.T) {
	const limit = 1 << 20
	p := bomb(t, 32<<20)
	t.Logf("32 MiB of zeros compress to %d bytes", len(p))
	f := &inflater{}
	f.inflate(p[:64], limit) // warm the decompressor pool
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := f.inflate(p, limit)
	runtime.ReadMemStats(&after)
	if closeCodeFor(err) != frames.CloseMessageTooBig {
		t.Fatalf("inflate = %v, want a 1009 violation", err)
	}
	// The output doubles up to limit+1 bytes: at most about twice the
	// limit in all, whatever the payload would inflate to (the margin is
	// for the runtime's own allocations meanwhile).
	if got := after.TotalAlloc - before.TotalAlloc; got > 2*limit+128<<10 {
		t.Fatalf("inflating a bomb allocated %d bytes with a limit of %d", got, limit)
	}
	// Exactly the limit is fine.
	got, err := f.inflate(bomb(t, limit), limit)
	if err != nil || len(got) != limit {
		t.Fatalf("a message of exactly the limit: %d bytes, %v", len(got), err)
	}
}

func TestInflateRemembersTheLastWindowOnly(t *testing.T) {
	f := &inflater{takeover: true}
	f.remember(bytes.Repeat([]byte("a"), 100))
	f.remember(bytes.Repeat([]byte("b"), windowSize-10))
	if len(f.dict) != windowSize || !bytes.Equal(f.dict[:10], bytes.Repeat([]byte("a"), 10)) || f.dict[10] != 'b' {
		t.Fatalf("dictionary of %d bytes starting %q", len(f.dict), f.dict[:11])
	}
	f.remember(bytes.Repeat([]byte("c"), 2*windowSize))
	if len(f.dict) != windowSize || bytes.ContainsAny(f.dict, "ab") {
		t.Fatalf("dictionary of %d bytes still holds older data", len(f.dict))
	}
}

// jsonMessages returns n distinct, compressible JSON texts.
func jsonMessages(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, `{"id":%d,"type":"update","user":{"name":"user-%d","roles":["reader","writer"]},"items":[`, i, r.IntN(1000))
		for j := range 20 + r.IntN(20) {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"sku":"item-%04d","price":%d.%02d,"qty":%d}`, r.IntN(10000), r.IntN(100), r.IntN(100), r.IntN(9)+1)
		}
		b.WriteString("]}")
		out[i] = b.String()
	}
	return out
}

// compressedPair returns a pair with the given compression options on both
// sides, and the client's counting connection.
func compressedPair(t *testing.T, server, client CompressionOptions) (pair, *countingConn) {
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, []Option{WithCompression(server)}, dialCounting(&cc, nil), WithCompression(client))
	return p, cc
}

func TestCompressionIsNegotiatedAsConfigured(t *testing.T) {
	on := []Option{WithCompression(CompressionOptions{})}
	takeover := []Option{WithCompression(CompressionOptions{ContextTakeover: true})}
	tests := []struct {
		name           string
		server, client []Option
		header         string
		clientTakes    bool // the client keeps its compression context
		serverTakes    bool
	}{
		{"neither", nil, nil, "", false, false},
		{"server only", on, nil, "", false, false},
		{"client only", nil, on, "", false, false},
		{"both, default", on, on, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", false, false},
		{"both with context takeover", takeover, takeover, "permessage-deflate", true, true},
		{"client asks for none, server would", takeover, on, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", false, false},
		{"server asks for none, client would", on, takeover, "permessage-deflate; server_no_context_takeover; client_no_context_takeover", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPair(t, AcceptOptions{}, tt.server, tt.client...)
			for _, c := range []*Conn{p.client, p.server} {
				if got := c.ResponseHeader().Get("Sec-WebSocket-Extensions"); got != tt.header {
					t.Errorf("%v: Sec-WebSocket-Extensions %q, want %q", c, got, tt.header)
				}
				if (c.pmd != nil) != (tt.header != "") {
					t.Errorf("%v: compression on = %v", c, c.pmd != nil)
				}
			}
			if tt.header == "" {
				return
			}
			if p.client.pmd.takeover != tt.clientTakes || p.server.pmd.takeover != tt.serverTakes {
				t.Errorf("takeover: client %v, server %v; want %v, %v", p.client.pmd.takeover, p.server.pmd.takeover, tt.clientTakes, tt.serverTakes)
			}
			if p.client.pmd.in.takeover != tt.serverTakes || p.server.pmd.in.takeover != tt.clientTakes {
				t.Errorf("inflaters keep context: client %v, server %v", p.client.pmd.in.takeover, p.server.pmd.in.takeover)
			}
		})
	}
}

// Every way of sending, both directions, with and without context
// takeover: what arrives is what was sent, and compressible messages take
// fewer bytes on the wire.
func TestCompressedMessagesRoundTrip(t *testing.T) {
	msgs := jsonMessages(50)
	for _, takeover := range []bool{false, true} {
		t.Run(fmt.Sprintf("context takeover %v", takeover), func(t *testing.T) {
			opts := CompressionOptions{ContextTakeover: takeover}
			p, cc := compressedPair(t, opts, opts)
			ctx := testCtx(t)
			pm, err := NewPreparedMessage(frames.OpText, []byte(msgs[0]))
			if err != nil {
				t.Fatal(err)
			}
			random := make([]byte, 64<<10)
			for i := range random {
				random[i] = byte(rand.Uint32())
			}
			big := bytes.Repeat([]byte(msgs[1]), 3000) // ~3 MiB
			for _, dir := range [][2]*Conn{{p.server, p.client}, {p.client, p.server}} {
				from, to := dir[0], dir[1]
				want := []Message{}
				send := func(m Message) {
					t.Helper()
					if err := from.Send(ctx, m.Data, m.Opcode); err != nil {
						t.Fatal(err)
					}
					want = append(want, m)
				}
				for _, s := range msgs {
					send(TextMessage(s))
				}
				send(TextMessage("short"))
				send(BinaryMessage(nil))
				send(BinaryMessage(random))
				send(BinaryMessage(big))
				if err := from.SendPrepared(ctx, pm); err != nil {
					t.Fatal(err)
				}
				want = append(want, TextMessage(msgs[0]))
				w, err := from.NextWriter(ctx, frames.OpText)
				if err != nil {
					t.Fatal(err)
				}
				io.WriteString(w, msgs[3][:10])
				io.WriteString(w, msgs[3][10:])
				w.Close()
				want = append(want, TextMessage(msgs[3]))
				send(TextMessage(msgs[4]))
				// The writer takes Out's messages when it can: this one
				// goes last, so nothing overtakes it.
				from.Out() <- TextMessage(msgs[2])
				want = append(want, TextMessage(msgs[2]))
				for i, m := range want {
					got := mustReceive(t, to)
					if got.Opcode != m.Opcode || !bytes.Equal(got.Data, m.Data) {
						t.Fatalf("message %d: got %s of %d bytes, want %s of %d", i, got.Opcode, len(got.Data), m.Opcode, len(m.Data))
					}
				}
			}
			// The client read the server's messages: far fewer bytes than
			// their payloads for the JSON, at most a few more for the
			// random bytes.
			var payload int
			for _, s := range msgs {
				payload += len(s)
			}
			payload += len(random) + len(big)
			if got := cc.read.Load(); got > int64(payload)/2 {
				t.Errorf("client read %d bytes for %d bytes of payload", got, payload)
			}
		})
	}
}

// With context takeover, messages must leave in the order they were
// compressed: concurrent senders, Out and prepared messages together.
func TestContextTakeoverWithConcurrentSenders(t *testing.T) {
	opts := CompressionOptions{ContextTakeover: true, Threshold: -1}
	p, _ := compressedPair(t, opts, opts)
	ctx := testCtx(t)
	msgs := jsonMessages(40)
	pm, _ := NewPreparedMessage(frames.OpText, []byte(msgs[0]))
	const senders, each = 4, 100
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				m := fmt.Sprintf("%d/%d %s", s, i, msgs[(s*each+i)%len(msgs)])
				var err error
				switch i % 3 {
				case 0:
					err = p.server.SendText(ctx, m)
				case 1:
					select {
					case p.server.Out() <- TextMessage(m):
					case <-ctx.Done():
						err = ctx.Err()
					}
				case 2:
					err = p.server.SendPrepared(ctx, pm)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range senders * each {
		m := mustReceive(t, p.client)
		if !strings.HasSuffix(m.String(), "}") {
			t.Fatalf("received %q", m.Data)
		}
	}
	wg.Wait()
}

// A Send whose context ends while it waits for room sends nothing, and
// leaves the compression context as it was: what follows still inflates.
func TestContextTakeoverSurvivesACancelledSend(t *testing.T) {
	hold := make(chan struct{})
	opts := CompressionOptions{ContextTakeover: true}
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, []Option{WithCompression(opts)}, dialCounting(&cc, nil), WithCompression(opts), WithSendBuffer(1000))
	cc.hold = hold
	ctx := testCtx(t)
	msgs := jsonMessages(3)
	if err := p.client.SendText(ctx, msgs[0]); err != nil {
		t.Fatal(err)
	}
	// The writer is held in its first write: fill the mailbox until a
	// Send times out waiting for room.
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatal("the mailbox never filled")
		}
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		err := p.client.SendText(short, msgs[1])
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	if err := p.client.SendText(ctx, msgs[2]); err != nil {
		t.Fatal(err)
	}
	for {
		m := mustReceive(t, p.server)
		if m.String() == msgs[2] {
			break
		}
		if s := m.String(); s != msgs[0] && s != msgs[1] {
			t.Fatalf("received %q", s)
		}
	}
}

func TestCompressedMessageToNextReader(t *testing.T) {
	opts := CompressionOptions{Threshold: -1}
	p, _ := compressedPair(t, opts, opts)
	ctx := testCtx(t)
	msg := strings.Repeat(jsonMessages(1)[0], 10)
	done := make(chan error, 1)
	go func() { done <- p.server.SendText(ctx, msg) }()
	op, r, err := p.client.NextReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || op != frames.OpText || string(got) != msg {
		t.Fatalf("NextReader: %s %d bytes, %v", op, len(got), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPreparedMessageIsCompressedOncePerLevel(t *testing.T) {
	msg := []byte(strings.Repeat(jsonMessages(1)[0], 4))
	pm, _ := NewPreparedMessage(frames.OpText, msg)
	a := pm.z.get(pm, flate.BestSpeed)
	if a.payload == nil || len(a.payload) >= len(msg) {
		t.Fatalf("compressed to %d bytes from %d", len(a.payload), len(msg))
	}
	if b := pm.z.get(pm, flate.BestSpeed); b != a {
		t.Fatal("compressed again at the same level")
	}
	if c := pm.z.get(pm, flate.BestCompression); c == a {
		t.Fatal("another level shares the first level's encoding")
	}
	got, err := (&inflater{}).inflate(a.payload, 0)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("the prepared payload inflates to %d bytes, %v", len(got), err)
	}
	if !bytes.Equal(a.server, rfcFrameOf(frames.OpText, a.payload)) {
		t.Fatal("the server frame is not the compressed payload's frame")
	}
}

func rfcFrameOf(op frames.Opcode, payload []byte) []byte {
	return append(frames.AppendHeader(nil, frames.Header{Fin: true, RSV1: true, Opcode: op, Length: int64(len(payload))}), payload...)
}

func FuzzInflate(f *testing.F) {
	f.Add([]byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}, false)
	f.Add([]byte{0xf2, 0x00, 0x11, 0x00, 0x00}, true)
	f.Add([]byte{0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00}, false)
	f.Add([]byte{0x00}, false)
	f.Add(bomb(f, 1<<20), true)
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, p []byte, takeover bool) {
		inf := &inflater{takeover: takeover, dict: []byte("Hello")}
		got, err := inf.inflate(p, limit)
		if err != nil {
			if c := closeCodeFor(err); c != frames.CloseInvalidPayload && c != frames.CloseMessageTooBig {
				t.Fatalf("inflate error %v has close code %d", err, c)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("inflated %d bytes past the limit of %d", len(got), limit)
		}
		// compress/flate agrees on what the payload holds.
		r := flate.NewReaderDict(io.MultiReader(bytes.NewReader(p), strings.NewReader(inflateTail)), []byte("Hello"))
		want, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("inflate gave %d bytes, compress/flate %d (%v)", len(got), len(want), err)
		}
		// What the compressor makes of it, the inflater reads back.
		c := newCompressor(flate.BestSpeed)
		z, _ := c.compress(got)
		back, err := (&inflater{}).inflate(z, 0)
		if err != nil || !bytes.Equal(back, got) {
			t.Fatalf("round trip of %d bytes: %d bytes, %v", len(got), len(back), err)
		}
	})
}
