package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsactor/wsactor/bench/internal/libs"
)

// Interleaved ping-pong: one message in flight on one connection to each
// of several servers (or from each of several clients), the connections
// taking turns of a slice of time each for the whole window. A machine
// with shared cores can switch between a fast and a slow mode from one
// second to the next (a round trip of 15 µs or of 130 µs, a 1 MiB echo at
// 1.8 or 2.5 GB/s, whatever the library); measured one after another,
// libraries land in different modes and their ratios say more about the
// machine than about them. Taken in turns of a few milliseconds, every
// library sees the same machine; within its turn a connection is as busy
// as in plain ping-pong. The first round trip of each turn, which wakes a
// process that has waited out the others' turns, is not counted, and the
// order of the turns changes from round to round. The window stays open
// until every connection has a counted round trip (up to patience): with
// large messages a round of turns can outlast the planned window.

// slice is the shortest turn a connection takes.
const slice = 5 * time.Millisecond

// RunInterleaved drives one connection to each target with one message of
// l.Size bytes in flight, the targets taking turns driven by one
// goroutine, and returns a Result for each target. A turn lasts slice, or
// two round trips if those take longer, so that every turn counts one at
// least. l.MinMessages is each target's, on average (the turns share the
// window evenly); l.Conns and l.Window are ignored: both are one.
func RunInterleaved(ctx context.Context, targets []Target, l Load) ([]Result, error) {
	if len(targets) == 0 {
		return nil, errors.New("load: no target to interleave")
	}
	conns := make([]net.Conn, 0, len(targets))
	trippers := make([]*tripper, 0, len(targets)) // trippers[i] on conns[i]
	defer func() {
		for i, tr := range trippers {
			tr.close()
			conns[i].Close()
		}
	}()
	for _, t := range targets {
		nc, early, err := dial(ctx, t)
		if err != nil {
			return nil, err
		}
		conns = append(conns, nc)
		trippers = append(trippers, newTripper(nc, early, t, l.Size))
	}
	l.MinMessages *= len(targets) // the meter counts every target's together
	m := newMeter(len(targets))
	m.each = true
	stats := make([]connStats, len(targets))
	var wg sync.WaitGroup
	wg.Go(func() {
		rounds := newRounds(len(trippers))
		for !m.stop.Load() {
			for _, i := range rounds.next() {
				tr := trippers[i]
				begun := time.Now()
				for first := true; ; first = false {
					start := time.Now()
					if err := tr.trip(); err != nil {
						stats[i].err = err
						return
					}
					d := time.Since(start)
					m.counts[i].n.Add(1)
					if !first && m.recording.Load() {
						stats[i].lat = append(stats[i].lat, d)
						m.note(i)
					}
					if !first && time.Since(begun) >= slice {
						break
					}
				}
			}
		}
	})
	_, window, err := m.measure(ctx, l)
	if werr := waitOrClose(&wg, conns); werr != nil && err == nil {
		err = werr
	}
	return collectEach(window, l, stats, err)
}

// rounds orders the turns of n targets, a round at a time.
type rounds struct{ order []int }

// newRounds returns the rounds of n targets, numbered from 0.
func newRounds(n int) *rounds {
	r := &rounds{order: make([]int, n)}
	for i := range r.order {
		r.order[i] = i
	}
	return r
}

// next returns the order of the next round's turns: a new one every
// round, so that no target always follows the same other one (and the
// state it leaves the machine in). The slice is valid until the next
// call.
func (r *rounds) next() []int {
	rand.Shuffle(len(r.order), func(i, j int) { r.order[i], r.order[j] = r.order[j], r.order[i] })
	return r.order
}

// collectEach turns each connection's round trips into a Result of its
// own.
func collectEach(window time.Duration, l Load, stats []connStats, err error) ([]Result, error) {
	l.Conns, l.Window = 1, 1
	out := make([]Result, len(stats))
	for i, s := range stats {
		res, cerr := collect(0, window, l, []connStats{s}, err)
		if cerr != nil {
			return nil, fmt.Errorf("load: connection %d of %d: %w", i+1, len(stats), cerr)
		}
		out[i] = res
	}
	return out, nil
}

// A Participant is one client in RunClientsInterleaved: a library's
// client (libs.Dial), or RawClient.
type Participant = libs.Client

