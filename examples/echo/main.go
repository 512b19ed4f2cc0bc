// Echo is a WebSocket echo server: it answers every message with the same
// message, text or binary, until the client closes. It is the server testee
// for the Autobahn TestSuite (its fuzzingclient mode) and a handy peer for
// trying a client against.
//
//	go run ./examples/echo -addr localhost:9001
//
// It accepts messages of up to -limit bytes (16 MiB by default, the largest
// the suite sends) and, being a test server, requests from any origin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"
)

func main() {
	addr := flag.String("addr", "localhost:9001", "address to listen on")
	limit := flag.Int64("limit", 16<<20, "largest message accepted, in bytes")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("echo server on ws://%s/\n", ln.Addr())
	if err := serve(ctx, ln, *limit); err != nil {
		log.Fatal(err)
	}
}

// serve runs the echo server on ln until ctx ends, then closes every
// connection with 1001 Going Away and returns.
func serve(ctx context.Context, ln net.Listener, limit int64) error {
	srv := &http.Server{
		Handler:           &echoHandler{limit: limit, base: ctx},
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	// Hijacked connections are not the server's to close: each handler
	// closes its own when ctx ends (conn.WithContext).
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
