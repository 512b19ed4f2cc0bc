package supervisor

import (
	"bufio"
	"context"
	"net"
	"net/http/httptest"
	"net/url"
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
