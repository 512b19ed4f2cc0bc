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
// goroutines keep of stack after a message each way, and what a goroutine
// echoing with Receive and Send keeps while it waits in Receive: Go's
// smallest stack, 2 KiB each. A goroutine's stack, once grown, stays as
// large as its deepest call was, so a deep call on a common path (a select
// deep in the reader, an allocation under RawConn.Read's callback, a
// Message too large to stay in registers) costs every idle connection
// 2 KiB more per goroutine for good.
func TestIdleConnectionsKeepSmallStacks(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector doubles every stack's guard: stacks grow sooner")
	}
	const n = 200 // pairs: 2n connections, 7n goroutines
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, AcceptOptions{})
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		// The server's side echoes as a user's handler does, reading
		// the socket itself in Receive (see lend.go).
		go func() {
			ctx := context.Background()
			for {
				m, err := c.Receive(ctx)
				if err != nil {
					return
				}
				err = c.Send(ctx, m.Data, m.Opcode)
				m.Release()
				if err != nil {
					return
				}
			}
		}()
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
		if err := client.Send(ctx, msg, frames.OpBinary); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	perPair := float64(stackInuse()-before) / n / 1024
	// Seven goroutines of 2 KiB each, and some room for the stacks of the
	// handshakes' goroutines that are gone; one of them grown to 4 KiB on
	// every connection makes it 16 KiB or more.
	t.Logf("stack per pair of connections: %.2f KiB", perPair)
	if perPair > 15.5 {
		t.Errorf("a pair of idle connections, one echoing in its own goroutine, keeps %.2f KiB of stack; want at most 15.5 (seven goroutines of 2 KiB)", perPair)
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
