// Client is a command-line WebSocket client in the manner of wscat and
// websocat: it sends each line of standard input as a message and prints
// every message that arrives.
//
//	go run ./examples/client ws://localhost:9001/
//	go run ./examples/client -protocol chat -H 'Authorization: Bearer x' wss://example.com/ws
//	echo hello | go run ./examples/client ws://localhost:9001/
//
// Lines go out as text messages, or as binary with -binary. Received text
// is printed as it is; binary is printed as "[binary N bytes]" and its
// bytes in hex. With -ping, a ping goes out whenever the server has been
// silent that long, and a server that stays silent as long again is taken
// for dead.
//
// When the connection drops, or the server cannot be reached, the client
// says so on standard error and dials again with a growing delay (through
// supervisor.Client), until the server refuses it for good (a 4xx answer,
// a protocol error). At the end of standard input it waits for the server
// to fall silent for -linger (so that replies to the last lines are
// printed), closes with 1000 and exits once the server has answered;
// Ctrl-C closes at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

// headerFlag collects -H "Name: value" flags.
type headerFlag []string

func (h *headerFlag) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlag) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	var (
		cfg     config
		headers headerFlag
		proto   string
	)
	flag.StringVar(&proto, "protocol", "", "subprotocols to offer, comma-separated")
	flag.Var(&headers, "H", `extra request header "Name: value" (repeatable)`)
	flag.BoolVar(&cfg.binary, "binary", false, "send lines as binary messages")
	flag.DurationVar(&cfg.ping, "ping", 0, "ping after this long without a message from the server (0: never)")
	flag.DurationVar(&cfg.linger, "linger", time.Second, "at the end of input, close once the server has been silent this long")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: client [flags] ws://host[:port]/path\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	cfg.url = flag.Arg(0)
	if proto != "" {
		cfg.protocols = strings.Split(proto, ",")
	}
	var err error
	if cfg.header, err = parseHeaders(headers); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}
