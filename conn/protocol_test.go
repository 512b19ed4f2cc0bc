package conn

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// wantClose checks that err is a *CloseError with code.
func wantClose(t *testing.T, who string, err error, code frames.CloseCode) {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("%s: got %v, want a CloseError with code %d", who, err, code)
	}
}

// violate sends f from one end and checks that both ends end with code:
// the receiver fails the connection with it, the sender gets its close.
func violate(t *testing.T, clientSends bool, f frames.Frame, code frames.CloseCode, opts ...Option) {
	t.Helper()
	p := newPair(t, AcceptOptions{}, opts, opts...)
	from, to := p.client, p.server
	if !clientSends {
		from, to = p.server, p.client
	}
	if err := from.SendFrame(testCtx(t), f); err != nil {
		t.Fatalf("SendFrame: %v", err)
	}
	_, err := to.Receive(testCtx(t))
	wantClose(t, "receiver", err, code)
	var ce *CloseError
	if errors.As(err, &ce) && ce.Err == nil {
		t.Fatalf("receiver's CloseError has no cause: %v", err)
	}
	_, err = from.Receive(testCtx(t))
	wantClose(t, "sender", err, code)
}

func bothSides(t *testing.T, run func(t *testing.T, clientSends bool)) {
	t.Run("client sends", func(t *testing.T) { run(t, true) })
	t.Run("server sends", func(t *testing.T) { run(t, false) })
}

// The seed's checks: invalid UTF-8 "\230" and the surrogate
// "\237\160\128" fail with 1007 on both ends.
func TestInvalidUTF8TextFailsWith1007(t *testing.T) {
	for _, text := range []string{"\230", "\355\240\200", "ok then \xc0\xaf"} {
		bothSides(t, func(t *testing.T, clientSends bool) {
			violate(t, clientSends, frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte(text)}, frames.CloseInvalidPayload)
		})
	}
}

func TestInvalidUTF8CloseReasonFailsWith1007(t *testing.T) {
	bothSides(t, func(t *testing.T, clientSends bool) {
		payload := []byte{0x03, 0xe8, 0xed, 0xa0, 0x80}
		violate(t, clientSends, frames.Frame{Fin: true, Opcode: frames.OpClose, Payload: payload}, frames.CloseInvalidPayload)
	})
}

func TestReservedBitsFailWith1002(t *testing.T) {
	for i, set := range []func(*frames.Frame){
		func(f *frames.Frame) { f.RSV1 = true },
		func(f *frames.Frame) { f.RSV2 = true },
		func(f *frames.Frame) { f.RSV3 = true },
	} {
		t.Run("RSV"+string(rune('1'+i)), func(t *testing.T) {
			bothSides(t, func(t *testing.T, clientSends bool) {
				f := frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte("hi")}
				set(&f)
				violate(t, clientSends, f, frames.CloseProtocolError)
			})
		})
	}
}

func TestFramingViolationsFailWith1002(t *testing.T) {
	cases := map[string]frames.Frame{
		"reserved opcode 3":   {Fin: true, Opcode: 3},
		"reserved opcode 11":  {Fin: true, Opcode: 11, Payload: []byte("x")},
		"lone continuation":   {Fin: true, Opcode: frames.OpContinuation, Payload: []byte("x")},
		"close of one byte":   {Fin: true, Opcode: frames.OpClose, Payload: []byte{3}},
		"close code 1005":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xed}},
		"close code 999":      {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xe7}},
		"close code 5000":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x13, 0x88}},
		"close code 2999":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x0b, 0xb7}},
		"close code 1016":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xf8}},
		"close code 1004":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xec}},
		"close code 0":        {Fin: true, Opcode: frames.OpClose, Payload: []byte{0, 0}},
		"close code 1006":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xee}},
		"close code 1015":     {Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xf7}},
		"ping with RSV bit":   {Fin: true, RSV2: true, Opcode: frames.OpPing},
		"pong with RSV3":      {Fin: true, RSV3: true, Opcode: frames.OpPong},
		"binary with all RSV": {Fin: true, RSV1: true, RSV2: true, RSV3: true, Opcode: frames.OpBinary},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			bothSides(t, func(t *testing.T, clientSends bool) {
				violate(t, clientSends, f, frames.CloseProtocolError)
			})
		})
	}
}

