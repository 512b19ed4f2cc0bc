// Package load is the benchmark's load generator: it keeps a fixed number
// of messages in flight on each connection, for a fixed time, and measures
// what comes back.
//
// Run drives a server with the benchmark's own minimal client (package
// wire): frames are masked once, before the clock starts, and each read's
// replies are answered with one write, so that the generator costs little
// and the same for every server. RunClient drives a library's client (see
// package libs) the same way. RunInterleaved and RunClientsInterleaved
// keep one message in flight (ping-pong, large messages) on many servers
// or clients at once, in turns of a few milliseconds, so that all of them
// see the same state of a noisy machine. Open holds many idle
// connections, and Pool.Broadcast times a message that the server sends
// to all of them.
//
// Every run has a warm-up, which is not measured, and then a measured
// window. With one message in flight (ping-pong, large messages) every
// round trip is timed and the rate is messages divided by the time they
// took; with more, the rate is the messages completed in the window
// divided by its length.
package load

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsactor/wsactor/bench/internal/wire"
)

// ErrStuck is returned when connections do not finish within the grace
// period after the measured window: the peer stopped answering.
var ErrStuck = errors.New("load: connections did not finish after the run")

// grace is how long a run waits for its connections after the window.
var grace = 5 * time.Second

// patience bounds how long an interleaved run's window waits for a
// target whose turn has not yet brought a measured message (see
// meter.each).
var patience = 30 * time.Second

// A Target is a server to drive: its address, and whether it speaks
// WebSocket (false: a raw TCP echo, sent the same bytes).
type Target struct {
	Addr string
	WS   bool
}

// A Load says how hard and how long to drive a server.
type Load struct {
	Conns    int           // connections
	Window   int           // messages in flight per connection
	Size     int           // payload bytes per message
	Warmup   time.Duration // driven but not measured
	Duration time.Duration // measured
	// MinMessages extends the measured window (up to ten times Duration)
	// until this many messages are measured, for slow, large messages.
	MinMessages int
}

// A Result is what a run measured.
type Result struct {
	Messages  int64           // messages completed in the measured window
	Rate      float64         // messages per second
	Latencies []time.Duration // round trips, when Window is 1
}

// Percentile returns the q-th quantile (0 to 1) of the latencies, or 0.
func (r Result) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}

// meter is shared by the connections of a run: the phase they are in and
// their counts.
type meter struct {
	recording atomic.Bool
	stop      atomic.Bool
	counts    []paddedCount
	measured  atomic.Int64 // messages completed while recording
	// each keeps the window open, up to patience, until every connection
	// has a measured message: in an interleaved run a connection waits
	// for its turn, and a round of slow turns can outlast the window.
	each bool
}

type paddedCount struct {
	n        atomic.Int64 // messages completed
	measured atomic.Int64 // of those, the ones measured
	_        [48]byte     // keep each connection's counters on their own cache line
}

func newMeter(conns int) *meter { return &meter{counts: make([]paddedCount, conns)} }

// note counts a measured message of connection i.
func (m *meter) note(i int) {
	m.counts[i].measured.Add(1)
	m.measured.Add(1)
}

// short reports whether the window, open for d, should stay open: fewer
// than min messages measured (up to ten times the planned length), or,
// with m.each, a connection with none (up to patience).
func (m *meter) short(d, planned time.Duration, min int) bool {
	if m.measured.Load() < int64(min) && d < 10*planned {
		return true
	}
	if !m.each || d >= patience {
		return false
	}
	for i := range m.counts {
		if m.counts[i].measured.Load() == 0 {
			return true
		}
	}
	return false
}

func (m *meter) total() int64 {
	var t int64
	for i := range m.counts {
		t += m.counts[i].n.Load()
	}
	return t
}

// connStats is what one connection measured with one message in flight.
type connStats struct {
	lat []time.Duration
	err error
}

