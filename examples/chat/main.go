// Chat is wsactor's demo: a chat room in the browser.
//
//	go run ./examples/chat              # then open http://localhost:8080/
//	go run ./examples/chat -addr :9000
//
// The server serves a page (HTML, CSS and JavaScript embedded in the
// program) and, at /ws, a supervisor.Hub: each page holds one WebSocket,
// sends what its user types as JSON, and the hub broadcasts every message,
// arrival and departure to all pages, encoded once. Open the page in two
// windows and talk. Ctrl-C closes every connection with 1001 Going Away;
// the pages reconnect when the server is back.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"
)

//go:embed static
var static embed.FS

// handler serves the page at / and the room at /ws.
func handler(r *room) http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is part of the program
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.Handle("GET /ws", r)
	return mux
}

func main() {
	addr := flag.String("addr", "localhost:8080", "address to serve the chat on")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("chat room at http://%s/\n", ln.Addr())
	if err := serve(ctx, ln, slog.Default()); err != nil {
		log.Fatal(err)
	}
}

// serve runs the chat on ln until ctx ends, then closes every connection
// with 1001 Going Away, within a few seconds.
func serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	r := newRoom(log)
	srv := &http.Server{Handler: handler(r), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The hub owns the hijacked connections; the server only the rest.
	return errors.Join(r.shutdown(sctx), srv.Shutdown(sctx), ignoreClosed(<-served))
}

// ignoreClosed drops the error Serve returns after Shutdown.
func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
