package conn_test

// The conformance table: RFC 6455 sections 5 to 8, every rule a peer can
// trigger, run against wsactor as a server and as a client. The other end
// of each case is a rawpeer.Peer, which writes whatever bytes a case gives
// it and checks what wsactor answers: the exact frames, the close code,
// whether and when TCP is closed. This file is the harness; the cases are
// in the other conformance_*_test.go files, one group each.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/internal/rawpeer"
)

// side says which end of the connection wsactor is in a case.
type side string

const (
	asServer side = "server" // wsactor is the server, the raw peer its client
	asClient side = "client" // wsactor is the client, the raw peer its server
)

var sides = []side{asServer, asClient}

const (
	// caseTimeout bounds each case: no case waits longer on anything.
	caseTimeout = 20 * time.Second
	// prompt is how soon wsactor must act where RFC 6455 wants it done at
	// once (answer a close, close TCP after failing): well below the
	// close timeout, so waiting for that timeout cannot pass for prompt.
	prompt = 3 * time.Second
	// harnessCloseTimeout is the close timeout of every case that does
	// not set its own: long enough that prompt means something.
	harnessCloseTimeout = 8 * time.Second
	// quiet is how long a case watches a connection that must stay open
	// and silent.
	quiet = 100 * time.Millisecond
)

// handler is what the wsactor end runs once connected. It returns the
// error that ended it; the endpoint records it.
type handler func(ctx context.Context, c *conn.Conn, e *endpoint) error

// echo answers every data message with the same opcode and payload until
// the connection ends, and records what it received.
func echo(ctx context.Context, c *conn.Conn, e *endpoint) error {
	for {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		e.record(m)
		// After a close frame Send fails; the next Receive ends the loop.
		_ = c.Send(ctx, m.Data, m.Opcode)
	}
}

// endpoint is the wsactor end of a case.
type endpoint struct {
	started chan struct{} // closed once c is set
	done    chan struct{} // closed once the handler returned and c is Done
	c       *conn.Conn

	mu       sync.Mutex
	received []conn.Message
	handled  error // the error the handler returned
	final    error // c.Err() once Done
}

func newEndpoint() *endpoint {
	return &endpoint{started: make(chan struct{}), done: make(chan struct{})}
}

// run runs h on c, then waits for c to end. It closes done in any case.
func (e *endpoint) run(ctx context.Context, c *conn.Conn, h handler) {
	defer close(e.done)
	e.c = c
	close(e.started)
	err := h(ctx, c, e)
	<-c.Done()
	e.mu.Lock()
	e.handled, e.final = err, c.Err()
	e.mu.Unlock()
}

func (e *endpoint) record(m conn.Message) {
	e.mu.Lock()
	e.received = append(e.received, m)
	e.mu.Unlock()
}

// messages returns the data messages the handler received so far.
func (e *endpoint) messages() []conn.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]conn.Message(nil), e.received...)
}

// wsConn returns the wsactor connection, once connected.
func (e *endpoint) wsConn(t *testing.T) *conn.Conn {
	t.Helper()
	select {
	case <-e.started:
		return e.c
	case <-time.After(caseTimeout):
		t.Fatal("the wsactor end never connected")
		return nil
	}
}

// wait waits, at most d, for the wsactor end to be over and returns how it
// ended: Err of its connection.
func (e *endpoint) wait(t *testing.T, d time.Duration) error {
	t.Helper()
	select {
	case <-e.done:
	case <-time.After(d):
		t.Fatalf("the wsactor end did not end within %v", d)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.final
}

// confCase is one row of the conformance table.
type confCase struct {
	name    string
	opts    []conn.Option
	handler handler // nil: echo
	only    side    // "": both sides
	run     func(x *exchange)
	// peerExt is the Sec-WebSocket-Extensions field the raw peer sends: its
	// offer as a client, its answer as a server.
	peerExt string
}

// runTable runs every case on each side, in parallel, each on a
// connection of its own.
func runTable(t *testing.T, cases []confCase) {
	for _, s := range sides {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				if tc.only != "" && tc.only != s {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(open(t, s, tc))
				})
			}
		})
	}
}

// exchange is one case under way: the raw peer, the wsactor end, and the
// checks a case makes on them.
type exchange struct {
	t    *testing.T
	side side
	ctx  context.Context
	p    *rawpeer.Peer
	e    *endpoint
}

