package supervisor_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/supervisor"
)

// A client that reconnects after its server restarts. The server greets
// each connection with its number and closes the first one with 1012
// Service Restart; the client dials again after its backoff delay and stops
// for good, with ErrStop, once it has its second greeting.
func ExampleClient() {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return
		}
		ctx := context.Background()
		i := n.Add(1)
		c.SendText(ctx, fmt.Sprintf("hello, connection %d", i))
		if i == 1 {
			c.Close(frames.CloseServiceRestart, "restarting")
			return
		}
		for _, err := range c.Each(ctx) { // until the client closes
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	client := supervisor.NewClient("ws"+strings.TrimPrefix(srv.URL, "http"),
		func(ctx context.Context, c *conn.Conn) error {
			for msg, err := range c.Each(ctx) {
				if err != nil {
					return err // 1012: worth retrying
				}
				fmt.Println("received:", msg)
				if msg.String() == "hello, connection 2" {
					return fmt.Errorf("got what I came for: %w", supervisor.ErrStop)
				}
			}
			return nil
		},
		supervisor.ClientOptions{
			Backoff: supervisor.Backoff{Min: 10 * time.Millisecond, Max: time.Second},
			Logger:  slog.New(slog.DiscardHandler),
		})

	err := client.Serve(context.Background())
	fmt.Println("Serve:", err)
	fmt.Println("state:", client.State())
	// Output:
	// received: hello, connection 1
	// received: hello, connection 2
	// Serve: got what I came for: supervisor: stop
	// state: stopped
}

// Watch returns the client's status and a channel closed at its next
// change, to select on. Here a watcher waits until the client is connected.
func ExampleClient_Watch() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
			for _, err := range c.Each(context.Background()) {
				if err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := supervisor.NewClient("ws"+strings.TrimPrefix(srv.URL, "http"),
		func(ctx context.Context, c *conn.Conn) error {
			<-ctx.Done() // a real handler would read and write here
			return nil
		},
		supervisor.ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error)
	go func() { done <- client.Serve(ctx) }()

	for {
		st, changed := client.Watch()
		if st.State == supervisor.ClientConnected {
			fmt.Println("connected after", st.Failures, "failures")
			break
		}
		select {
		case <-changed:
		case <-time.After(5 * time.Second):
			fmt.Println("gave up waiting")
			return
		}
	}
	cancel() // closes the connection with 1001 Going Away
	fmt.Println("Serve:", <-done)
	// Output:
	// connected after 0 failures
	// Serve: context canceled
}
