package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// SlowPolicy says what a Hub's broadcast does with a slow consumer: a
// connection whose send queue is full (see conn.WithSendBuffer), because
// its peer does not read as fast as the hub sends. Whatever the policy, a
// slow consumer never holds up the broadcast to the others.
//
// The default, SlowTryAgainLater, closes the connection with 1013 Try Again
// Later: RFC 6455's registry gives that code to a server "casting off some
// of its clients" over a temporary condition, which is what a slow consumer
// is, and it tells a reconnecting client (such as Client, see Retryable)
// to come back, after a backoff, and resynchronise. 1008 Policy Violation
// says instead that the client broke a rule of the server and should not
// simply retry; choose SlowPolicyViolation when a client that cannot keep
// up is at fault. SlowDrop keeps the connection but loses messages, which
// suits only streams where a newer message replaces an older one.
type SlowPolicy int

const (
	// SlowTryAgainLater closes a slow consumer with 1013 Try Again Later.
	// It is the zero SlowPolicy.
	SlowTryAgainLater SlowPolicy = iota
	// SlowPolicyViolation closes a slow consumer with 1008 Policy
	// Violation.
	SlowPolicyViolation
	// SlowDrop drops the message for a slow consumer and leaves it open;
	// it gets later broadcasts once its queue has room again.
	SlowDrop
)

// String returns "try-again-later", "policy-violation" or "drop".
func (p SlowPolicy) String() string {
	switch p {
	case SlowTryAgainLater:
		return "try-again-later"
	case SlowPolicyViolation:
		return "policy-violation"
	case SlowDrop:
		return "drop"
	}
	return fmt.Sprintf("SlowPolicy(%d)", int(p))
}

// code is the close code of a closing policy.
func (p SlowPolicy) code() frames.CloseCode {
	if p == SlowPolicyViolation {
		return frames.ClosePolicyViolation
	}
	return frames.CloseTryAgainLater
}

// slowReason is the close reason sent to a slow consumer.
const slowReason = "slow consumer"

// Broadcast queues pm on every connection of the hub and returns how many
// connections it was queued on. It is BroadcastFunc with no selection.
func (h *Hub) Broadcast(pm *conn.PreparedMessage) int {
	return h.BroadcastFunc(pm, nil)
}

// BroadcastFunc queues pm on each connection of the hub for which keep
// returns true (every connection if keep is nil) and returns how many
// connections it was queued on. The message is encoded once, by
// conn.NewPreparedMessage: every connection's writer sends the same bytes.
//
// BroadcastFunc never waits for a connection: a connection whose send
// queue is full is a slow consumer, handled by HubOptions.SlowConsumer, and
// is not counted; nor are connections that are closing. Broadcasts are
// serialised, so every connection receives them in the same order. keep is
// called once per connection, from the calling goroutine, and must not call
// Broadcast or BroadcastFunc. A nil pm sends nothing.
func (h *Hub) BroadcastFunc(pm *conn.PreparedMessage, keep func(*conn.Conn) bool) int {
	if pm == nil {
		return 0
	}
	h.bmu.Lock()
	defer h.bmu.Unlock()
	h.mu.Lock()
	snap := append(h.snap[:0], h.members...)
	h.mu.Unlock()
	sent := 0
	for _, m := range snap {
		if m.kicked.Load() || keep != nil && !keep(m.c) {
			continue
		}
		switch err := m.c.TrySendPrepared(pm); {
		case err == nil:
			sent++
		case errors.Is(err, conn.ErrSendQueueFull):
			h.slow(m)
		}
	}
	clear(snap) // let closed connections go
	h.snap = snap[:0]
	return sent
}

// slow applies the slow-consumer policy to m.
func (h *Hub) slow(m *member) {
	remote := slog.Any("remote", m.c.RemoteAddr())
	if h.opts.SlowConsumer == SlowDrop {
		h.log.LogAttrs(context.Background(), slog.LevelDebug, "supervisor: hub dropped a message for a slow consumer", remote)
		return
	}
	if !m.kicked.CompareAndSwap(false, true) {
		return
	}
	code := h.opts.SlowConsumer.code()
	h.log.LogAttrs(context.Background(), slog.LevelWarn, "supervisor: hub closing a slow consumer", remote,
		slog.Int("code", int(code)))
	// Close waits for the closing handshake, which a peer that does not
	// read may take the whole close timeout to finish: wait in a goroutine
	// of its own, counted so that Shutdown waits for it.
	h.mu.Lock()
	h.active++
	h.mu.Unlock()
	go func() {
		defer h.leave()
		m.c.Close(code, slowReason)
	}()
	m.cancel(ErrSlowConsumer)
}
