package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startEcho serves the echo handler on a test server and returns its
// ws:// URL.
func startEcho(t *testing.T, limit int64) string {
	t.Helper()
	srv := httptest.NewServer(&echoHandler{limit: limit, base: t.Context()})
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

func TestEchoAnswersEveryMessageWithItsOpcode(t *testing.T) {
	url := startEcho(t, 16<<20)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, url, conn.WithReadLimit(16<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(frames.CloseNormal, "")

	big := bytes.Repeat([]byte{0xa5}, 16<<20)
	tests := []conn.Message{
		conn.TextMessage(""),
		conn.TextMessage("f"),
		conn.TextMessage(strings.Repeat("f", 200)),
		conn.TextMessage(strings.Repeat("f", 100000)),
		conn.TextMessage("\r\nünïcödé ✓ 👋"),
		conn.BinaryMessage([]byte{0, 1, 127, 255}),
		conn.BinaryMessage(nil),
		conn.BinaryMessage(big),
	}
	for _, want := range tests {
		if err := c.Send(ctx, want.Data, want.Opcode); err != nil {
			t.Fatalf("send %s of %d bytes: %v", want.Opcode, len(want.Data), err)
		}
		got, err := c.Receive(ctx)
		if err != nil {
			t.Fatalf("receive the echo of %s of %d bytes: %v", want.Opcode, len(want.Data), err)
		}
		if got.Opcode != want.Opcode || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("echo of %s of %d bytes: got %s of %d bytes", want.Opcode, len(want.Data), got.Opcode, len(got.Data))
		}
	}
	if err := c.Close(frames.CloseNormal, "done"); err != nil {
		t.Fatalf("close: %v", err)
	}
	var ce *conn.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != frames.CloseNormal {
		t.Fatalf("the server's answer to our close: %v, want 1000", c.Err())
	}
}

func TestEchoRefusesAMessageOverItsLimitWith1009(t *testing.T) {
	url := startEcho(t, 1024)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(frames.CloseNormal, "")
	if err := c.Send(ctx, make([]byte, 1025), frames.OpBinary); err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(ctx)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != frames.CloseMessageTooBig {
		t.Fatalf("receive after a message over the limit: %v, want a 1009 close", err)
	}
}

func TestServeClosesConnectionsWithGoingAwayWhenCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, ln, 1<<20) }()

	dctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := conn.Dial(dctx, "ws://"+ln.Addr().String()+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(frames.CloseNormal, "")
	if err := c.SendText(dctx, "ping"); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Receive(dctx); err != nil || m.String() != "ping" {
		t.Fatalf("echo before shutdown: %v %v", m, err)
	}

	stop()
	_, err = c.Receive(dctx)
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != frames.CloseGoingAway {
		t.Fatalf("receive after shutdown: %v, want a 1001 close", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-dctx.Done():
		t.Fatal("serve did not return after its context ended")
	}
}
