package conn

import (
	"crypto/sha256"
	"io"
	"slices"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// pattern is n bytes that differ from position to position.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func TestStreamedMessageBothWays(t *testing.T) {
	const size = 8 << 20
	bothSides(t, func(t *testing.T, clientSends bool) {
		p := newPair(t, AcceptOptions{}, nil)
		from, to := p.client, p.server
		if !clientSends {
			from, to = p.server, p.client
		}
		ctx := testCtx(t)
		want := pattern(size)
		got := make(chan [32]byte, 1)
		go func() {
			op, r, err := to.NextReader(ctx)
			if err != nil || op != frames.OpBinary {
				t.Errorf("NextReader: %s, %v", op, err)
				got <- [32]byte{}
				return
			}
			h := sha256.New()
			n, err := io.Copy(h, r)
			if err != nil || n != size {
				t.Errorf("read %d bytes: %v", n, err)
			}
			got <- [32]byte(h.Sum(nil))
		}()
		w, err := from.NextWriter(ctx, frames.OpBinary)
		if err != nil {
			t.Fatal(err)
		}
		for chunk := range slices.Chunk(want, 64<<10) {
			if _, err := w.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if <-got != sha256.Sum256(want) {
			t.Fatal("the streamed message arrived changed")
		}
		// The connection goes on with whole messages.
		from.SendText(ctx, "next")
		if m := mustReceive(t, to); m.String() != "next" {
			t.Fatalf("got %q", m.Data)
		}
	})
}

func TestNextReaderReturnsQueuedWholeMessagesFirst(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	p.client.SendText(ctx, "queued")
	for len(p.server.In()) == 0 {
		if ctx.Err() != nil {
			t.Fatal("nothing arrived")
		}
	}
	op, r, err := p.server.NextReader(ctx)
	if err != nil || op != frames.OpText {
		t.Fatal(op, err)
	}
	if b, _ := io.ReadAll(r); string(b) != "queued" {
		t.Fatalf("got %q", b)
	}
}

func TestClosingAStreamDiscardsTheRest(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	got := make(chan Message, 1)
	go func() {
		_, r, err := p.server.NextReader(ctx)
		if err != nil {
			t.Error(err)
			return
		}
		buf := make([]byte, 10)
		io.ReadFull(r, buf)
		r.Close()
		m, _ := p.server.Receive(ctx)
		got <- m
	}()
	w, _ := p.client.NextWriter(ctx, frames.OpBinary)
	w.Write(pattern(1 << 20))
	w.Write(pattern(1 << 20))
	w.Close()
	p.client.SendText(ctx, "after the stream")
	if m := <-got; m.String() != "after the stream" {
		t.Fatalf("got %q", trunc(m.Data))
	}
}

func TestStreamedTextIsValidatedAcrossWrites(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	w, err := p.client.NextWriter(ctx, frames.OpText)
	if err != nil {
		t.Fatal(err)
	}
	// "é" split across two writes is fine.
	if _, err := w.Write([]byte("caf\xc3")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("\xa9!")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("\xff")); err == nil {
		t.Fatal("invalid UTF-8 accepted by a text stream")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if m := mustReceive(t, p.server); m.String() != "café!" {
		t.Fatalf("got %q", m.Data)
	}
}

func TestSendWaitsWhileAStreamIsOpen(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	w, _ := p.client.NextWriter(ctx, frames.OpText)
	w.Write([]byte("stream "))
	sent := make(chan error, 1)
	go func() { sent <- p.client.SendText(ctx, "whole") }()
	w.Write([]byte("part"))
	w.Close()
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stream part", "whole"} {
		if m := mustReceive(t, p.server); m.String() != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
}
