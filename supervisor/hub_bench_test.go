package supervisor

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// BenchmarkHubBroadcast measures one Broadcast of a 1 KiB binary message to
// every connection of a hub over loopback: an op is the time from the call
// until the last connection has read the whole frame. The clients are raw
// TCP readers that count frame bytes, so allocs/op are the hub's and its
// connections' writers'. ns/conn is the op divided by the connections.
// (The 10,000-connection figure, with the server in a process of its own,
// comes from the bench module: go run ./cmd/wsbench -scenarios server/broadcast.)
func BenchmarkHubBroadcast(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run("conns="+strconv.Itoa(n), func(b *testing.B) { benchmarkHubBroadcast(b, n) })
	}
}

// broadcastSize is the benchmark's message, and frameSize its frame as a
// server sends it: a 4-byte header (16-bit length), unmasked.
const (
	broadcastSize = 1 << 10
	frameSize     = 4 + broadcastSize
)

func benchmarkHubBroadcast(b *testing.B, n int) {
	h := NewHub(func(ctx context.Context, c *conn.Conn) error {
		select {
		case <-c.Done():
		case <-ctx.Done():
		}
		return nil
	}, HubOptions{Logger: quiet})
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			b.Error(err)
		}
	}()

	var got sync.WaitGroup // one Done per frame read by any client
	var readers sync.WaitGroup
	clients := make([]net.Conn, 0, n)
	defer func() {
		for _, nc := range clients {
			nc.Close()
		}
		readers.Wait()
	}()
	u, err := handshake.ParseURI(wsURL(ts))
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		nc, br, err := rawDial(u)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, nc)
		readers.Go(func() { countFrames(br, &got) })
	}
	deadline := time.Now().Add(30 * time.Second)
	for h.Len() < n {
		if time.Now().After(deadline) {
			b.Fatalf("the hub holds %d of %d connections", h.Len(), n)
		}
		time.Sleep(time.Millisecond)
	}
	pm, err := conn.NewPreparedMessage(frames.OpBinary, make([]byte, broadcastSize))
	if err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		got.Add(n)
		if sent := h.Broadcast(pm); sent != n {
			b.Fatalf("Broadcast reached %d of %d connections", sent, n)
		}
		got.Wait()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/conn")
}

// rawDial opens a WebSocket connection to u with the bare handshake, and
// returns the socket and a reader positioned after the server's answer.
func rawDial(u *url.URL) (net.Conn, *bufio.Reader, error) {
	nc, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	req := &handshake.ClientRequest{URL: u, Key: handshake.NewKey()}
	if err := req.Write(nc); err != nil {
		nc.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(nc, 4096)
	resp, err := handshake.ReadResponse(br, 8192)
	if err == nil {
		_, err = req.Verify(resp)
	}
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, br, nil
}

// countFrames reads br until it fails and marks got Done for every
// frameSize bytes: the only frames the benchmark's clients receive are its
// broadcasts.
func countFrames(br *bufio.Reader, got *sync.WaitGroup) {
	buf := make([]byte, 4096)
	pending := 0
	for {
		k, err := br.Read(buf)
		pending += k
		for ; pending >= frameSize; pending -= frameSize {
			got.Done()
		}
		if err != nil {
			return
		}
	}
}

// BenchmarkHubConnMemory measures what a held, idle connection costs when a
// Hub holds it ("hub") and when a bare conn.Upgrade handler does
// ("upgrade"): heap bytes and goroutines retained per connection, after a
// garbage collection. Both ends are in this process and both figures count
// the same raw client end (a socket, no goroutine), so the difference
// between the two is the hub's own cost per connection. Connections are
// held in batches of at most 1000, so that any b.N fits the file limit.
func BenchmarkHubConnMemory(b *testing.B) {
	b.Run("upgrade", func(b *testing.B) {
		var served sync.WaitGroup
		held := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			defer served.Done()
			c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
			if err != nil {
				return
			}
			held <- struct{}{}
			<-c.Done()
		}))
		defer srv.Close()
		benchmarkConnMemory(b, srv, held, served.Wait)
	})
	b.Run("hub", func(b *testing.B) {
		held := make(chan struct{}, 1)
		h := NewHub(func(ctx context.Context, c *conn.Conn) error {
			held <- struct{}{}
			select {
			case <-c.Done():
			case <-ctx.Done():
			}
			return nil
		}, HubOptions{Logger: quiet})
		srv := httptest.NewServer(h)
		defer srv.Close()
		benchmarkConnMemory(b, srv, held, func() {
			deadline := time.Now().Add(30 * time.Second)
			for h.Len() > 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		})
		h.Shutdown(context.Background())
	})
}

// benchmarkConnMemory opens b.N connections to srv, whose handler signals
// held once it holds one, and reports what they retain. drained waits until
// the server has let go of every closed connection.
func benchmarkConnMemory(b *testing.B, srv *httptest.Server, held <-chan struct{}, drained func()) {
	u, err := handshake.ParseURI(wsURL(srv))
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1000
	var heap, goroutines float64
	var ms runtime.MemStats
	b.ReportAllocs()
	for done := 0; done < b.N; {
		k := min(batch, b.N-done)
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heapBefore, gBefore := ms.HeapAlloc, runtime.NumGoroutine()
		b.StartTimer()
		clients := make([]net.Conn, 0, k)
		for range k {
			nc, _, err := rawDial(u)
			if err != nil {
				b.Fatal(err)
			}
			clients = append(clients, nc)
			<-held
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap += float64(ms.HeapAlloc) - float64(heapBefore)
		goroutines += float64(runtime.NumGoroutine() - gBefore)
		for _, nc := range clients {
			nc.Close()
		}
		drained()
		done += k
		b.StartTimer()
	}
	b.ReportMetric(heap/float64(b.N), "heap-B/conn")
	b.ReportMetric(goroutines/float64(b.N), "goroutines/conn")
}
