package supervisor

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

func TestHubBroadcastReachesEveryConnectionExactlyOnceInOrder(t *testing.T) {
	h, url := newHub(t, greet, HubOptions{})
	const n = 20
	var clients []*conn.Conn
	for range n {
		clients = append(clients, join(t, url))
	}
	words := []string{"one", "two", "three", "end"}
	for _, w := range words {
		if got := h.Broadcast(prepared(t, w)); got != n {
			t.Fatalf("Broadcast(%q) reached %d connections, want %d", w, got, n)
		}
	}
	for i, c := range clients {
		for _, w := range words {
			if m := receive(t, c); m.String() != w {
				t.Fatalf("client %d received %q, want %q", i, m.Data, w)
			}
		}
	}
	// Nothing more is on its way: a message sent now is the next one.
	if got := h.Broadcast(prepared(t, "last")); got != n {
		t.Fatalf("Broadcast reached %d", got)
	}
	for i, c := range clients {
		if m := receive(t, c); m.String() != "last" {
			t.Fatalf("client %d received %q after the end, want \"last\"", i, m.Data)
		}
	}
	if got := h.Broadcast(nil); got != 0 {
		t.Errorf("Broadcast(nil) = %d", got)
	}
}

func TestHubBroadcastFuncReachesOnlyTheSelection(t *testing.T) {
	// Each client says its number first; the handler keeps it beside the
	// connection, as an application keeps its own state per connection.
	var ids sync.Map // *conn.Conn -> int
	h, url := newHub(t, func(ctx context.Context, c *conn.Conn) error {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.Atoi(m.String())
		if err != nil {
			return err
		}
		ids.Store(c, id)
		defer ids.Delete(c)
		return greet(ctx, c)
	}, HubOptions{})
	const n = 10
	var clients []*conn.Conn
	for i := range n {
		c := dial(t, url)
		if err := c.SendText(testCtx(t), strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		receive(t, c) // the greeting
		clients = append(clients, c)
	}
	even := func(c *conn.Conn) bool {
		id, ok := ids.Load(c)
		return ok && id.(int)%2 == 0
	}
	if got := h.BroadcastFunc(prepared(t, "even"), even); got != n/2 {
		t.Fatalf("BroadcastFunc reached %d connections, want %d", got, n/2)
	}
	if got := h.Broadcast(prepared(t, "all")); got != n {
		t.Fatalf("Broadcast reached %d connections, want %d", got, n)
	}
	for i, c := range clients {
		want := "all"
		if i%2 == 0 {
			if m := receive(t, c); m.String() != "even" {
				t.Fatalf("client %d received %q, want \"even\"", i, m.Data)
			}
		}
		if m := receive(t, c); m.String() != want {
			t.Fatalf("client %d received %q, want %q", i, m.Data, want)
		}
	}
}

// slowSetup is a hub with a small send buffer, a fast client that reads
// everything and a slow client that reads nothing until the test says.
type slowSetup struct {
	h       *Hub
	slow    *conn.Conn
	sent    int64 // broadcasts so far
	fastGot atomic.Int64
	notify  chan struct{}
}

// newSlowSetup builds a slowSetup with policy and broadcasts 64 KiB
// messages until one misses the slow client, and returns how many reached
// it before.
func newSlowSetup(t *testing.T, policy SlowPolicy, logs *logCapture) (*slowSetup, int) {
	t.Helper()
	h, url := newHub(t, greet, HubOptions{
		SlowConsumer: policy,
		ConnOptions:  []conn.Option{conn.WithSendBuffer(64 << 10), conn.WithCloseTimeout(waitLimit)},
		Logger:       logs.logger(),
	})
	s := &slowSetup{h: h, notify: make(chan struct{}, 1)}
	fast := join(t, url)
	s.slow = join(t, url, conn.WithReceiveQueue(1, 1))
	go func() {
		for {
			if _, err := fast.Receive(context.Background()); err != nil {
				return // closed by the test's cleanup
			}
			s.fastGot.Add(1)
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}()
	pm, err := conn.NewPreparedMessage(frames.OpBinary, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		switch sent := s.broadcast(t, pm); sent {
		case 2:
		case 1:
			return s, i
		default:
			t.Fatalf("broadcast %d reached %d connections, the fast one included", i, sent)
		}
	}
	t.Fatal("the slow client's queue never filled")
	return nil, 0
}

// broadcast broadcasts pm and waits until the fast client has it, so that
// the fast client's queue is empty at each broadcast. It returns how many
// connections the broadcast reached.
func (s *slowSetup) broadcast(t *testing.T, pm *conn.PreparedMessage) int {
	t.Helper()
	sent := s.h.Broadcast(pm)
	s.sent++
	timeout := time.After(waitLimit)
	for s.fastGot.Load() < s.sent {
		select {
		case <-s.notify:
		case <-timeout:
			t.Fatalf("broadcast %d: the fast client was held up", s.sent)
		}
	}
	return sent
}

func TestHubClosesASlowConsumerWithoutHoldingUpTheOthers(t *testing.T) {
	for _, tt := range []struct {
		policy SlowPolicy
		code   frames.CloseCode
	}{
		{SlowTryAgainLater, frames.CloseTryAgainLater},
		{SlowPolicyViolation, frames.ClosePolicyViolation},
	} {
		t.Run(tt.policy.String(), func(t *testing.T) {
			logs := &logCapture{}
			s, reached := newSlowSetup(t, tt.policy, logs)
			h, slow := s.h, s.slow
			// The slow client reads at last: what reached it, then the close.
			received := 0
			ctx := testCtx(t)
			var err error
			for {
				if _, err = slow.Receive(ctx); err != nil {
					break
				}
				received++
			}
			ce := asClose(err)
			if ce.Code != tt.code || ce.Reason != "slow consumer" {
				t.Fatalf("slow client ended with %v, want %d \"slow consumer\"", err, tt.code)
			}
			if received != reached {
				t.Errorf("slow client received %d messages, want the %d queued before its close", received, reached)
			}
			eventually(t, "the hub to let the slow consumer go", func() bool { return h.Len() == 1 })
			if recs := logs.find("closing a slow consumer"); len(recs) != 1 || recs[0].attrs["code"].Int64() != int64(tt.code) {
				t.Errorf("slow consumer logged as %v, want one record with code %d", recs, tt.code)
			}
		})
	}
}

func TestHubDropsMessagesForASlowConsumerUnderSlowDrop(t *testing.T) {
	s, reached := newSlowSetup(t, SlowDrop, &logCapture{})
	h, slow := s.h, s.slow
	pm, err := conn.NewPreparedMessage(frames.OpBinary, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	// The queue empties only as fast as TCP takes its bytes: a broadcast
	// may reach the slow client again, or miss it again.
	drops := 1
	for range 20 {
		switch got := s.broadcast(t, pm); got {
		case 1:
			drops++
		case 2:
			reached++
		default:
			t.Fatalf("Broadcast reached %d connections, the fast one included", got)
		}
	}
	// Once the slow client reads, it gets what was queued (not the
	// dropped messages) and the connection stays open for later ones.
	received := make(chan int)
	go func() {
		n := 0
		for {
			m, err := slow.Receive(context.Background())
			if err != nil || m.Opcode == frames.OpText {
				received <- n
				return
			}
			n++
		}
	}()
	marker := prepared(t, "caught up")
	deadline := time.Now().Add(waitLimit)
	for s.broadcast(t, marker) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the slow client's queue never had room again")
		}
		time.Sleep(time.Millisecond)
	}
	if n := <-received; n != reached {
		t.Errorf("slow client received %d binary messages, want the %d queued for it (%d dropped)", n, reached, drops)
	}
	if slow.State() != conn.Open || h.Len() != 2 {
		t.Errorf("after the drops: client %v, hub holds %d; want open, 2", slow.State(), h.Len())
	}
}

func TestSlowPolicyString(t *testing.T) {
	for p, want := range map[SlowPolicy]string{
		SlowTryAgainLater: "try-again-later", SlowPolicyViolation: "policy-violation", SlowDrop: "drop", 9: "SlowPolicy(9)",
	} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(p), got, want)
		}
	}
}
