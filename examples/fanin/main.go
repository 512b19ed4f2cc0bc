// Fanin reads many WebSocket connections from a single goroutine.
//
// It is the pattern wsactor's design is built for: every connection offers
// its received messages on a channel (conn.Conn.In), so one goroutine can
// select over all of them and a context at once, and give each connection
// an idle timeout without a timer goroutine per connection.
//
// The program is self-contained: it starts a server on 127.0.0.1, whose
// handler hands every accepted connection to the fan-in loop, then starts
// -n clients. Client i sends i+1 messages, -every apart, and then falls
// silent; the fan-in prints what arrives and closes each client once it has
// sent nothing for -idle. When every client has been closed the program
// exits. Ctrl-C closes the remaining connections with 1001 Going Away.
//
//	go run ./examples/fanin -n 4 -idle 1s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// config is what the command line sets.
type config struct {
	clients int           // how many clients to start
	every   time.Duration // the pause between a client's messages
	idle    time.Duration // how long a connection may stay silent
}

func main() {
	var cfg config
	flag.IntVar(&cfg.clients, "n", 3, "number of clients")
	flag.DurationVar(&cfg.every, "every", 200*time.Millisecond, "pause between a client's messages")
	flag.DurationVar(&cfg.idle, "idle", time.Second, "close a connection that sends nothing for this long")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "fanin:", err)
		os.Exit(1)
	}
}

// run starts the server and the fan-in, runs the clients to their end, and
// shuts everything down. Every line goes to out, prefixed by who wrote it.
func run(ctx context.Context, out io.Writer, cfg config) error {
	if cfg.clients < 1 || cfg.every <= 0 || cfg.idle <= 0 {
		return errors.New("-n, -every and -idle must be positive")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	url := "ws://" + ln.Addr().String() + "/"
	fmt.Fprintf(out, "server listening on %s\n", url)

	fanCtx, stopFanIn := context.WithCancel(ctx)
	join := make(chan peer)
	srv := &http.Server{Handler: acceptHandler(fanCtx, join)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fanned := make(chan struct{})
	go func() {
		fanIn(fanCtx, join, cfg.idle, log.New(out, "fanin: ", 0))
		close(fanned)
	}()

	var clients sync.WaitGroup
	for i := range cfg.clients {
		name := fmt.Sprintf("client-%d", i)
		logger := log.New(out, name+": ", 0)
		clients.Go(func() {
			logger.Print("connection ended: ", runClient(ctx, url+"?name="+name, i+1, cfg.every))
		})
	}
	clients.Wait()

	stopFanIn()
	<-fanned
	// Connections are hijacked, so Shutdown only has the listener to close.
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// acceptHandler upgrades each request and hands the connection, named by
// its "name" query parameter, to the fan-in on join. When the fan-in has
// stopped (ctx is done), it closes the connection itself.
func acceptHandler(ctx context.Context, join chan<- peer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return // Upgrade has answered the request
		}
		p := peer{name: r.URL.Query().Get("name"), c: c}
		if p.name == "" {
			p.name = r.RemoteAddr
		}
		select {
		case join <- p:
		case <-ctx.Done():
			c.Close(frames.CloseGoingAway, "server shutting down")
		}
	})
}

// runClient connects to url, sends n messages every apart, and then waits,
// silent, for the server to close the connection. It returns how the
// connection ended: a *conn.CloseError, or why it did not connect.
func runClient(ctx context.Context, url string, n int, every time.Duration) error {
	c, err := conn.Dial(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(frames.CloseGoingAway, "")
	for i := range n {
		if i > 0 {
			select {
			case <-time.After(every):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err := c.SendText(ctx, fmt.Sprintf("message %d of %d", i+1, n)); err != nil {
			return err
		}
	}
	// The server sends nothing: Receive returns when it closes.
	_, err = c.Receive(ctx)
	return err
}