func TestDataFrameInsideFragmentedMessageFailsWith1002(t *testing.T) {
	bothSides(t, func(t *testing.T, clientSends bool) {
		p := newPair(t, AcceptOptions{}, nil)
		from, to := p.client, p.server
		if !clientSends {
			from, to = p.server, p.client
		}
		ctx := testCtx(t)
		from.SendFrame(ctx, frames.Frame{Opcode: frames.OpText, Payload: []byte("part")})
		from.SendFrame(ctx, frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte("new")})
		_, err := to.Receive(ctx)
		wantClose(t, "receiver", err, frames.CloseProtocolError)
	})
}

func TestMessageOverLimitFailsWith1009(t *testing.T) {
	bothSides(t, func(t *testing.T, clientSends bool) {
		violate(t, clientSends, frames.Frame{Fin: true, Opcode: frames.OpBinary, Payload: make([]byte, 1025)},
			frames.CloseMessageTooBig, WithReadLimit(1024))
	})
}

func TestFragmentedMessageOverLimitFailsWith1009(t *testing.T) {
	p := newPair(t, AcceptOptions{}, []Option{WithReadLimit(1000)})
	ctx := testCtx(t)
	for i := range 3 {
		p.client.SendFrame(ctx, frames.Frame{Fin: i == 2, Opcode: map[bool]frames.Opcode{true: frames.OpBinary, false: 0}[i == 0], Payload: make([]byte, 400)})
	}
	_, err := p.server.Receive(ctx)
	wantClose(t, "server", err, frames.CloseMessageTooBig)
}

func TestFragmentedMessagesAssembleWithControlFramesBetween(t *testing.T) {
	bothSides(t, func(t *testing.T, clientSends bool) {
		p := newPair(t, AcceptOptions{}, nil)
		from, to := p.client, p.server
		if !clientSends {
			from, to = p.server, p.client
		}
		ctx := testCtx(t)
		// "héllo" split inside the two-byte é.
		parts := [][]byte{[]byte("h\xc3"), []byte("\xa9l"), []byte("lo")}
		for i, part := range parts {
			op := frames.OpContinuation
			if i == 0 {
				op = frames.OpText
			}
			if err := from.SendFrame(ctx, frames.Frame{Fin: i == len(parts)-1, Opcode: op, Payload: part}); err != nil {
				t.Fatal(err)
			}
			if err := from.SendPing(ctx, []byte("between")); err != nil {
				t.Fatal(err)
			}
		}
		if m := mustReceive(t, to); m.String() != "héllo" || m.Opcode != frames.OpText {
			t.Fatalf("got %s %q", m.Opcode, m.Data)
		}
	})
}

// The seed: pings don't break receive, and unsolicited pongs are ignored.
func TestPingsAndPongsDoNotDisturbReceive(t *testing.T) {
	bothSides(t, func(t *testing.T, clientSends bool) {
		p := newPair(t, AcceptOptions{}, nil)
		from, to := p.client, p.server
		if !clientSends {
			from, to = p.server, p.client
		}
		ctx := testCtx(t)
		for range 10 {
			if err := from.SendPing(ctx, []byte("are you there")); err != nil {
				t.Fatal(err)
			}
			if err := from.SendPong(ctx, []byte("unsolicited")); err != nil {
				t.Fatal(err)
			}
		}
		if err := from.SendText(ctx, "after pings"); err != nil {
			t.Fatal(err)
		}
		if m := mustReceive(t, to); m.String() != "after pings" {
			t.Fatalf("got %q", m.Data)
		}
	})
}

func TestPingIsAnsweredWithSamePayload(t *testing.T) {
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil))
	ctx := testCtx(t)
	before := cc.read.Load()
	if err := p.client.SendPing(ctx, []byte("echo me")); err != nil {
		t.Fatal(err)
	}
	// The pong (2-byte header + 7 bytes, unmasked from the server) is
	// all the client reads.
	for cc.read.Load()-before < 9 {
		if ctx.Err() != nil {
			t.Fatal("no pong arrived")
		}
	}
	if got := cc.read.Load() - before; got != 9 {
		t.Fatalf("client read %d bytes, want a 9-byte pong", got)
	}
}

