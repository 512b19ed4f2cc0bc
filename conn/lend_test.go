package conn

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

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/internal/rawpeer"
)

// lentPeer is a raw client and the wsactor server it talks to, whose
// handler is running.
type lentPeer struct {
	p       *rawpeer.Peer
	server  *Conn
	handled chan error // what the handler returned
}

// newLentPeer starts a server whose handler is h, dials it with a raw
// peer, and returns both once h runs. Both are closed when the test ends.
// The server's connection has a close timeout of a second, then opts.
func newLentPeer(t *testing.T, h func(c *Conn) error, opts ...Option) lentPeer {
	t.Helper()
	servers := make(chan *Conn, 1)
	handled := make(chan error, 1)
	opts = append([]Option{WithCloseTimeout(time.Second)}, opts...)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, AcceptOptions{}, opts...)
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		servers <- c
		go func() { handled <- h(c) }()
	}))
	t.Cleanup(ts.Close)
	p, err := rawpeer.Dial(testCtx(t), "ws"+strings.TrimPrefix(ts.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	lp := lentPeer{p: p, server: <-servers, handled: handled}
	t.Cleanup(func() {
		p.Close()
		<-lp.server.Done()
	})
	return lp
}

// echoBackground echoes every message with Receive and Send under a
// context that never ends, so that the reader lends Receive the socket.
func echoBackground(c *Conn) error {
	ctx := context.Background()
	for {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		if err := c.Send(ctx, m.Data, m.Opcode); err != nil {
			return err
		}
	}
}

// roundTrip sends msg as one frame, or in fragments of n bytes, and
// checks its echo.
func (lp lentPeer) roundTrip(t *testing.T, msg []byte, n int) {
	t.Helper()
	ctx := testCtx(t)
	var fs []frames.Frame
	if n <= 0 || n >= len(msg) {
		fs = append(fs, lp.p.Frame(true, frames.OpBinary, msg))
	} else {
		op := frames.OpBinary
		for rest := msg; len(rest) > 0; op = frames.OpContinuation {
			k := min(n, len(rest))
			fs = append(fs, lp.p.Frame(k == len(rest), op, rest[:k]))
			rest = rest[k:]
		}
	}
	if err := lp.p.WriteFrames(ctx, fs...); err != nil {
		t.Fatal(err)
	}
	op, got, err := lp.p.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if op != frames.OpBinary || !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes: %s of %d bytes", len(msg), op, len(got))
	}
}

// lendState returns the server's lend state.
func (lp lentPeer) lendState() lendState {
	return lp.server.lend.state.Load()
}

// warmUp makes round trips until the server's reader has lent the socket
// to its handler's Receive. Pings from a server with keep-alive on are
// answered.
func (lp lentPeer) warmUp(t *testing.T) {
	t.Helper()
	for i := 0; ; i++ {
		lp.echoAnsweringPings(t, fmt.Sprintf("warm-up %d", i))
		if lp.lendState() != notLent {
			return
		}
		if i == 100 {
			t.Fatal("the reader never lent the socket to Receive")
		}
	}
}

func TestReceiveReadsTheSocketItselfOnceLent(t *testing.T) {
	lp := newLentPeer(t, echoBackground)
	lp.warmUp(t)
	ctx := testCtx(t)
	uses := lp.server.lend.uses.Load()
	for i, size := range []int{0, 1, 125, 126, 4000, 65535, 65536, 300000} {
		lp.roundTrip(t, patterned(size), 0)
		lp.roundTrip(t, patterned(size), 1000) // fragmented
		if i%2 == 0 {
			// A ping while Receive reads: the controller answers it.
			if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpPing, []byte("are you there"))); err != nil {
				t.Fatal(err)
			}
			f, err := lp.p.ReadFrame(ctx)
			if err != nil || f.Opcode != frames.OpPong || string(f.Payload) != "are you there" {
				t.Fatalf("after a ping: %s %q, %v; want the pong", f.Opcode, f.Payload, err)
			}
		}
	}
	// The reader takes the socket back after lendIdle without a Receive,
	// which a loaded machine can stretch to between two round trips; what
	// must hold is that Receive read the socket itself.
	if lp.server.lend.uses.Load() == uses {
		t.Fatal("no Receive read the socket itself")
	}
}

