package conn

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

func TestCloseArgumentsAreChecked(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	if err := p.client.Close(frames.CloseNormal, strings.Repeat("r", 124)); !errors.Is(err, frames.ErrCloseReasonTooLong) {
		t.Fatalf("124-byte reason: %v", err)
	}
	if err := p.client.Close(frames.CloseNoStatus, ""); !errors.Is(err, frames.ErrInvalidCloseCode) {
		t.Fatalf("code 1005: %v", err)
	}
	if p.client.State() != Open {
		t.Fatalf("a refused Close changed the state to %v", p.client.State())
	}
	if err := p.client.Close(frames.CloseNormal, strings.Repeat("r", 123)); err != nil {
		t.Fatalf("123-byte reason: %v", err)
	}
	_, err := p.server.Receive(testCtx(t))
	var ce *CloseError
	if !errors.As(err, &ce) || len(ce.Reason) != 123 {
		t.Fatalf("server got %v", err)
	}
}

func TestCloseCodeZeroMeansNormal(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	p.client.Close(0, "")
	_, err := p.server.Receive(testCtx(t))
	wantClose(t, "server", err, frames.CloseNormal)
}

func TestCloseIsIdempotentAndConcurrent(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := p.client.Close(frames.CloseNormal, "once"); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if err := p.client.Close(frames.CloseNormal, "again"); err != nil {
		t.Fatalf("Close after close: %v", err)
	}
	_, err := p.server.Receive(testCtx(t))
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Reason != "once" {
		t.Fatalf("server got %v", err)
	}
}

func TestNoDataAfterCloseFrame(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	if err := p.client.SendText(ctx, "before"); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error)
	go func() { closed <- p.client.Close(0, "") }()
	// The data queued before Close arrives before the close.
	if m := mustReceive(t, p.server); m.String() != "before" {
		t.Fatalf("got %q", m.Data)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := p.client.SendText(ctx, "after"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after Close = %v, want ErrClosed", err)
	}
}

func TestServerClosesTCPFirstAndClientWaitsForIt(t *testing.T) {
	// A raw server answers the client's close and then keeps TCP open for
	// a while: the client must wait for the server to close, not close it.
	serverClosed := make(chan time.Time, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader) {
		f := readFrame(t, br)
		if f.Opcode != frames.OpClose {
			t.Errorf("got %s, want close", f.Opcode)
		}
		nc.Write(serverFrame(frames.OpClose, string(f.Payload)))
		time.Sleep(200 * time.Millisecond)
		serverClosed <- time.Now()
		nc.Close()
	})
	c, err := Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.Close(frames.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Fatalf("client closed after %v, before the server closed TCP", time.Since(start))
	}
	<-serverClosed
}

func TestCloseTimeoutWhenPeerNeverAnswers(t *testing.T) {
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader) {
		io.Copy(io.Discard, br) // read everything, answer nothing
	})
	c, err := Dial(testCtx(t), url, WithCloseTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = c.Close(frames.CloseNormal, "")
	if !errors.Is(err, ErrCloseTimeout) {
		t.Fatalf("Close = %v, want ErrCloseTimeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("Close took %v with a 100ms close timeout", d)
	}
	wantClose(t, "Err", c.Err(), frames.CloseAbnormal)
}

func TestDroppedTCPIsAbnormalClosureWrappingTheNetworkError(t *testing.T) {
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader) {
		nc.(*net.TCPConn).SetLinger(0) // reset, not FIN
		nc.Close()
	})
	c, err := Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(testCtx(t))
	wantClose(t, "Receive", err, frames.CloseAbnormal)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Receive = %v, want it to wrap the network error", err)
	}
}

func TestMessagesBeforeCloseAreDeliveredThenTheCloseError(t *testing.T) {
	extra := append(serverFrame(frames.OpText, "one"), serverFrame(frames.OpText, "two")...)
	extra = append(extra, serverFrame(frames.OpClose, "\x03\xe8done")...)
	url := rawServer(t, extra, func(nc net.Conn, br *bufio.Reader) {
		readFrame(t, br) // the echoed close
	})
	c, err := Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	for _, want := range []string{"one", "two"} {
		if m := mustReceive(t, c); m.String() != want {
			t.Fatalf("got %q, want %q", m.Data, want)
		}
	}
	_, err = c.Receive(testCtx(t))
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != frames.CloseNormal || ce.Reason != "done" {
		t.Fatalf("got %v", err)
	}
}

func TestCloseWithoutStatusIsEchoedEmptyAndReportedAs1005(t *testing.T) {
	echoed := make(chan []byte, 1)
	url := rawServer(t, serverFrame(frames.OpClose, ""), func(nc net.Conn, br *bufio.Reader) {
		echoed <- readFrame(t, br).Payload
	})
	c, err := Dial(testCtx(t), url)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(testCtx(t))
	wantClose(t, "Receive", err, frames.CloseNoStatus)
	if p := <-echoed; len(p) != 0 {
		t.Fatalf("echoed close payload %x, want empty", p)
	}
}

