package conn

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

func TestOwnWriteLeavesWhatTheSocketDidNotTakeFirstInLine(t *testing.T) {
	a, b := tcpPair(t)
	a.(*net.TCPConn).SetWriteBuffer(4096)
	b.(*net.TCPConn).SetReadBuffer(4096)
	var mb mailbox
	mb.init(false, 64<<20)
	mb.raw, mb.inbox, mb.unread = newRawWriter(a), make(chan Message, 1), new(atomic.Bool)
	ctx := context.Background()

	// Nobody reads b: lone frames are written by their senders until the
	// socket is full; the one it takes in part leaves its rest in urgent,
	// and every later frame queues behind it.
	var sent [][]byte
	for i := 0; mb.urgent == nil && mb.pending == nil; i++ {
		if i == 10000 {
			t.Fatal("the socket never filled up")
		}
		p := bytes.Repeat([]byte{byte(i)}, 16<<10)
		if err := mb.put(ctx, frames.Header{Fin: true, Opcode: frames.OpBinary}, p, dataFrame); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, p)
	}
	if mb.urgent == nil {
		t.Fatal("the rest of the frame the socket took in part is not first in line")
	}
	if mb.ownable() {
		t.Fatal("with a rest waiting, a frame may still be written by its sender")
	}
	ping := []byte("ping")
	if err := mb.put(ctx, frames.Header{Fin: true, Opcode: frames.OpPing}, ping, controlFrame); err != nil {
		t.Fatal(err)
	}
	last := []byte("last")
	if err := mb.put(ctx, frames.Header{Fin: true, Opcode: frames.OpBinary}, last, dataFrame); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, last)

	// The writer's turn: what take hands it, in order, completes the
	// stream.
	got := make(chan []byte, 1)
	go func() {
		all, _ := io.ReadAll(b)
		got <- all
	}()
	urgent, pending, d, _, _ := mb.take()
	if d != nil {
		t.Fatal("take handed over a large frame")
	}
	for _, buf := range []*buffer{urgent, pending} {
		if err := mb.raw.writeBytes(buf.b); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	stream := <-got

	var want []frames.Frame
	for i, p := range sent {
		want = append(want, frames.Frame{Fin: true, Opcode: frames.OpBinary, Payload: p})
		if i == len(sent)-2 {
			want = append(want, frames.Frame{Fin: true, Opcode: frames.OpPing, Payload: ping})
		}
	}
	// The ping went ahead of the queued frame, but not into the middle of
	// the one its sender began.
	br := bufio.NewReader(bytes.NewReader(stream))
	for i, w := range want {
		f, err := frames.ReadFrame(br, 0)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Opcode != w.Opcode || !bytes.Equal(f.Payload, w.Payload) {
			t.Fatalf("frame %d is a %s frame of %d bytes, want a %s frame of %d", i, f.Opcode, len(f.Payload), w.Opcode, len(w.Payload))
		}
	}
	if n := br.Buffered(); n != 0 {
		t.Fatalf("%d bytes after the last frame", n)
	}
}
