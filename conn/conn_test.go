package conn

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// The seed's two-sided exchanges: each payload sent by each side arrives
// intact, with its opcode, at the other.
func TestSendReceiveBothWays(t *testing.T) {
	cases := []struct {
		name string
		msg  Message
	}{
		{"one char", TextMessage("f")},
		{"200 chars", TextMessage(strings.Repeat("f", 200))},
		{"100000 chars", TextMessage(strings.Repeat("f", 100000))},
		{"binary", BinaryMessage([]byte("\x00\x01\x7f\xff"))},
		{"CRLF", TextMessage("\r\n")},
		{"empty text", TextMessage("")},
		{"empty binary", BinaryMessage([]byte{})},
	}
	p := newPair(t, AcceptOptions{}, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, dir := range [][2]*Conn{{p.client, p.server}, {p.server, p.client}} {
				from, to := dir[0], dir[1]
				if err := from.Send(testCtx(t), tc.msg.Data, tc.msg.Opcode); err != nil {
					t.Fatalf("Send: %v", err)
				}
				got := mustReceive(t, to)
				if got.Opcode != tc.msg.Opcode || !bytes.Equal(got.Data, tc.msg.Data) {
					t.Fatalf("got %s %q (%d bytes), want %s (%d bytes)", got.Opcode, trunc(got.Data), len(got.Data), tc.msg.Opcode, len(tc.msg.Data))
				}
			}
		})
	}
}

func trunc(b []byte) []byte {
	if len(b) > 20 {
		return b[:20]
	}
	return b
}

func TestCloseFromEitherSide(t *testing.T) {
	for _, clientCloses := range []bool{true, false} {
		name := map[bool]string{true: "client", false: "server"}[clientCloses]
		t.Run(name, func(t *testing.T) {
			p := newPair(t, AcceptOptions{}, nil)
			closer, other := p.server, p.client
			if clientCloses {
				closer, other = p.client, p.server
			}
			if err := closer.Close(frames.CloseGoingAway, "bye"); err != nil {
				t.Fatalf("Close: %v", err)
			}
			_, err := other.Receive(testCtx(t))
			var ce *CloseError
			if !errors.As(err, &ce) || ce.Code != frames.CloseGoingAway || ce.Reason != "bye" {
				t.Fatalf("peer's Receive = %v, want CloseError 1001 bye", err)
			}
			<-other.Done()
			if closer.State() != Closed || other.State() != Closed {
				t.Fatalf("states %v %v, want closed", closer.State(), other.State())
			}
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("errors.Is(%v, ErrClosed) = false", err)
			}
		})
	}
}

func TestAcceptedServerHoldsNothingOfTheRequest(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	// net/http's response, with its connection's buffers, and the
	// request go once the handshake is done: the connection outlives them.
	if p.server.w != nil || p.server.hsReq != nil {
		t.Fatal("the server connection still holds the HTTP request or response writer")
	}
	if s := p.server.String(); !strings.Contains(s, p.client.LocalAddr().String()) {
		t.Fatalf("String() = %q, want the client's address %s", s, p.client.LocalAddr())
	}
}
