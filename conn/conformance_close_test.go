package conn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/internal/rawpeer"
)

// closeBy is a handler that closes the connection with code and reason at
// once, and returns what Close returned.
func closeBy(code frames.CloseCode, reason string) handler {
	return func(ctx context.Context, c *conn.Conn, e *endpoint) error {
		return c.Close(code, reason)
	}
}

// RFC 6455 sections 5.5.1, 7 and 7.4: the closing handshake started by
// either end, the close payload's rules (its code and its UTF-8 reason),
// and how a connection ends when the peer does not play its part.
func TestConformanceClosing(t *testing.T) {
	var cases []confCase

	// A peer's close is answered with its code, and reported with its code
	// and reason.
	for _, code := range []frames.CloseCode{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, confCase{
			name: fmt.Sprintf("peer closes with %d", code),
			run: func(x *exchange) {
				x.send(x.closeFrame(code, "reason"))
				x.closesCleanly(code, code, "reason")
			},
		})
	}
	// Codes that may not appear on the wire fail the connection.
	for _, code := range []frames.CloseCode{1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, confCase{
			name: fmt.Sprintf("peer closes with %d, which is not allowed on the wire", code),
			run: func(x *exchange) {
				x.send(x.closeFrame(code, ""))
				x.fails(frames.CloseProtocolError)
			},
		})
	}
	cases = append(cases,
		confCase{
			// Section 7.1.5: no status code is reported as 1005, and the
			// answer carries none either.
			name: "peer closes without a payload",
			run: func(x *exchange) {
				x.send(x.closeFrame(0, ""))
				x.expectFrame(frames.OpClose, nil)
				x.finishClose()
				x.expectEnd(frames.CloseNoStatus, false)
			},
		},
		confCase{
			name: "peer closes with a one-byte payload",
			run: func(x *exchange) {
				x.send(x.frame(true, frames.OpClose, []byte{0x03}))
				x.fails(frames.CloseProtocolError)
			},
		},
		confCase{
			name: "peer closes with a 123-byte reason",
			run: func(x *exchange) {
				reason := strings.Repeat("r", 123)
				x.send(x.closeFrame(frames.CloseNormal, reason))
				x.closesCleanly(frames.CloseNormal, frames.CloseNormal, reason)
			},
		},
		confCase{
			// 2 bytes of code and 124 of reason: a control frame over 125.
			name: "peer closes with a 124-byte reason",
			run: func(x *exchange) {
				x.send(x.closeFrame(frames.CloseNormal, strings.Repeat("r", 124)))
				x.fails(frames.CloseProtocolError)
			},
		},
		confCase{
			name: "peer closes with a reason that is not UTF-8",
			run: func(x *exchange) {
				x.send(x.closeFrame(frames.CloseNormal, "bad \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80 reason"))
				x.fails(frames.CloseInvalidPayload)
			},
		},
		confCase{
			name: "peer closes with a reason of valid multi-byte UTF-8",
			run: func(x *exchange) {
				reason := "κόσμε ✓ 𝄞"
				x.send(x.closeFrame(frames.CloseGoingAway, reason))
				x.closesCleanly(frames.CloseGoingAway, frames.CloseGoingAway, reason)
			},
		},
		confCase{
			// Section 5.5.1: after its close frame, the peer sends no more
			// data; anything it sends anyway is ignored: no echo, no pong.
			name: "data and a ping after the peer's close are ignored",
			run: func(x *exchange) {
				x.send(x.closeFrame(frames.CloseNormal, "done"),
					x.frame(true, frames.OpText, []byte("after close")),
					x.frame(true, frames.OpPing, []byte("after close")))
				x.closesCleanly(frames.CloseNormal, frames.CloseNormal, "done")
				if got := x.e.messages(); len(got) != 0 {
					x.t.Fatalf("a message after the close was delivered: %v", got)
				}
			},
		},
		confCase{
			// A close frame cut into single bytes still closes.
			name: "peer's close byte by byte",
			run: func(x *exchange) {
				x.sendChopped(1, x.closeFrame(frames.CloseNormal, "slowly"))
				x.closesCleanly(frames.CloseNormal, frames.CloseNormal, "slowly")
			},
		},
		confCase{
			// Section 7.1.2: wsactor starts the handshake, the peer answers,
			// and the server closes TCP first.
			name:    "wsactor closes and the peer answers",
			handler: closeBy(frames.CloseNormal, "bye"),
			run: func(x *exchange) {
				if reason := x.expectClose(frames.CloseNormal); reason != "bye" {
					x.t.Fatalf("close reason %q, want \"bye\"", reason)
				}
				x.send(x.closeFrame(frames.CloseNormal, "bye"))
				x.finishClose()
				x.expectEnd(frames.CloseNormal, false)
			},
		},
		confCase{
			// After its close frame wsactor sends no data frame, but it
			// still reads until the peer's answer.
			name: "wsactor closes while the peer is still sending",
			handler: func(ctx context.Context, c *conn.Conn, e *endpoint) error {
				if _, err := c.Receive(ctx); err != nil {
					return err
				}
				return c.Close(frames.CloseGoingAway, "")
			},
			run: func(x *exchange) {
				x.text("first")
				x.expectClose(frames.CloseGoingAway)
				x.text("in flight")
				x.send(x.closeFrame(frames.CloseGoingAway, ""))
				x.finishClose()
				x.expectEnd(frames.CloseGoingAway, false)
			},
		},
		confCase{
			// The close timeout bounds the wait for an answer that never
			// comes; the end is abnormal (1006) and says why.
			name:    "peer never answers wsactor's close",
			opts:    []conn.Option{conn.WithCloseTimeout(200 * time.Millisecond)},
			handler: closeBy(frames.CloseNormal, ""),
			run: func(x *exchange) {
				x.expectClose(frames.CloseNormal)
				start := time.Now()
				x.expectEOF(prompt)
				if waited := time.Since(start); waited < 100*time.Millisecond {
					x.t.Fatalf("wsactor closed TCP %v after its close frame, before the close timeout", waited)
				}
				ce := x.expectEnd(frames.CloseAbnormal, true)
				if !errors.Is(ce, conn.ErrCloseTimeout) {
					x.t.Fatalf("the end %v does not wrap ErrCloseTimeout", ce)
				}
			},
		},
		confCase{
			// Section 7.1.1, the client's side: having answered the
			// server's close, it waits for the server to close TCP, for at
			// most the close timeout.
			name: "server never closes TCP after the handshake",
			only: asClient,
			opts: []conn.Option{conn.WithCloseTimeout(200 * time.Millisecond)},
			run: func(x *exchange) {
				x.send(x.closeFrame(frames.CloseNormal, ""))
				x.expectClose(frames.CloseNormal)
				x.expectEOF(prompt)
				x.expectEnd(frames.CloseNormal, false)
			},
		},
		confCase{
			// Section 7.1.5: a connection that ends without a close frame
			// is closed abnormally, 1006, with the network's error.
			name: "peer closes TCP without a close frame",
			run: func(x *exchange) {
				x.roundTrip("hello")
				x.p.Close()
				x.expectEnd(frames.CloseAbnormal, true)
			},
		},
		confCase{
			name: "peer closes TCP in the middle of a frame",
			run: func(x *exchange) {
				b := rawpeer.Encode(x.frame(true, frames.OpBinary, make([]byte, 1000)))
				x.sendBytes(b[:500])
				x.p.Close()
				x.expectEnd(frames.CloseAbnormal, true)
			},
		},
	)
	runTable(t, cases)
}

