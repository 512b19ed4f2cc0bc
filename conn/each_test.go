package conn

import (
	"errors"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

func TestEachEndsQuietlyOnNormalClose(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	for _, s := range []string{"a", "b", "c"} {
		p.client.SendText(ctx, s)
	}
	go p.client.Close(frames.CloseNormal, "")
	var got string
	for m, err := range p.server.Each(ctx) {
		if err != nil {
			t.Fatalf("Each yielded %v on a normal close", err)
		}
		got += m.String()
	}
	if got != "abc" {
		t.Fatalf("got %q", got)
	}
}

func TestEachYieldsAnAbnormalEnd(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	go p.client.Close(4000, "app error")
	var last error
	for _, err := range p.server.Each(ctx) {
		last = err
	}
	var ce *CloseError
	if !errors.As(last, &ce) || ce.Code != 4000 {
		t.Fatalf("last = %v, want CloseError 4000", last)
	}
}

func TestInIsClosedAfterTheLastMessage(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	p.client.SendText(ctx, "last")
	p.client.Close(0, "")
	var got []string
	for m := range p.server.In() {
		got = append(got, m.String())
	}
	if len(got) != 1 || got[0] != "last" {
		t.Fatalf("got %q", got)
	}
	<-p.server.Done()
	wantClose(t, "Err", p.server.Err(), frames.CloseNormal)
}

func TestOutSendsInOrder(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	for i := range 100 {
		p.server.Out() <- BinaryMessage([]byte{byte(i)})
	}
	for i := range 100 {
		if m := mustReceive(t, p.client); m.Data[0] != byte(i) {
			t.Fatalf("message %d carries %d", i, m.Data[0])
		}
	}
}