func TestReceiveIsLentTheSocketWithFramesStillBuffered(t *testing.T) {
	// Ten messages arrive in one read; the receive queue holds one. The
	// reader need not decode the rest into In: once Receive waits on an
	// empty In, it is lent the socket at the next frame boundary and
	// decodes what is buffered itself.
	const n = 10
	start := make(chan struct{})
	got := make(chan []string, 1)
	servers := make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, AcceptOptions{}, WithReceiveQueue(1, 1<<20), WithCloseTimeout(time.Second))
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		servers <- c
		go func() {
			<-start
			var msgs []string
			for range n {
				m, err := c.Receive(context.Background())
				if err != nil {
					break
				}
				msgs = append(msgs, m.String())
			}
			got <- msgs
		}()
	}))
	t.Cleanup(ts.Close)
	p, err := rawpeer.Dial(testCtx(t), "ws"+strings.TrimPrefix(ts.URL, "http")+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	server := <-servers
	t.Cleanup(func() {
		p.Close()
		<-server.Done()
	})
	var fs []frames.Frame
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("message %d", i))
		fs = append(fs, p.Frame(true, frames.OpText, []byte(want[i])))
	}
	if err := p.WriteFrames(testCtx(t), fs...); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // all ten are read: one in In, one held back, eight buffered
	close(start)
	msgs := <-got
	if strings.Join(msgs, ",") != strings.Join(want, ",") {
		t.Fatalf("received %q, want %q", msgs, want)
	}
	if server.lend.uses.Load() == 0 {
		t.Fatal("no Receive read a buffered frame itself: the reader decoded them all into In")
	}
}

func TestLentReceiveFailsTheConnectionOnAViolation(t *testing.T) {
	lp := newLentPeer(t, echoBackground)
	lp.warmUp(t)
	ctx := testCtx(t)
	bad := lp.p.Frame(true, frames.OpBinary, []byte("reserved bit"))
	bad.RSV2 = true
	if err := lp.p.WriteFrames(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if code, _, err := lp.p.ReadClose(ctx); err != nil || code != frames.CloseProtocolError {
		t.Fatalf("after a frame with RSV2: close %d, %v; want 1002", code, err)
	}
	var ce *CloseError
	if err := <-lp.handled; !errors.As(err, &ce) || ce.Code != frames.CloseProtocolError {
		t.Fatalf("Receive = %v, want a *CloseError with 1002", err)
	}
}

func TestLentSocketComesBackWhenReceiveStops(t *testing.T) {
	stop := make(chan struct{})
	lp := newLentPeer(t, func(c *Conn) error {
		ctx := context.Background()
		for {
			m, err := c.Receive(ctx)
			if err != nil {
				return err
			}
			if err := c.Send(ctx, m.Data, m.Opcode); err != nil {
				return err
			}
			if string(m.Data) == "stop" {
				<-stop // no more Receive: the reader must read again
				return nil
			}
		}
	})
	defer close(stop)
	lp.warmUp(t)
	lp.roundTrip(t, []byte("stop"), 0)
	ctx := testCtx(t)
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpPing, []byte("still there?"))); err != nil {
		t.Fatal(err)
	}
	f, err := lp.p.ReadFrame(ctx)
	if err != nil || f.Opcode != frames.OpPong {
		t.Fatalf("a ping after Receive stopped: %s, %v; want the pong", f.Opcode, err)
	}
	if s := lp.lendState(); s != notLent {
		t.Fatalf("lend state %d after the pong, want the reader's (%d)", s, notLent)
	}
}

func TestCloseFrameWhileLentEndsTheConnectionCleanly(t *testing.T) {
	lp := newLentPeer(t, echoBackground)
	lp.warmUp(t)
	ctx := testCtx(t)
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpClose, mustClosePayload(frames.CloseNormal, "bye"))); err != nil {
		t.Fatal(err)
	}
	if code, _, err := lp.p.ReadClose(ctx); err != nil || code != frames.CloseNormal {
		t.Fatalf("echoed close: %d, %v; want 1000", code, err)
	}
	if err := lp.p.ExpectEOF(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *CloseError
	if err := <-lp.handled; !errors.As(err, &ce) || ce.Code != frames.CloseNormal || ce.Reason != "bye" {
		t.Fatalf("Receive = %v, want the peer's close 1000 \"bye\"", err)
	}
}

func TestServerCloseWhileReceiveWaitsOnTheLentSocket(t *testing.T) {
	lp := newLentPeer(t, echoBackground)
	lp.warmUp(t)
	ctx := testCtx(t)
	closed := make(chan error, 1)
	go func() { closed <- lp.server.Close(frames.CloseGoingAway, "") }()
	if code, _, err := lp.p.ReadClose(ctx); err != nil || code != frames.CloseGoingAway {
		t.Fatalf("server's close: %d, %v; want 1001", code, err)
	}
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpClose, mustClosePayload(frames.CloseGoingAway, ""))); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close = %v", err)
	}
	var ce *CloseError
	if err := <-lp.handled; !errors.As(err, &ce) || ce.Code != frames.CloseGoingAway {
		t.Fatalf("Receive = %v, want the close 1001", err)
	}
}

