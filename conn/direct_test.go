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
	for _, s := range []string{"one", "two"} {
		if m := mustReceive(t, p.client); m.String() != s {
			t.Fatalf("got %q, want %q", m.Data, s)
		}
	}
	if m := mustReceive(t, p.client); !bytes.Equal(m.Data, want) {
		t.Fatalf("large message of %d bytes differs from the one sent", len(m.Data))
	}
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