// header returns the header of a frame of op that announces length bytes
// of payload, as the raw peer's side sends it (masked from a client).
func (x *exchange) header(fin bool, op frames.Opcode, length int64) []byte {
	f := x.frame(fin, op, nil)
	h := f.Header()
	h.Length = length
	return frames.AppendHeader(nil, h)
}

// RFC 6455 section 10.4: an endpoint may limit the size of the messages it
// takes. wsactor fails a message over its limit with 1009 as soon as a
// frame header announces it, before the payload arrives.
func TestConformanceLimits(t *testing.T) {
	const limit = 64 << 10
	limited := []conn.Option{conn.WithReadLimit(limit)}
	runTable(t, []confCase{
		{
			name: "a message at the limit is taken",
			opts: limited,
			run: func(x *exchange) {
				payload := make([]byte, limit)
				x.binary(payload)
				x.expectEcho(frames.OpBinary, payload)
			},
		},
		{
			// Only the header is sent: the verdict cannot wait for the
			// payload.
			name: "a frame announcing one byte over the limit",
			opts: limited,
			run: func(x *exchange) {
				x.sendBytes(x.header(true, frames.OpBinary, limit+1))
				x.fails(frames.CloseMessageTooBig)
			},
		},
		{
			name: "a frame announcing 2^63-1 bytes",
			opts: limited,
			run: func(x *exchange) {
				x.sendBytes(x.header(true, frames.OpText, 1<<63-1))
				x.fails(frames.CloseMessageTooBig)
			},
		},
		{
			// The fragments are each under the limit; their sum is not.
			name: "fragments that add up to more than the limit",
			opts: limited,
			run: func(x *exchange) {
				half := make([]byte, limit/2+1)
				x.send(x.frame(false, frames.OpBinary, half))
				x.sendBytes(x.header(true, frames.OpContinuation, int64(len(half))))
				x.fails(frames.CloseMessageTooBig)
			},
		},
	})
}
