// End-to-end scenarios across wsactor's packages, each checked for
// goroutine leaks: whatever happens to a connection, every goroutine it
// started ends.
package wsactor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
	"github.com/wsactor/wsactor/supervisor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// verifyNoLeaks checks, after the test and all its cleanups, that no
// goroutine it started is left.
func verifyNoLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// handlers counts the handlers of a test server that are still running.
// Hijacked connections are not the httptest server's to wait for, so a test
// waits for their handlers itself; the mutex orders every enter before
// wait, which the race detector cannot see through the network.
type handlers struct {
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

// enter counts a handler in; it reports false once wait has begun.
func (h *handlers) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.wg.Add(1)
	return true
}

func (h *handlers) exit() { h.wg.Done() }

// wait refuses new handlers and waits for the running ones.
func (h *handlers) wait() {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.wg.Wait()
}

// echoServer upgrades every request and echoes until the connection ends;
// the test's cleanup waits for every handler.
func echoServer(t *testing.T) string {
	var hs handlers
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hs.enter() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		defer hs.exit()
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, conn.WithReadLimit(32<<20))
		if err != nil {
			return
		}
		for m, err := range c.Each(context.Background()) {
			if err != nil {
				return
			}
			if c.Send(context.Background(), m.Data, m.Opcode) != nil {
				return
			}
		}
	}))
	t.Cleanup(func() { ts.Close(); hs.wait() })
	return "ws" + strings.TrimPrefix(ts.URL, "http")
}

func TestManyPairsExchangeEverySizeClassAndClose(t *testing.T) {
	verifyNoLeaks(t)
	url := echoServer(t)
	sizes := []int{0, 1, 125, 126, 65535, 65536, 1 << 20}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			ctx := ctxFor(t)
			c, err := conn.Dial(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			for _, n := range sizes {
				msg := bytes.Repeat([]byte{byte('a' + i)}, n)
				if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
					t.Error(err)
					return
				}
				m, err := c.Receive(ctx)
				if err != nil || !bytes.Equal(m.Data, msg) {
					t.Errorf("pair %d, %d bytes: %v", i, n, err)
					return
				}
			}
			if err := c.Close(frames.CloseNormal, ""); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func TestServerClosesWhileClientsAreReceiving(t *testing.T) {
	verifyNoLeaks(t)
	var hs handlers
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hs.enter() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		defer hs.exit()
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return
		}
		for i := range 50 {
			c.Send(context.Background(), []byte(fmt.Sprint(i)), frames.OpText)
		}
		c.Close(frames.CloseGoingAway, "shutting down")
	}))
	defer func() { ts.Close(); hs.wait() }()
	for range 8 {
		c, err := conn.Dial(ctxFor(t), "ws"+strings.TrimPrefix(ts.URL, "http"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, err := range c.Each(ctxFor(t)) {
			if err != nil {
				t.Fatalf("Each: %v", err)
			}
			n++
		}
		if n != 50 {
			t.Fatalf("received %d of 50 messages before the close", n)
		}
	}
}

func TestPeerResetsTCPMidMessage(t *testing.T) {
	verifyNoLeaks(t)
	ended := make(chan error, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return
		}
		_, err = c.Receive(context.Background())
		ended <- err
	}))
	defer ts.Close()
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	key := handshake.NewKey()
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", key)
	buf := make([]byte, 1024)
	nc.Read(buf) // the 101
	half := frames.AppendHeader(nil, frames.Header{Fin: true, Opcode: frames.OpBinary, Masked: true, Length: 1000})
	nc.Write(append(half, make([]byte, 400)...))
	nc.(*net.TCPConn).SetLinger(0)
	nc.Close() // RST with 600 bytes of the frame missing
	err = <-ended
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Code != frames.CloseAbnormal {
		t.Fatalf("server's Receive = %v, want 1006", err)
	}
}

func TestContextsCancelledMidHandshakeAndMidMessage(t *testing.T) {
	verifyNoLeaks(t)
	// Mid-handshake: the server accepts TCP and stalls.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stalled := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			stalled <- nc
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := conn.Dial(ctx, "ws://"+ln.Addr().String()+"/"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial = %v, want Canceled", err)
	}
	(<-stalled).Close()
	ln.Close()

	// Mid-message: a Receive and a blocked Send give up with their
	// contexts; the connection then closes cleanly.
	url := echoServer(t)
	c, err := conn.Dial(ctxFor(t), url, conn.WithSendBuffer(1))
	if err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := c.Receive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive = %v", err)
	}
	if err := c.Close(frames.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
}

func TestRefusedHandshakesLeaveNothingBehind(t *testing.T) {
	verifyNoLeaks(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/forbidden" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		conn.Upgrade(w, r, conn.AcceptOptions{}) // refuses the cross-origin one
	}))
	defer ts.Close()
	base := "ws" + strings.TrimPrefix(ts.URL, "http")
	var se *handshake.StatusError
	if _, err := conn.Dial(ctxFor(t), base+"/forbidden"); !errors.As(err, &se) || se.StatusCode != 403 {
		t.Fatalf("Dial /forbidden = %v", err)
	}
	_, err := conn.Dial(ctxFor(t), base+"/", conn.WithHeader(http.Header{"Origin": {"http://elsewhere.example"}}))
	if !errors.As(err, &se) || se.StatusCode != 403 {
		t.Fatalf("cross-origin Dial = %v", err)
	}
}

func TestSupervisedClientsShutDownWithTheirTree(t *testing.T) {
	verifyNoLeaks(t)
	url := echoServer(t)
	ready := make(chan struct{}, 3)
	client := func(ctx context.Context) error {
		c, err := conn.Dial(ctx, url)
		if err != nil {
			return err
		}
		defer c.Close(frames.CloseGoingAway, "")
		if err := c.SendText(ctx, "hi"); err != nil {
			return err
		}
		if _, err := c.Receive(ctx); err != nil {
			return err
		}
		ready <- struct{}{}
		_, err = c.Receive(ctx) // until the tree shuts down
		return err
	}
	sup := supervisor.New("clients", supervisor.Options{},
		supervisor.Spec{Name: "a", Service: supervisor.Func(client)},
		supervisor.Spec{Name: "b", Service: supervisor.Func(client)},
		supervisor.Spec{Name: "c", Service: supervisor.Func(client)},
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sup.Serve(ctx) }()
	for range 3 {
		<-ready
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v", err)
	}
}