func TestKeepAliveDetectsDeadPeer(t *testing.T) {
	pinged := make(chan struct{}, 1)
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader) {
		if f := readFrame(t, br); f.Opcode == frames.OpPing {
			pinged <- struct{}{}
		}
		io.Copy(io.Discard, br) // never answer
	})
	c, err := Dial(testCtx(t), url, WithKeepAlive(30*time.Millisecond, 60*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Receive(testCtx(t))
	if !errors.Is(err, ErrPeerUnresponsive) {
		t.Fatalf("Receive = %v, want ErrPeerUnresponsive", err)
	}
	select {
	case <-pinged:
	default:
		t.Fatal("no keep-alive ping was sent")
	}
}

func TestKeepAliveKeepsALivelyConnection(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil, WithKeepAlive(20*time.Millisecond, 40*time.Millisecond))
	// Nothing is sent by the users for many intervals; the pings and
	// pongs keep it alive.
	time.Sleep(300 * time.Millisecond)
	if p.client.State() != Open {
		t.Fatalf("state %v, err %v", p.client.State(), p.client.Err())
	}
}

func TestCancelledLifetimeContextClosesWithGoingAway(t *testing.T) {
	life, cancel := context.WithCancel(context.Background())
	p := newPair(t, AcceptOptions{}, []Option{WithContext(life)})
	cancel()
	_, err := p.client.Receive(testCtx(t))
	wantClose(t, "client", err, frames.CloseGoingAway)
	<-p.server.Done()
}

// TestWriteErrorIsAbnormalClosureWrappingTheNetworkError: a reader held
// back by a full receive queue does not see the peer's reset; the writer's
// next write fails instead, and that ends the connection just as a read
// error does.
func TestWriteErrorIsAbnormalClosureWrappingTheNetworkError(t *testing.T) {
	reset := make(chan struct{})
	url := rawServer(t, nil, func(nc net.Conn, br *bufio.Reader) {
		for _, s := range []string{"one", "two", "three"} {
			nc.Write(serverFrame(frames.OpText, s))
		}
		nc.(*net.TCPConn).SetLinger(0) // reset, not FIN
		nc.Close()
		close(reset)
	})
	c, err := Dial(testCtx(t), url, WithReceiveQueue(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	<-reset
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		c.Send(testCtx(t), []byte("into a reset connection"), frames.OpText)
		select {
		case <-c.Done():
			done = true
		case <-tick.C:
		case <-deadline:
			t.Fatal("the connection did not end after its writes failed")
		}
	}
	err = c.Err()
	wantClose(t, "Err", err, frames.CloseAbnormal)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Err = %v, want it to wrap the write's error", err)
	}
}

func TestCloseIsNotHeldBackByMessagesLeftUnreceived(t *testing.T) {
	p := newPair(t, AcceptOptions{}, []Option{WithReceiveQueue(1, 1<<20), WithCloseTimeout(time.Minute)})
	ctx := testCtx(t)
	for i := range 50 {
		if err := p.client.SendText(ctx, fmt.Sprint("m", i)); err != nil {
			t.Fatal(err)
		}
	}
	// The server receives nothing: its queue holds m0, its reader waits
	// with m1, and the client's close frame is behind m49.
	for deadline := time.Now().Add(10 * time.Second); len(p.server.in) < cap(p.server.in); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the server's receive queue never filled")
		}
	}
	closeWithHandshake(t, p.server, "messages the server never received")
	m, err := p.server.Receive(ctx)
	if err != nil || string(m.Data) != "m0" {
		t.Fatalf("Receive after Close = %q, %v, want m0, the message queued before Close", m.Data, err)
	}
	if m, err := p.server.Receive(ctx); err == nil {
		t.Fatalf("Receive after the queue = %q, want an error: the rest were discarded", m.Data)
	}
	if err := p.client.Err(); err != nil {
		if ce := (*CloseError)(nil); !errors.As(err, &ce) || ce.Code != frames.CloseNormal {
			t.Fatalf("client ended with %v, want the server's 1000", err)
		}
	}
}

func TestCloseIsNotHeldBackByAStreamLeftUnread(t *testing.T) {
	p := newPair(t, AcceptOptions{}, []Option{WithCloseTimeout(time.Minute)})
	ctx := testCtx(t)
	big := bytes.Repeat([]byte("x"), 16<<20) // more than both sockets' buffers hold
	sent := make(chan error, 1)
	go func() { sent <- p.client.Send(ctx, big, frames.OpBinary) }()
	op, r, err := p.server.NextReader(ctx)
	if err != nil || op != frames.OpBinary {
		t.Fatalf("NextReader = %s, %v", op, err)
	}
	if _, err := io.ReadFull(r, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	// The server reads no more of it: the rest of the message, and the
	// client's answer to the server's close frame behind it, wait.
	closeWithHandshake(t, p.server, "a message stream the server stopped reading")
	if _, err := r.Read(make([]byte, 1024)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read of the stream after Close = %v, want ErrClosed", err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("the client's Send = %v", err)
	}
}

// closeWithHandshake closes c, whose close timeout is a minute, and fails
// unless Close ends with a closing handshake within 10 seconds; behind
// says what Close would otherwise wait behind.
func closeWithHandshake(t *testing.T, c *Conn, behind string) {
	t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- c.Close(frames.CloseNormal, "done") }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close = %v, want a closing handshake", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Close still waits behind %s (its close timeout is a minute)", behind)
	}
}
