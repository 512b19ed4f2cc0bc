package conn

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// actorCounts counts the goroutines running each actor of any connection.
func actorCounts() (readers, writers, controllers int) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		switch {
		case strings.Contains(g, "conn.(*reader).run("):
			readers++
		case strings.Contains(g, "conn.(*Conn).writeLoop("):
			writers++
		case strings.Contains(g, "conn.(*controller).run("):
			controllers++
		}
	}
	return
}

func TestExactlyThreeGoroutinesWhileOpen(t *testing.T) {
	c, err := NewFromURI("ws://127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r, w, k := actorCounts(); r+w+k != 0 {
		t.Fatalf("before Connect: %d readers, %d writers, %d controllers", r, w, k)
	}
	c.Close(0, "")

	p := newPair(t, AcceptOptions{}, nil)
	r, w, k := actorCounts()
	for deadline := time.Now().Add(2 * time.Second); (r != 2 || w != 2 || k != 2) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // goroutines just started may not have run yet
		r, w, k = actorCounts()
	}
	if r != 2 || w != 2 || k != 2 {
		t.Fatalf("two open ends: %d readers, %d writers, %d controllers; want 2 of each", r, w, k)
	}
	p.client.Close(0, "")
	<-p.client.Done()
	<-p.server.Done()
	// Done closes once the reader and writer have closed their own done
	// channels, the last thing each does; a goroutine preempted right
	// there still shows in a stack dump for a moment.
	r, w, k = actorCounts()
	for deadline := time.Now().Add(time.Second); r+w+k != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		r, w, k = actorCounts()
	}
	if r+w+k != 0 {
		t.Fatalf("after Done: %d readers, %d writers, %d controllers", r, w, k)
	}
}

// countingConn counts the writes made on a net.Conn and can hold the
// first one until released.
type countingConn struct {
	net.Conn
	writes atomic.Int64
	read   atomic.Int64
	hold   chan struct{} // if not nil, the first Write waits for it to close
	once   sync.Once
}

func (c *countingConn) Write(p []byte) (int, error) {
	if c.hold != nil {
		c.once.Do(func() { <-c.hold })
	}
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// dialCounting returns a dialer option whose connection is cc.
func dialCounting(cc **countingConn, hold chan struct{}) Option {
	return WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		*cc = &countingConn{Conn: nc, hold: hold}
		return *cc, nil
	})
}

func TestBurstOfSmallMessagesIsOneWrite(t *testing.T) {
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil))
	// Hold the writer inside its first write, queue a burst behind it,
	// then let it go: the burst must leave in one more write.
	hold := make(chan struct{})
	before := cc.writes.Load()
	cc.hold = hold
	ctx := testCtx(t)
	if err := p.client.SendText(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // let the writer reach the held Write
	const burst = 100
	for i := range burst {
		if err := p.client.SendText(ctx, strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	for i := range burst + 1 {
		m := mustReceive(t, p.server)
		if i > 0 && len(m.Data) != i-1 {
			t.Fatalf("message %d has %d bytes, want %d", i, len(m.Data), i-1)
		}
	}
	if got := cc.writes.Load() - before; got > 2 {
		t.Fatalf("%d messages took %d writes, want at most 2 (the held one and one batch)", burst+1, got)
	}
}

func TestReaderStopsReadingWhenUserDoesNotReceive(t *testing.T) {
	var cc *countingConn
	const queued = 4
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil), WithReceiveQueue(queued, 1<<20))
	ctx := testCtx(t)
	msg := make([]byte, 1024)
	sent := 0
	// The server sends until its sends block: the client's queue, its
	// socket buffers and the server's mailbox are full.
	for ; sent < 100000; sent++ {
		sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := p.server.Send(sctx, msg, frames.OpBinary)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if sent == 100000 {
		t.Fatal("the server's sends never blocked: nothing pushes back")
	}
	if n := len(p.client.In()); n != queued {
		t.Fatalf("client holds %d messages, want %d", n, queued)
	}
	read := cc.read.Load()
	time.Sleep(50 * time.Millisecond)
	if again := cc.read.Load(); again != read {
		t.Fatalf("client kept reading the socket (%d -> %d bytes) with a full queue", read, again)
	}
	// Nothing was lost: every message sent arrives.
	for i := range sent {
		if m := mustReceive(t, p.client); len(m.Data) != len(msg) {
			t.Fatalf("message %d: %d bytes", i, len(m.Data))
		}
	}
}

func TestReceiveQueueByteBound(t *testing.T) {
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil), WithReceiveQueue(100, 3000))
	ctx := testCtx(t)
	for range 10 {
		if err := p.server.Send(ctx, make([]byte, 1000), frames.OpBinary); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(p.client.In()) < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(30 * time.Millisecond)
	if n := len(p.client.In()); n != 3 {
		t.Fatalf("client holds %d messages of 1000 bytes with a 3000-byte bound, want 3", n)
	}
	for range 10 {
		mustReceive(t, p.client)
	}
}