func TestReceiveWithAContextThatCanEndTakesTheSocketBack(t *testing.T) {
	got := make(chan Message, 1)
	lp := newLentPeer(t, func(c *Conn) error {
		if err := echoUntil(c, "switch"); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m, err := c.Receive(ctx)
		got <- m
		return err
	})
	lp.warmUp(t)
	lp.roundTrip(t, []byte("switch"), 0)
	if err := lp.p.WriteFrames(testCtx(t), lp.p.Frame(true, frames.OpText, []byte("next"))); err != nil {
		t.Fatal(err)
	}
	if m := <-got; m.String() != "next" {
		t.Fatalf("Receive with a deadline got %q, want next", m.Data)
	}
	if err := <-lp.handled; err != nil {
		t.Fatal(err)
	}
}

func TestInTakesTheLentSocketBack(t *testing.T) {
	switched := make(chan struct{})
	lp := newLentPeer(t, func(c *Conn) error {
		if err := echoUntil(c, "switch"); err != nil {
			return err
		}
		in := c.In()
		close(switched)
		m, ok := <-in
		if !ok {
			return c.Err()
		}
		return c.Send(context.Background(), m.Data, m.Opcode)
	})
	lp.readSteadily(t) // rounds of a second: In must not wait for one
	lp.echoAnsweringPings(t, "switch")
	<-switched
	if s := lp.lendState(); s != notLent {
		t.Fatalf("lend state %d once the handler took In, want the reader's (%d)", s, notLent)
	}
	lp.roundTrip(t, []byte("through In"), 0)
	if err := <-lp.handled; err != nil {
		t.Fatal(err)
	}
}

func TestNextReaderTakesTheSocketBack(t *testing.T) {
	got := make(chan string, 1)
	lp := newLentPeer(t, func(c *Conn) error {
		if err := echoUntil(c, "switch"); err != nil {
			return err
		}
		_, rd, err := c.NextReader(context.Background())
		if err != nil {
			return err
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(rd)
		got <- b.String()
		return err
	})
	lp.warmUp(t)
	lp.roundTrip(t, []byte("switch"), 0)
	ctx := testCtx(t)
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(false, frames.OpText, []byte("streamed ")), lp.p.Frame(true, frames.OpContinuation, []byte("message"))); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "streamed message" {
		t.Fatalf("NextReader read %q", s)
	}
	if err := <-lp.handled; err != nil {
		t.Fatal(err)
	}
}

// echoUntil echoes with a context that never ends until it has echoed a
// message reading stop.
func echoUntil(c *Conn, stop string) error {
	ctx := context.Background()
	for {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		if err := c.Send(ctx, m.Data, m.Opcode); err != nil {
			return err
		}
		if m.String() == stop {
			return nil
		}
	}
}

func TestConcurrentLentReceivesGetEveryMessageOnce(t *testing.T) {
	const n = 2000
	var mu sync.Mutex
	seen := make(map[string]int)
	lp := newLentPeer(t, func(c *Conn) error {
		if err := echoUntil(c, "go"); err != nil {
			return err
		}
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for {
					m, err := c.Receive(context.Background())
					if err != nil {
						return
					}
					mu.Lock()
					seen[m.String()]++
					done := len(seen) == n
					mu.Unlock()
					if done {
						c.SendText(context.Background(), "all")
					}
				}
			})
		}
		wg.Wait()
		return nil
	})
	lp.warmUp(t)
	lp.roundTrip(t, []byte("go"), 0)
	ctx := testCtx(t)
	for i := range n {
		if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpText, []byte(fmt.Sprint(i)))); err != nil {
			t.Fatal(err)
		}
	}
	if _, data, err := lp.p.ReadMessage(ctx); err != nil || string(data) != "all" {
		t.Fatalf("%q, %v; want all", data, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for k, v := range seen {
		if v != 1 {
			t.Fatalf("message %s received %d times", k, v)
		}
	}
}

// period returns the length of the next round of the server's lend timer.
func (lp lentPeer) period() time.Duration {
	l := &lp.server.lend
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.period
}

// echoAnsweringPings sends msg and waits for its echo, answering the
// server's pings meanwhile.
func (lp lentPeer) echoAnsweringPings(t *testing.T, msg string) {
	t.Helper()
	ctx := testCtx(t)
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpText, []byte(msg))); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := lp.p.ReadFrame(ctx)
		switch {
		case err != nil:
			t.Fatal(err)
		case f.Opcode == frames.OpPing:
			lp.answer(t, f)
		case f.Opcode != frames.OpText || string(f.Payload) != msg:
			t.Fatalf("%s frame %q, want the echo of %q", f.Opcode, f.Payload, msg)
		default:
			return
		}
	}
}

