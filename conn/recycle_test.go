package conn

import (
	"fmt"
	"runtime"
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

// bytesPerEcho returns the bytes allocated, on average, by one round trip
// of a message of size bytes to a server that echoes on Out, the client
// releasing each echo.
func bytesPerEcho(t *testing.T, size int, recycle bool) float64 {
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
	const trips = 50
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range trips {
		trip()
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / trips
}

// An echo on Out with Recycle set allocates nothing per message once the
// pool is warm, whether the writer copies the message (3000 B) or writes
// it from Data itself (512 KiB, a server's large message); without
// Recycle every message is new memory, as Data stays the user's.
func TestOutRecyclesDataOnceSent(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	for _, size := range []int{3000, 512 << 10} {
		t.Run(fmt.Sprintf("%dB", size), func(t *testing.T) {
			if got := bytesPerEcho(t, size, true); got > float64(size)/4 {
				t.Errorf("with Recycle, %.0f bytes allocated per echo of %d", got, size)
			}
			if got := bytesPerEcho(t, size, false); got < float64(size)/2 {
				t.Errorf("without Recycle, only %.0f bytes allocated per echo of %d: Data was recycled", got, size)
			}
		})
	}
}