func TestSendBlocksPastTheMailboxBoundAndRecovers(t *testing.T) {
	hold := make(chan struct{})
	var cc *countingConn
	p := newPair(t, AcceptOptions{}, nil, dialCounting(&cc, nil), WithSendBuffer(4096))
	cc.hold = hold
	ctx := testCtx(t)
	if err := p.client.Send(ctx, make([]byte, 100), frames.OpBinary); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the writer is held in its write
	if err := p.client.Send(ctx, make([]byte, 4000), frames.OpBinary); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := p.client.Send(short, make([]byte, 4000), frames.OpBinary); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send past the bound = %v, want DeadlineExceeded", err)
	}
	close(hold)
	if err := p.client.Send(ctx, []byte("after"), frames.OpText); err != nil {
		t.Fatalf("Send after the writer drained: %v", err)
	}
	for _, want := range []int{100, 4000, 5} {
		if m := mustReceive(t, p.server); len(m.Data) != want {
			t.Fatalf("got %d bytes, want %d (the timed-out Send must have sent nothing)", len(m.Data), want)
		}
	}
}

// The seed's timeout test: a receive whose time is up fails, and then a
// full exchange works.
func TestExpiredContextLosesNothing(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	expired, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.server.Receive(expired); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with an expired context = %v", err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := p.server.Receive(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive with nothing to receive = %v", err)
	}
	if err := p.client.Send(expired, []byte("lost?"), frames.OpText); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with an expired context = %v", err)
	}
	ctx := testCtx(t)
	if err := p.client.SendText(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	if m := mustReceive(t, p.server); m.String() != "hello" {
		t.Fatalf("got %q, want hello (the cancelled Send must have sent nothing)", m.Data)
	}
	if err := p.server.SendText(ctx, "world"); err != nil {
		t.Fatal(err)
	}
	if m := mustReceive(t, p.client); m.String() != "world" {
		t.Fatalf("got %q", m.Data)
	}
}

func TestConcurrentUseFromManyGoroutines(t *testing.T) {
	p := newPair(t, AcceptOptions{}, nil)
	ctx := testCtx(t)
	const senders, each = 8, 200
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				var err error
				if i%2 == 0 {
					err = p.client.Send(ctx, []byte{byte(s), byte(i)}, frames.OpBinary)
				} else {
					select {
					case p.client.Out() <- BinaryMessage([]byte{byte(s), byte(i)}):
					case <-ctx.Done():
						err = ctx.Err()
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// Two receivers, one on Receive and one on In, share the stream.
	var got atomic.Int64
	next := make([][]int, senders)
	var mu sync.Mutex
	record := func(m Message) {
		mu.Lock()
		next[m.Data[0]] = append(next[m.Data[0]], int(m.Data[1]))
		mu.Unlock()
		got.Add(1)
	}
	for range 2 {
		wg.Go(func() {
			for got.Load() < senders*each {
				rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				m, err := p.server.Receive(rctx)
				cancel()
				if err == nil {
					record(m)
				}
			}
		})
	}
	wg.Go(func() {
		for got.Load() < senders*each {
			select {
			case m := <-p.server.In():
				record(m)
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	wg.Wait()
	for s, seq := range next {
		if len(seq) != each {
			t.Fatalf("sender %d: %d messages arrived, want %d", s, len(seq), each)
		}
	}
}
