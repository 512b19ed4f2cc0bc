package conn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

func TestPreparedMessageReachesBothSides(t *testing.T) {
	pm, err := NewPreparedMessage(frames.OpBinary, []byte("shared bytes"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	for _, dir := range [][2]*Conn{{p.server, p.client}, {p.client, p.server}} {
		if err := dir[0].SendPrepared(ctx, pm); err != nil {
			t.Fatal(err)
		}
		if m := mustReceive(t, dir[1]); m.Opcode != frames.OpBinary || m.String() != "shared bytes" {
			t.Fatalf("got %s %q", m.Opcode, m.Data)
		}
	}
}

func TestPreparedMessageRefusesWhatCannotBeSent(t *testing.T) {
	for _, tc := range []struct {
		op   frames.Opcode
		data string
	}{{frames.OpText, "\xff"}, {frames.OpPing, ""}, {frames.OpClose, ""}} {
		if _, err := NewPreparedMessage(tc.op, []byte(tc.data)); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("%s %q: %v, want ErrInvalidMessage", tc.op, tc.data, err)
		}
	}
}

func TestTrySendPreparedFailsFastWhenThePeerDoesNotKeepUp(t *testing.T) {
	hold := make(chan struct{})
	defer close(hold)
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil), WithSendBuffer(1000))
	cc.hold = hold
	pm, _ := NewPreparedMessage(frames.OpBinary, make([]byte, 600))
	ctx := testCtx(t)
	if err := p.client.SendPrepared(ctx, pm); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the writer is held in its write
	if err := p.client.TrySendPrepared(pm); err != nil {
		t.Fatalf("first TrySendPrepared into an empty mailbox: %v", err)
	}
	start := time.Now()
	if err := p.client.TrySendPrepared(pm); !errors.Is(err, ErrSendQueueFull) {
		t.Fatalf("TrySendPrepared into a full mailbox = %v, want ErrSendQueueFull", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("TrySendPrepared waited")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if err := p.client.SendPrepared(short, pm); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendPrepared into a full mailbox = %v, want it to wait for ctx", err)
	}
}