// The seed: the server chooses "foo" from {"my awesome-protocol", "foo"}
// when the client offers {"foo", "my-awesome-protocol", "bar"}, and a
// custom response header reaches the client.
func TestSubprotocolAndResponseHeaderNegotiation(t *testing.T) {
	accept := AcceptOptions{
		Protocols: []string{"my awesome-protocol", "foo"},
		Header:    http.Header{"X-Custom": {"hello"}},
	}
	p := newPair(t, accept, nil, WithProtocols("foo", "my-awesome-protocol", "bar"))
	if p.client.Protocol() != "foo" || p.server.Protocol() != "foo" {
		t.Fatalf("protocols: client %q, server %q, want foo", p.client.Protocol(), p.server.Protocol())
	}
	if got := p.client.ResponseHeader().Get("X-Custom"); got != "hello" {
		t.Fatalf("X-Custom = %q", got)
	}
	if got := p.server.ResponseHeader().Get("Sec-WebSocket-Protocol"); got != "foo" {
		t.Fatalf("server's response header protocol = %q", got)
	}
}

func TestNoCommonSubprotocolChoosesNone(t *testing.T) {
	p := newPair(t, AcceptOptions{Protocols: []string{"a"}}, nil, WithProtocols("b"))
	if p.client.Protocol() != "" || p.server.Protocol() != "" {
		t.Fatalf("protocols %q %q, want none", p.client.Protocol(), p.server.Protocol())
	}
}

func TestSendRefusesWhatCannotBeSent(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"invalid text": p.client.Send(ctx, []byte("\xff"), frames.OpText),
		"long ping":    p.client.SendPing(ctx, make([]byte, 126)),
		"opcode 16":    p.client.Send(ctx, nil, 16),
		"raw frame":    p.client.SendFrame(ctx, frames.Frame{Opcode: frames.OpPing, Payload: []byte("x")}),
	} {
		if !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s: %v, want ErrInvalidMessage", name, err)
		}
	}
	if err := p.client.SendText(ctx, "still fine"); err != nil {
		t.Fatal(err)
	}
	if m := mustReceive(t, p.server); m.String() != "still fine" {
		t.Fatalf("got %q", m.Data)
	}
}

func TestInvalidMessageOnOutFailsWith1011(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	p.client.Out() <- Message{Opcode: frames.OpText, Data: []byte("\xff")}
	_, err := p.server.Receive(testCtx(t))
	wantClose(t, "server", err, frames.CloseInternalError)
	<-p.client.Done()
	if err := p.client.Err(); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("client's Err = %v, want ErrInvalidMessage", err)
	}
}

func TestStringAndState(t *testing.T) {
	c, err := NewFromURI("ws://example.com/chat", []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.String(); !strings.Contains(s, "client") || !strings.Contains(s, "connecting") || !strings.Contains(s, "ws://example.com/chat") {
		t.Fatalf("String() = %q", s)
	}
	if !slices.Equal(c.protocols, []string{"a", "b"}) {
		t.Fatal(c.protocols)
	}
	if err := c.Close(0, ""); err != nil {
		t.Fatalf("closing a connection that never connected: %v", err)
	}
	if c.State() != Closed {
		t.Fatal(c.State())
	}
	if err := c.Connect(testCtx(t)); err == nil {
		t.Fatal("Connect after Close succeeded")
	}
}

func TestHugeAnnouncedLengthWithoutLimitDoesNotPreallocate(t *testing.T) {
	// A header announcing 2^62 bytes, with the read limit off, must not
	// allocate (or panic) before the bytes arrive: the peer sends a few
	// and drops the connection.
	h := frames.AppendHeader(nil, frames.Header{Fin: true, Opcode: frames.OpBinary, Length: 1 << 62})
	url := rawServer(t, append(h, "only a few bytes"...), func(nc net.Conn, br *bufio.Reader) {})
	c, err := Dial(testCtx(t), url, WithReadLimit(0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(testCtx(t))
	wantClose(t, "Receive", err, frames.CloseAbnormal)
}