// measure runs the phases: warm-up, window, stop. It returns the messages
// and the length of the window.
func (m *meter) measure(ctx context.Context, l Load) (int64, time.Duration, error) {
	if err := sleep(ctx, l.Warmup); err != nil {
		return 0, 0, err
	}
	c0, t0 := m.total(), time.Now()
	m.recording.Store(true)
	err := sleep(ctx, l.Duration)
	for err == nil && m.short(time.Since(t0), l.Duration, l.MinMessages) {
		err = sleep(ctx, 10*time.Millisecond)
	}
	m.recording.Store(false)
	c1, t1 := m.total(), time.Now()
	m.stop.Store(true)
	return c1 - c0, t1.Sub(t0), err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run drives the server at t with l, through the benchmark's own client.
func Run(ctx context.Context, t Target, l Load) (Result, error) {
	if l.Conns < 1 || l.Window < 1 {
		return Result{}, fmt.Errorf("load: %d connections with %d in flight", l.Conns, l.Window)
	}
	conns := make([]net.Conn, 0, l.Conns)
	early := make([][]byte, 0, l.Conns)
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range l.Conns {
		nc, e, err := dial(ctx, t)
		if err != nil {
			return Result{}, err
		}
		conns = append(conns, nc)
		early = append(early, e)
	}
	var frames []byte // a window's worth, for pipelines
	if l.Window > 1 {
		frames = framesFor(t, l.Size, l.Window)
	}
	m := newMeter(l.Conns)
	stats := make([]connStats, l.Conns)
	var wg sync.WaitGroup
	for i, nc := range conns {
		wg.Go(func() {
			if l.Window == 1 {
				stats[i] = pingPong(nc, early[i], t, l.Size, m, i)
			} else {
				stats[i].err = pipeline(nc, early[i], t, l, frames, m, i)
			}
		})
	}
	n, window, err := m.measure(ctx, l)
	if werr := waitOrClose(&wg, conns); werr != nil && err == nil {
		err = werr
	}
	return collect(n, window, l, stats, err)
}

// collect turns the connections' figures into a Result.
func collect(n int64, window time.Duration, l Load, stats []connStats, err error) (Result, error) {
	for _, s := range stats {
		if s.err != nil && err == nil {
			err = s.err
		}
	}
	if err != nil {
		return Result{}, err
	}
	res := Result{Messages: n, Rate: float64(n) / window.Seconds()}
	if l.Window == 1 {
		// Each connection's rate is its round trips over the time they
		// took; this excludes the wait at the window's edges.
		res.Rate, res.Messages = 0, 0
		for _, s := range stats {
			var sum time.Duration
			for _, d := range s.lat {
				sum += d
			}
			if sum > 0 {
				res.Rate += float64(len(s.lat)) / sum.Seconds()
			}
			res.Messages += int64(len(s.lat))
			res.Latencies = append(res.Latencies, s.lat...)
		}
	}
	if res.Messages == 0 {
		return Result{}, fmt.Errorf("load: no message completed in %v", window)
	}
	return res, nil
}

// waitOrClose waits for wg, closing conns if that takes longer than grace
// so that blocked reads end.
func waitOrClose(wg *sync.WaitGroup, conns []net.Conn) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	for _, nc := range conns {
		nc.Close()
	}
	<-done
	return ErrStuck
}

// dial connects to t and, for WebSocket, performs the handshake.
func dial(ctx context.Context, t Target) (net.Conn, []byte, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, nil, err
	}
	if !t.WS {
		return nc, nil, nil
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
		defer nc.SetDeadline(time.Time{})
	}
	early, err := wire.ClientHandshake(nc, t.Addr, "/")
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, early, nil
}

// framesFor returns count copies of one message's frame, masked with a
// random key (or, for a raw target, the same bytes, which it echoes back
// unchanged).
func framesFor(t Target, size, count int) []byte {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	var key [4]byte
	k := rand.Uint32()
	key = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	one := wire.AppendFrame(nil, wire.OpBinary, payload, true, key)
	all := make([]byte, 0, len(one)*count)
	for range count {
		all = append(all, one...)
	}
	return all
}

// replies counts the messages that come back from a target.
type replies struct {
	ws    *wire.Counter
	frame int // raw: bytes per message
	extra int // raw: bytes of an unfinished message
}

func newReplies(t Target, size int) *replies {
	if t.WS {
		return &replies{ws: wire.NewCounter(size)}
	}
	return &replies{frame: wire.FrameSize(size, true)}
}

func (r *replies) feed(p []byte) (int, error) {
	if r.ws != nil {
		return r.ws.Feed(p)
	}
	r.extra += len(p)
	n := r.extra / r.frame
	r.extra -= n * r.frame
	return n, nil
}