// open connects a raw peer to a wsactor end of side s that runs the case's
// handler with its options. Everything is torn down when the test ends.
func open(t *testing.T, s side, tc confCase) *exchange {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	h := tc.handler
	if h == nil {
		h = echo
	}
	opts := append([]conn.Option{conn.WithCloseTimeout(harnessCloseTimeout)}, tc.opts...)
	e := newEndpoint()
	var p *rawpeer.Peer
	var err error
	switch s {
	case asServer:
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, opts...)
			if err != nil {
				t.Errorf("Upgrade: %v", err)
				close(e.done)
				return
			}
			e.run(ctx, c, h)
		}))
		t.Cleanup(ts.Close)
		var header http.Header
		if tc.peerExt != "" {
			header = http.Header{"Sec-Websocket-Extensions": {tc.peerExt}}
		}
		p, err = rawpeer.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/", header)
	case asClient:
		var l *rawpeer.Listener
		l, err = rawpeer.Listen()
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		l.Extensions = tc.peerExt
		go func() {
			c, err := conn.Dial(ctx, l.URL(), append([]conn.Option{conn.WithProxy(nil)}, opts...)...)
			if err != nil {
				t.Errorf("Dial: %v", err)
				close(e.done)
				return
			}
			e.run(ctx, c, h)
		}()
		p, err = l.Accept(ctx)
	}
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	t.Cleanup(func() {
		// Whatever state the case left the connection in, a closed TCP
		// connection ends the wsactor end promptly.
		p.Close()
		select {
		case <-e.done:
		case <-time.After(caseTimeout):
			t.Error("the wsactor end did not end after the peer closed TCP")
		}
	})
	return &exchange{t: t, side: s, ctx: ctx, p: p, e: e}
}

// frame returns a frame as a well-behaved peer on the raw side sends it.
func (x *exchange) frame(fin bool, op frames.Opcode, payload []byte) frames.Frame {
	return x.p.Frame(fin, op, payload)
}

// send writes fs in one write.
func (x *exchange) send(fs ...frames.Frame) {
	x.t.Helper()
	if err := x.p.WriteFrames(x.ctx, fs...); err != nil {
		x.t.Fatalf("send: %v", err)
	}
}

// sendChopped writes fs in pieces of n bytes.
func (x *exchange) sendChopped(n int, fs ...frames.Frame) {
	x.t.Helper()
	var b []byte
	for _, f := range fs {
		b = append(b, rawpeer.Encode(f)...)
	}
	if err := x.p.WriteChopped(x.ctx, b, n); err != nil {
		x.t.Fatalf("send: %v", err)
	}
}

// sendBytes writes raw bytes.
func (x *exchange) sendBytes(b []byte) {
	x.t.Helper()
	if err := x.p.Write(x.ctx, b); err != nil {
		x.t.Fatalf("send: %v", err)
	}
}

// text and binary send a whole message in one frame.
func (x *exchange) text(s string)   { x.t.Helper(); x.send(x.frame(true, frames.OpText, []byte(s))) }
func (x *exchange) binary(b []byte) { x.t.Helper(); x.send(x.frame(true, frames.OpBinary, b)) }

// expectEcho checks that the next thing wsactor sends is the message op
// with payload.
func (x *exchange) expectEcho(op frames.Opcode, payload []byte) {
	x.t.Helper()
	gotOp, got, err := x.p.ReadMessage(x.ctx)
	if err != nil {
		x.t.Fatalf("waiting for the echo of %s (%d bytes): %v", op, len(payload), err)
	}
	if gotOp != op || !bytes.Equal(got, payload) {
		x.t.Fatalf("echo: got %s %s, want %s %s", gotOp, show(got), op, show(payload))
	}
}

// roundTrip sends a text message and checks its echo: the connection still
// works.
func (x *exchange) roundTrip(s string) {
	x.t.Helper()
	x.text(s)
	x.expectEcho(frames.OpText, []byte(s))
}

