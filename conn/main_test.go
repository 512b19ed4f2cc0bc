package conn

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCtx returns a context that ends well before the test times out.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair is a connected client and server over loopback.
type pair struct {
	client, server *Conn
}

// newPair starts an HTTP server that upgrades one request with accept and
// serverOpts, dials it with clientOpts, and returns both ends. Both are
// closed and the server shut down when the test ends.
func newPair(t *testing.T, accept AcceptOptions, serverOpts []Option, clientOpts ...Option) pair {
	t.Helper()
	srvConns := make(chan *Conn, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, accept, serverOpts...)
		if err != nil {
			t.Errorf("Upgrade: %v", err)
			return
		}
		srvConns <- c
	}))
	t.Cleanup(ts.Close)
	url := "ws" + strings.TrimPrefix(ts.URL, "http")
	c, err := Dial(testCtx(t), url, clientOpts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	var s *Conn
	select {
	case s = <-srvConns:
	case <-time.After(10 * time.Second):
		t.Fatal("server never accepted")
	}
	t.Cleanup(func() {
		c.CloseContext(context.Background(), 0, "")
		s.CloseContext(context.Background(), 0, "")
		<-c.Done()
		<-s.Done()
	})
	return pair{client: c, server: s}
}

// newPairB dials a server for a benchmark; the server's end is sent on srv.
func newPairB(b *testing.B, srv chan *Conn) *Conn {
	b.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := Upgrade(w, r, AcceptOptions{}); err == nil {
			srv <- c
		}
	}))
	c, err := Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close(0, "")
		ts.Close()
	})
	return c
}

func mustReceive(t *testing.T, c *Conn) Message {
	t.Helper()
	m, err := c.Receive(testCtx(t))
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return m
}
