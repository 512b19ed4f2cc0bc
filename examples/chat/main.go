package main

import (
	"embed"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
)

//go:embed static
var static embed.FS

func handler(r *room) http.Handler {
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.Handle("GET /ws", r)
	return mux
}

func main() {
	addr := flag.String("addr", "localhost:8080", "address")
	flag.Parse()
	fmt.Printf("http://%s/\n", *addr)
	log.Fatal(http.ListenAndServe(*addr, handler(newRoom(slog.Default()))))
}
