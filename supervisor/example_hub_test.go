package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
	"github.com/wsactor/wsactor/supervisor"
)

// A hub that holds at most two connections, broadcasts to them and shuts
// down with 1001 Going Away.
func ExampleHub() {
	hub := supervisor.NewHub(func(ctx context.Context, c *conn.Conn) error {
		if err := c.SendText(ctx, "welcome"); err != nil {
			return err
		}
		// Read until the client leaves or the hub shuts down.
		for _, err := range c.Each(ctx) {
			if err != nil {
				return err
			}
		}
		return nil
	}, supervisor.HubOptions{MaxConns: 2, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(hub)
	defer srv.Close()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := context.Background()

	var clients []*conn.Conn
	for range 2 {
		c, err := conn.Dial(ctx, url)
		if err != nil {
			fmt.Println(err)
			return
		}
		msg, _ := c.Receive(ctx) // the welcome: the hub holds the connection
		fmt.Println(msg)
		clients = append(clients, c)
	}
	_, err := conn.Dial(ctx, url)
	var refused *handshake.StatusError
	if errors.As(err, &refused) {
		fmt.Println("third client refused with", refused.StatusCode)
	}

	news, _ := conn.NewPreparedMessage(frames.OpText, []byte("news for everyone"))
	fmt.Println("broadcast to", hub.Broadcast(news), "connections")
	for i, c := range clients {
		msg, _ := c.Receive(ctx)
		fmt.Printf("client %d: %s\n", i, msg)
	}

	fmt.Println("shutdown:", hub.Shutdown(ctx))
	for i, c := range clients {
		_, err := c.Receive(ctx)
		var ce *conn.CloseError
		if errors.As(err, &ce) {
			fmt.Printf("client %d: closed with %d %s\n", i, ce.Code, ce.Code)
		}
	}
	// Output:
	// welcome
	// welcome
	// third client refused with 503
	// broadcast to 2 connections
	// client 0: news for everyone
	// client 1: news for everyone
	// shutdown: <nil>
	// client 0: closed with 1001 going away
	// client 1: closed with 1001 going away
}

type roomKey struct{}

// BroadcastFunc sends to a selection of the connections. Middleware puts
// the room a request asks for in its context; the handler's context carries
// it, and the handler records each connection's room where the selection
// can find it.
func ExampleHub_BroadcastFunc() {
	var (
		mu    sync.Mutex
		rooms = make(map[*conn.Conn]string)
	)
	hub := supervisor.NewHub(func(ctx context.Context, c *conn.Conn) error {
		room := ctx.Value(roomKey{}).(string)
		mu.Lock()
		rooms[c] = room
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(rooms, c)
			mu.Unlock()
		}()
		if err := c.SendText(ctx, "joined "+room); err != nil {
			return err
		}
		for _, err := range c.Each(ctx) {
			if err != nil {
				return err
			}
		}
		return nil
	}, supervisor.HubOptions{Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), roomKey{}, r.URL.Query().Get("room"))
		hub.ServeHTTP(w, r.WithContext(ctx))
	}))
	defer srv.Close()
	ctx := context.Background()
	url := "ws" + strings.TrimPrefix(srv.URL, "http")

	var clients []*conn.Conn
	for _, room := range []string{"go", "rust", "go"} {
		c, err := conn.Dial(ctx, url+"?room="+room)
		if err != nil {
			fmt.Println(err)
			return
		}
		msg, _ := c.Receive(ctx)
		fmt.Println(msg)
		clients = append(clients, c)
	}

	pm, _ := conn.NewPreparedMessage(frames.OpText, []byte("gophers only"))
	n := hub.BroadcastFunc(pm, func(c *conn.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		return rooms[c] == "go"
	})
	fmt.Println("sent to", n)
	for _, i := range []int{0, 2} {
		msg, _ := clients[i].Receive(ctx)
		fmt.Printf("client %d: %s\n", i, msg)
	}
	fmt.Println("shutdown:", hub.Shutdown(ctx))
	// Output:
	// joined go
	// joined rust
	// joined go
	// sent to 2
	// client 0: gophers only
	// client 2: gophers only
	// shutdown: <nil>
}
