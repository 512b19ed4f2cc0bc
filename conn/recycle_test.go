package conn

import (
	"fmt"
	"runtime/metrics"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// echoOut sends every message s receives on In back on Out, with Recycle
// set as given, until s ends.
func echoOut(s *Conn, recycle bool) {
	for m := range s.In() {
		m.Recycle = recycle
		select {
		case s.Out() <- m:
		case <-s.Done():
			return
		}
	}
}

// bigAllocsPerEcho returns how many objects of 2 KiB or more are
// allocated, on average, by one round trip of a message of size bytes to a
// server that echoes on Out, the client releasing each echo: each is a
// message buffer (or a mailbox buffer) that did not come from the pool.
func bigAllocsPerEcho(t *testing.T, size int, recycle bool) float64 {
	p := newPair(t, AcceptOptions{}, nil)
	go echoOut(p.server, recycle)
	ctx := testCtx(t)
	msg := make([]byte, size)
	trip := func() {
		if err := p.client.Send(ctx, msg, frames.OpBinary); err != nil {
			t.Fatal(err)
		}
		m, err := p.client.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Data) != size {
			t.Fatalf("echo of %d bytes, want %d", len(m.Data), size)
		}
		m.Release()
	}
	for range 20 {
		trip() // warm the pools
	}
	const trips = 100
	before := bigAllocs()
	for range trips {
		trip()
	}
	return float64(bigAllocs()-before) / trips
}

// bigAllocs returns how many heap objects of 2 KiB or more the program has
// allocated.
func bigAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs-by-size:bytes"}}
	metrics.Read(s)
	h := s[0].Value.Float64Histogram()
	var n uint64
	for i, count := range h.Counts {
		if h.Buckets[i] >= 2048 { // the bucket's lower bound
			n += count
		}
	}
	return n
}

// An echo on Out with Recycle set reuses the memory of the messages it
// sends, whether the writer copies them (3000 B) or writes them from Data
// itself (512 KiB, a server's large message); without Recycle every
// message is new memory, as Data stays the user's. (Client and server
// share the pool here, and the larger buffers of one round trip are in
// use at the same time, on both goroutines and processors: the pool misses
// now and then, which the bound of 0.6 leaves room for.)
func TestOutRecyclesDataOnceSent(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, size := range []int{3000, 512 << 10} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			if got := bigAllocsPerEcho(t, size, true); got > 0.6 {
				t.Errorf("with Recycle, %.2f buffers allocated per echo of %d B", got, size)
			}
			if got := bigAllocsPerEcho(t, size, false); got < 0.9 {
				t.Errorf("without Recycle, only %.2f buffers allocated per echo of %d B: Data was recycled", got, size)
			}
		})
	}
}
