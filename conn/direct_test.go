package conn

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// patterned returns n bytes that differ from their neighbours.
func patterned(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

func TestLargeServerSendArrivesWholeAndInOrder(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	large := patterned(directMin + 12345)
	if err := p.server.SendText(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	if err := p.server.Send(ctx, large, frames.OpBinary); err != nil {
		t.Fatal(err)
	}
	p.server.Out() <- TextMessage("after")
	if m := mustReceive(t, p.client); m.String() != "before" {
		t.Fatalf("first message %q, want before", m.Data)
	}
	if m := mustReceive(t, p.client); !bytes.Equal(m.Data, large) {
		t.Fatalf("large message of %d bytes differs from the %d sent", len(m.Data), len(large))
	}
	if m := mustReceive(t, p.client); m.String() != "after" {
		t.Fatalf("third message %q, want after", m.Data)
	}
}

// stalledPair returns a pair whose client stops reading its socket after
// two small messages from the server, which it does not receive until the
// test says so: the server's socket then fills up.
func stalledPair(t *testing.T) pair {
	p := newPair(t, AcceptOptions{}, nil, WithReceiveQueue(1, 1), WithReadLimit(64<<20))
	ctx := testCtx(t)
	for _, s := range []string{"one", "two"} {
		if err := p.server.SendText(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// receiveStalled receives the two messages stalledPair's client held back,
// then a large one, which must be want.
func receiveStalled(t *testing.T, p pair, want []byte) {
	t.Helper()
	for _, s := range []string{"one", "two"} {
		if m := mustReceive(t, p.client); m.String() != s {
			t.Fatalf("got %q, want %q", m.Data, s)
		}
	}
	if m := mustReceive(t, p.client); !bytes.Equal(m.Data, want) {
		t.Fatalf("large message of %d bytes differs from the %d sent", len(m.Data), len(want))
	}
}

func TestLargeSendWhoseContextEndsMidWriteIsSentWhole(t *testing.T) {
	p := stalledPair(t)
	large := patterned(32 << 20) // more than loopback's socket buffers hold
	want := bytes.Clone(large)
	short, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
	defer cancel()
	if err := p.server.Send(short, large, frames.OpBinary); err != nil {
		t.Fatalf("Send cut short while the writer sends it = %v, want nil (it is finished from a copy)", err)
	}
	for i := range large {
		large[i] = 0xff // the caller may reuse its slice at once
	}
	receiveStalled(t, p, want)
}

// fillMailbox sends 64 KiB messages (copied into the mailbox) until one
// times out: the writer is then stuck in a write and the mailbox is full.
// It returns how many were sent.
func fillMailbox(t *testing.T, c *Conn) int {
	t.Helper()
	msg := make([]byte, 64<<10)
	for sent := 0; sent < 10000; sent++ {
		ctx, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
		err := c.Send(ctx, msg, frames.OpBinary)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			return sent
		} else if err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("the server's sends never blocked")
	return 0
}

func TestLargeSendWithdrawnBeforeTheWriterStartsSendsNothing(t *testing.T) {
	p := stalledPair(t)
	sent := fillMailbox(t, p.server)
	short, cancel := context.WithTimeout(testCtx(t), 100*time.Millisecond)
	defer cancel()
	if err := p.server.Send(short, patterned(directMin), frames.OpBinary); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send that the writer never got to = %v, want DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- p.server.SendText(testCtx(t), "after") }()
	mustReceive(t, p.client)
	mustReceive(t, p.client)
	for range sent {
		if m := mustReceive(t, p.client); len(m.Data) != 64<<10 {
			t.Fatalf("got %d bytes, want the 64 KiB messages queued before", len(m.Data))
		}
	}
	if m := mustReceive(t, p.client); m.String() != "after" {
		t.Fatalf("got %d bytes, want the message after the withdrawn one", len(m.Data))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCloseFrameQueuedBehindALargeSendFollowsIt(t *testing.T) {
	p := stalledPair(t)
	sent := fillMailbox(t, p.server)
	large := patterned(directMin)
	sendDone := make(chan error, 1)
	go func() { sendDone <- p.server.Send(testCtx(t), large, frames.OpBinary) }()
	time.Sleep(50 * time.Millisecond) // the large frame waits behind the full mailbox
	closeDone := make(chan error, 1)
	go func() { closeDone <- p.server.Close(frames.CloseNormal, "") }()
	time.Sleep(50 * time.Millisecond) // the close frame is queued behind it
	for range sent + 2 {
		mustReceive(t, p.client)
	}
	if m := mustReceive(t, p.client); !bytes.Equal(m.Data, large) {
		t.Fatalf("got %d bytes, want the large message before the close", len(m.Data))
	}
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	var ce *CloseError
	if _, err := p.client.Receive(testCtx(t)); !errors.As(err, &ce) || ce.Code != frames.CloseNormal {
		t.Fatalf("after the large message: %v, want the server's close (1000)", err)
	}
	if err := <-closeDone; err != nil {
		t.Fatalf("Close = %v", err)
	}
}

// leftToWriter waits until c's sender has written part of a large frame
// itself and left the rest, which the full socket did not take, to the
// writer.
func leftToWriter(t *testing.T, c *Conn) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		c.mb.mu.Lock()
		d := c.mb.direct
		started := d != nil && d.started
		c.mb.mu.Unlock()
		if started {
			return
		}
	}
	t.Fatal("the large frame was never left to the writer")
}

func TestLargeSendItsSenderBeganFinishesBeforeWhatFollows(t *testing.T) {
	p := stalledPair(t)
	ctx := testCtx(t)
	large := patterned(32 << 20) // more than loopback's socket buffers hold
	sendDone := make(chan error, 1)
	go func() { sendDone <- p.server.Send(ctx, large, frames.OpBinary) }()
	leftToWriter(t, p.server)
	// A ping goes ahead of queued data, but not into the middle of a
	// frame; the close frame follows everything.
	if err := p.server.SendPing(ctx, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	closeDone := make(chan error, 1)
	go func() { closeDone <- p.server.Close(frames.CloseNormal, "") }()
	receiveStalled(t, p, large)
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
	var ce *CloseError
	if _, err := p.client.Receive(ctx); !errors.As(err, &ce) || ce.Code != frames.CloseNormal {
		t.Fatalf("after the large message: %v, want the server's close (1000)", err)
	}
	if err := <-closeDone; err != nil {
		t.Fatalf("Close = %v", err)
	}
}

func TestLargeSendItsSenderBeganIsNotWithdrawn(t *testing.T) {
	p := stalledPair(t)
	large := patterned(32 << 20)
	want := bytes.Clone(large)
	short, cancel := context.WithCancel(testCtx(t))
	sendDone := make(chan error, 1)
	go func() { sendDone <- p.server.Send(short, large, frames.OpBinary) }()
	leftToWriter(t, p.server)
	cancel()
	if err := <-sendDone; err != nil {
		t.Fatalf("Send of a frame partly written, cancelled = %v, want nil (it is finished from a copy)", err)
	}
	for i := range large {
		large[i] = 0xff // the caller may reuse its slice at once
	}
	for range 2 {
		mustReceive(t, p.client)
	}
	if m := mustReceive(t, p.client); !bytes.Equal(m.Data, want) {
		t.Fatalf("large message of %d bytes differs from the one sent", len(m.Data))
	}
}

func TestTakeHandsOverTheRestOfAFrameItsSenderBeganAlone(t *testing.T) {
	var mb mailbox
	mb.init(false, 1<<20)
	d := &direct{data: []byte("rest of the payload"), started: true, done: make(chan error, 1)}
	mb.direct = d
	ctx := context.Background()
	if err := mb.put(ctx, frames.Header{Fin: true, Opcode: frames.OpPing}, nil, controlFrame); err != nil {
		t.Fatal(err)
	}
	if err := mb.put(ctx, frames.Header{Fin: true, Opcode: frames.OpClose}, nil, closeFrame); err != nil {
		t.Fatal(err)
	}
	urgent, pending, got, closeIn, _ := mb.take()
	if got != d || urgent != nil || pending != nil || closeIn {
		t.Fatalf("take = urgent %d bytes, pending %d bytes, direct %v, close %v; want the started frame alone", urgent.len(), pending.len(), got != nil, closeIn)
	}
	mb.finishDirect(d, nil)
	if err := <-d.done; err != nil {
		t.Fatal(err)
	}
	urgent, pending, got, closeIn, _ = mb.take()
	if got != nil || urgent.len() == 0 || pending.len() == 0 || !closeIn {
		t.Fatalf("then take = urgent %d bytes, pending %d bytes, direct %v, close %v; want the ping, then the close", urgent.len(), pending.len(), got != nil, closeIn)
	}
}

// ownedWhole reports whether c's large frame is being written by its
// sender alone: the sender holds the socket and has left nothing to the
// writer.
func ownedWhole(c *Conn) bool {
	c.mb.mu.Lock()
	defer c.mb.mu.Unlock()
	return c.mb.owned && c.mb.direct == nil
}

func TestLargeSendThatCannotBeCancelledIsWrittenWholeByItsSender(t *testing.T) {
	p := stalledPair(t)
	large := patterned(32 << 20) // more than loopback's socket buffers hold
	sendDone := make(chan error, 1)
	go func() { sendDone <- p.server.Send(context.Background(), large, frames.OpBinary) }()
	// The socket is full within microseconds; a sender that gave up on it
	// would have left the rest to the writer by now.
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-sendDone:
		t.Fatalf("Send returned %v before the peer read the frame", err)
	default:
	}
	if !ownedWhole(p.server) {
		t.Fatal("a sender whose context cannot end left its large frame to the writer")
	}
	receiveStalled(t, p, large)
	if err := <-sendDone; err != nil {
		t.Fatal(err)
	}
}

func TestLargeSendThatCannotBeCancelledEndsWithTheConnection(t *testing.T) {
	p := newPair(t, AcceptOptions{}, []Option{WithCloseTimeout(100 * time.Millisecond)},
		WithReceiveQueue(1, 1), WithReadLimit(64<<20), WithCloseTimeout(100*time.Millisecond))
	for _, s := range []string{"one", "two"} { // the client holds them, and reads no more
		if err := p.server.SendText(testCtx(t), s); err != nil {
			t.Fatal(err)
		}
	}
	sendDone := make(chan error, 1)
	go func() { sendDone <- p.server.Send(context.Background(), patterned(32<<20), frames.OpBinary) }()
	for deadline := time.Now().Add(10 * time.Second); !ownedWhole(p.server); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sender never held the socket")
		}
	}
	// The client reads nothing more: the close frame cannot get past the
	// large one, and the close timeout ends the connection, and the Send.
	closeDone := make(chan error, 1)
	go func() { closeDone <- p.server.Close(frames.CloseNormal, "") }()
	select {
	case err := <-sendDone:
		if err == nil {
			t.Fatal("Send of a frame the peer never read = nil")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Send still waits after the connection's close timeout")
	}
	if err := <-closeDone; err == nil {
		t.Fatal("Close of a connection whose close frame never went out = nil")
	}
	<-p.server.Done()
}

// writtenFrom reports whether the large frame c's writer has taken is
// being written from data's own memory.
func writtenFrom(c *Conn, data []byte) bool {
	c.mb.mu.Lock()
	d := c.mb.direct
	c.mb.mu.Unlock()
	if d == nil || !d.taken {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.data) > 0 && &d.data[len(d.data)-1] == &data[len(data)-1]
}

func TestLargeMessageOnOutIsWrittenFromItsData(t *testing.T) {
	p := stalledPair(t)
	large := patterned(32 << 20) // more than loopback's socket buffers hold
	small := []byte("after")
	ctx := testCtx(t)
	for _, m := range []Message{{Opcode: frames.OpBinary, Data: large}, {Opcode: frames.OpText, Data: small}} {
		select {
		case p.server.Out() <- m:
		case <-ctx.Done():
			t.Fatal("Out took nothing")
		}
	}
	for deadline := time.Now().Add(10 * time.Second); !writtenFrom(p.server, large); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the writer copied the large message from Out instead of writing it from its Data")
		}
	}
	receiveStalled(t, p, large)
	if m := mustReceive(t, p.client); m.String() != "after" {
		t.Fatalf("the message queued behind the large one = %q, want after", m.Data)
	}
}
