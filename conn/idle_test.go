package conn

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// TestIdleConnectionsKeepSmallStacks pins what an idle connection's three
// goroutines keep of stack after a message each way: Go's smallest stack,
// 2 KiB each. A goroutine's stack, once grown, stays as large as its
// deepest call was, so a deep call on a common path (a select deep in the
// reader, an allocation under RawConn.Read's callback) costs every idle
// connection 2 KiB more per actor for good.
func TestIdleConnectionsKeepSmallStacks(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector doubles every stack's guard: stacks grow sooner")
	}
	const n = 200 // pairs: 2n connections, 6n goroutines
	servers := make(chan *Conn, n)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, AcceptOptions{})
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		servers <- c
	}))
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	ctx := testCtx(t)

	before := stackInuse()
	var conns []*Conn
	defer func() {
		for _, c := range conns {
			c.CloseContext(context.Background(), 0, "")
			<-c.Done()
		}
	}()
	msg := []byte("sixteen bytes...")
	for range n {
		client, err := Dial(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, client)
		server := <-servers
		conns = append(conns, server)
		if err := client.Send(ctx, msg, frames.OpBinary); err != nil {
			t.Fatal(err)
		}
		m, err := server.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := server.Send(ctx, m.Data, m.Opcode); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	perConn := float64(stackInuse()-before) / float64(2*n) / 1024
	// Three goroutines of 2 KiB each, and some room for the stacks of the
	// handshakes' goroutines that are gone; a reader or controller that
	// grew to 4 KiB on every connection makes it 8 KiB or more.
	t.Logf("stack per connection: %.2f KiB", perConn)
	if perConn > 7 {
		t.Errorf("an idle connection keeps %.2f KiB of stack, want at most 7 (three goroutines of 2 KiB)", perConn)
	}
}

// stackInuse returns the bytes of goroutine stacks in use, after a
// garbage collection has shrunk what it can.
func stackInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}
