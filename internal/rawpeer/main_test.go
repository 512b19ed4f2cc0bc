package rawpeer

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testCtx returns a context that ends well before the test times out.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pair returns a client and a server Peer connected to each other over
// loopback, both closed when the test ends.
func pair(t *testing.T) (client, server *Peer) {
	t.Helper()
	l, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type result struct {
		p   *Peer
		err error
	}
	accepted := make(chan result, 1)
	go func() {
		p, err := l.Accept(testCtx(t))
		accepted <- result{p, err}
	}()
	client, err = Dial(testCtx(t), l.URL(), nil)
	r := <-accepted
	if err != nil || r.err != nil {
		t.Fatalf("Dial: %v; Accept: %v", err, r.err)
	}
	t.Cleanup(func() {
		client.Close()
		r.p.Close()
	})
	return client, r.p
}