// RunClientsInterleaved drives each client with one message of l.Size
// bytes in flight, the clients taking turns (see slice; a turn lasts two
// round trips at least, as in RunInterleaved): within its turn a client
// sends its next message from the callback that received its echo, as in
// plain ping-pong, and the callback that ends the turn sends the first
// message of the client whose turn is next (in an order that changes
// from round to round). It returns a Result for each client and closes
// them.
func RunClientsInterleaved(ctx context.Context, clients []Participant, l Load) ([]Result, error) {
	if len(clients) == 0 {
		return nil, errors.New("load: no client to interleave")
	}
	payload := make([]byte, l.Size)
	m := newMeter(len(clients))
	m.each = true
	stats := make([]connStats, len(clients))
	// When each client's message went out, in nanoseconds since base:
	// written by the goroutine that sends it, read by the one that
	// receives its echo.
	base := time.Now()
	starts := make([]atomic.Int64, len(clients))
	var failed atomic.Bool
	fail := func(i int, err error) {
		if !failed.Swap(true) {
			stats[i].err = err
		}
		m.stop.Store(true)
	}
	var turnBegun atomic.Int64                 // since base, when the current turn began
	first := make([]atomic.Bool, len(clients)) // the message in flight opens a turn
	// The round's order of turns, and the turn it is at: moved on by the
	// callback that ends a turn, one at a time but in different
	// goroutines, which the lock orders.
	var turnMu sync.Mutex
	rounds := newRounds(len(clients))
	order, at := rounds.next(), 0
	nextTurn := func() int {
		turnMu.Lock()
		defer turnMu.Unlock()
		if at++; at == len(order) {
			order, at = rounds.next(), 0
		}
		return order[at]
	}
	// A client's Send is called from its own callback and from the one
	// that ends the turn before it: one at a time, but from two
	// goroutines, which the lock orders.
	sendMu := make([]sync.Mutex, len(clients))
	send := func(i int) bool {
		starts[i].Store(int64(time.Since(base)))
		sendMu[i].Lock()
		err := clients[i].Send(payload)
		sendMu[i].Unlock()
		if err != nil {
			fail(i, err)
			return false
		}
		return true
	}
	ended := make(chan struct{}) // closed when the turns stop
	var endOnce sync.Once
	end := func() { endOnce.Do(func() { close(ended) }) }
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			err := c.Run(func(size int) bool {
				d := time.Since(base) - time.Duration(starts[i].Load())
				if size != len(payload) {
					fail(i, fmt.Errorf("load: reply of %d bytes, want %d", size, len(payload)))
					end()
					return false
				}
				m.counts[i].n.Add(1)
				counted := !first[i].Swap(false)
				if counted && m.recording.Load() {
					stats[i].lat = append(stats[i].lat, d)
					m.note(i)
				}
				next := i
				if now := time.Since(base); counted && now-time.Duration(turnBegun.Load()) >= slice {
					next = nextTurn()
					turnBegun.Store(int64(now))
					first[next].Store(true)
				}
				if m.stop.Load() || !send(next) {
					end()
				}
				return true
			})
			if err != nil && !m.stop.Load() {
				fail(i, err)
				end()
			}
		})
	}
	turnMu.Lock()
	opening := order[0]
	turnMu.Unlock()
	first[opening].Store(true)
	turnBegun.Store(int64(time.Since(base)))
	if !send(opening) {
		end()
	}
	_, window, err := m.measure(ctx, l)
	stuck := time.NewTimer(grace)
	select {
	case <-ended:
	case <-stuck.C:
		if err == nil {
			err = ErrStuck
		}
	}
	stuck.Stop()
	// Every Run waits for a message that will not come: closing ends it.
	for _, c := range clients {
		c.Close()
	}
	wg.Wait()
	return collectEach(window, l, stats, err) // with the first client's error, if any
}

// RawClient is the raw-TCP reference among interleaved clients: it sends
// the bytes of a masked frame of its message size to a raw echo server
// and counts them coming back, with no WebSocket work. It is a
// Participant.
type RawClient struct {
	nc    net.Conn
	size  int
	frame []byte
}

// DialRaw connects a RawClient for messages of size bytes to the raw echo
// server at addr.
func DialRaw(ctx context.Context, addr string, size int) (*RawClient, error) {
	nc, _, err := dial(ctx, Target{Addr: addr})
	if err != nil {
		return nil, err
	}
	return &RawClient{nc: nc, size: size, frame: framesFor(Target{}, size, 1)}, nil
}

// Send writes the bytes of a masked frame of the client's message size
// (the bytes of p do not matter).
func (c *RawClient) Send(p []byte) error {
	_, err := c.nc.Write(c.frame)
	return err
}

// Run reads the echoes and calls onMessage with the size of each whole
// message until it returns false or reading fails.
func (c *RawClient) Run(onMessage func(size int) bool) error {
	r := newReplies(Target{}, c.size)
	buf := make([]byte, 64<<10)
	for {
		n, err := c.nc.Read(buf)
		if err != nil {
			return err
		}
		got, _ := r.feed(buf[:n])
		for range got {
			if !onMessage(c.size) {
				return nil
			}
		}
	}
}

// Close closes the connection.
func (c *RawClient) Close() error { return c.nc.Close() }