// answer answers the ping f.
func (lp lentPeer) answer(t *testing.T, f frames.Frame) {
	t.Helper()
	if err := lp.p.WriteFrames(testCtx(t), lp.p.Frame(true, frames.OpPong, f.Payload)); err != nil {
		t.Fatal(err)
	}
}

// readSteadily makes round trips, with the socket lent to the server's
// Receive, until its lend timer runs its longest rounds.
func (lp lentPeer) readSteadily(t *testing.T) {
	t.Helper()
	lp.warmUp(t)
	deadline := time.Now().Add(10 * time.Second)
	for lp.period() != lendIdleMax {
		if time.Now().After(deadline) {
			t.Fatalf("the lend timer's rounds are %v after 10 s of round trips, want %v", lp.period(), lendIdleMax)
		}
		lp.echoAnsweringPings(t, "steady")
	}
}

// echoPausing echoes with Receive under a context that never ends, and
// stops receiving after "pause" until resume is closed.
func echoPausing(resume <-chan struct{}) func(c *Conn) error {
	return func(c *Conn) error {
		for {
			if err := echoUntil(c, "pause"); err != nil {
				return err
			}
			<-resume
		}
	}
}

func TestLendTimerRoundsGrowWhileReceiveReadsAndStartOverWithTheNextLend(t *testing.T) {
	resume := make(chan struct{})
	lp := newLentPeer(t, echoPausing(resume))
	lp.readSteadily(t)
	// Receive stops: the reader takes the socket back within two of the
	// longest rounds, and answers a ping.
	lp.echoAnsweringPings(t, "pause")
	ctx := testCtx(t)
	if err := lp.p.WriteFrames(ctx, lp.p.Frame(true, frames.OpPing, []byte("still there?"))); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if f, err := lp.p.ReadFrame(ctx); err != nil || f.Opcode != frames.OpPong {
		t.Fatalf("a ping after Receive stopped: %s, %v; want the pong", f.Opcode, err)
	}
	if d := time.Since(start); d > 2*lendIdleMax+time.Second {
		t.Errorf("the pong took %v, want at most two rounds of %v", d, lendIdleMax)
	}
	if s := lp.lendState(); s != notLent {
		t.Fatalf("lend state %d after the pong, want the reader's (%d)", s, notLent)
	}
	// Receive reads again: the next lend starts with short rounds.
	close(resume)
	lp.warmUp(t)
	if p := lp.period(); p == lendIdleMax {
		t.Fatalf("a new lend's timer runs rounds of %v, want them to start at %v again", p, lendIdle)
	}
}

func TestKeepAlivePingTakesTheLentSocketBack(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, 500 * time.Millisecond
	resume := make(chan struct{})
	defer close(resume)
	lp := newLentPeer(t, echoPausing(resume), WithKeepAlive(interval, timeout))
	lp.readSteadily(t) // rounds of a second: longer than timeout
	lp.echoAnsweringPings(t, "pause")
	// No Receive reads, and nothing arrives: the controller pings, and
	// the pong must be read within timeout, though the lend's timer would
	// take the socket back only 1 to 2 s after the pause.
	ctx := testCtx(t)
	pings := 0
	for end := time.Now().Add(interval + 3*timeout); time.Now().Before(end); {
		quiet, cancel := context.WithDeadline(ctx, end)
		f, err := lp.p.ReadFrame(quiet)
		cancel()
		switch {
		case err != nil && quiet.Err() != nil:
		case err != nil:
			t.Fatalf("after Receive stopped: %v; want pings", err)
		case f.Opcode != frames.OpPing:
			t.Fatalf("after Receive stopped: %s frame %q; want pings", f.Opcode, f.Payload)
		default:
			pings++
			lp.answer(t, f)
		}
	}
	if pings == 0 {
		t.Fatal("no keep-alive ping")
	}
	select {
	case <-lp.server.Done():
		t.Fatalf("the connection ended (%v) though every ping was answered", lp.server.Err())
	default:
	}
}