// expectFrame checks that the next frame wsactor sends is op with payload,
// unfragmented and without reserved bits.
func (x *exchange) expectFrame(op frames.Opcode, payload []byte) {
	x.t.Helper()
	f, err := x.p.ReadFrame(x.ctx)
	if err != nil {
		x.t.Fatalf("waiting for a %s frame: %v", op, err)
	}
	if f.Opcode != op || !f.Fin || f.RSV1 || f.RSV2 || f.RSV3 || !bytes.Equal(f.Payload, payload) {
		x.t.Fatalf("got %s frame (fin %t, rsv %t %t %t) %s, want %s %s",
			f.Opcode, f.Fin, f.RSV1, f.RSV2, f.RSV3, show(f.Payload), op, show(payload))
	}
}

// expectClose checks that the next frame wsactor sends is a close frame
// with code, promptly, and returns its reason.
func (x *exchange) expectClose(code frames.CloseCode) string {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(x.ctx, prompt)
	defer cancel()
	got, reason, err := x.p.ReadClose(ctx)
	if err != nil {
		x.t.Fatalf("waiting for a close frame with %d: %v", code, err)
	}
	if got != code {
		x.t.Fatalf("close frame: got code %d (%q), want %d", got, reason, code)
	}
	return reason
}

// expectEOF checks that wsactor closes TCP within d.
func (x *exchange) expectEOF(d time.Duration) {
	x.t.Helper()
	ctx, cancel := context.WithTimeout(x.ctx, d)
	defer cancel()
	if err := x.p.ExpectEOF(ctx); err != nil {
		x.t.Fatalf("waiting %v for wsactor to close TCP: %v", d, err)
	}
}

// expectOpen checks that wsactor sends nothing and keeps TCP open for a
// while.
func (x *exchange) expectOpen() {
	x.t.Helper()
	if err := x.p.ExpectOpen(x.ctx, quiet); err != nil {
		x.t.Fatalf("the connection should stay open and quiet: %v", err)
	}
}

// expectEnd checks how the wsactor end ended: a *CloseError with code,
// with a cause (a violation, a network error) or without one (a clean
// closing handshake).
func (x *exchange) expectEnd(code frames.CloseCode, withCause bool) *conn.CloseError {
	x.t.Helper()
	err := x.e.wait(x.t, prompt)
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		x.t.Fatalf("the wsactor end ended with %v, want a *conn.CloseError", err)
	}
	if ce.Code != code || (ce.Err != nil) != withCause {
		x.t.Fatalf("the wsactor end ended with %v (code %d, cause %v), want code %d with a cause: %t", err, ce.Code, ce.Err, code, withCause)
	}
	return ce
}

// fails checks that wsactor fails the connection (RFC 6455 section 7.1.7):
// at once, a close frame with code, then TCP closed, and the end reported
// with that code and the violation as its cause.
func (x *exchange) fails(code frames.CloseCode) {
	x.t.Helper()
	x.expectClose(code)
	x.expectEOF(prompt)
	x.expectEnd(code, true)
}

// closesCleanly is the end of a closing handshake the raw peer started with
// a close frame carrying wantEcho (0: none) and that wsactor must answer.
// It checks the answer, then that the server closes TCP first (RFC 6455
// section 7.1.1): wsactor as server closes it at once, wsactor as client
// waits for the raw server to close it. The wsactor end reports code and
// reason without a cause.
func (x *exchange) closesCleanly(echoed, code frames.CloseCode, reason string) {
	x.t.Helper()
	x.expectClose(echoed)
	x.finishClose()
	ce := x.expectEnd(code, false)
	if ce.Reason != reason {
		x.t.Fatalf("the wsactor end reported reason %q, want %q", ce.Reason, reason)
	}
}

// finishClose is the TCP end of a completed closing handshake: the server
// closes first.
func (x *exchange) finishClose() {
	x.t.Helper()
	switch x.side {
	case asServer:
		x.expectEOF(prompt)
	case asClient:
		x.expectOpen()
		x.p.Close()
	}
}

// closeFrame returns a close frame with code (none for 0) and reason.
func (x *exchange) closeFrame(code frames.CloseCode, reason string) frames.Frame {
	return x.frame(true, frames.OpClose, closePayload(code, reason))
}

// closePayload builds a close payload without validating it: any code, any
// reason bytes. Code 0 means no payload at all.
func closePayload(code frames.CloseCode, reason string) []byte {
	if code == 0 {
		return nil
	}
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

// show describes a payload briefly for failure messages.
func show(b []byte) string {
	if len(b) <= 32 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("%q... (%d bytes)", b[:32], len(b))
}
