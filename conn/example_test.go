package conn_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// exampleEcho is a server handler that answers every message with itself.
func exampleEcho(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{Protocols: []string{"echo"}})
	if err != nil {
		return // Upgrade has answered the refusal
	}
	for m, err := range c.Each(context.Background()) {
		if err != nil {
			return
		}
		c.Send(context.Background(), m.Data, m.Opcode)
	}
}

// exampleServer starts the echo server on loopback.
func exampleServer() (string, func()) {
	ts := httptest.NewServer(http.HandlerFunc(exampleEcho))
	return "ws" + strings.TrimPrefix(ts.URL, "http"), ts.Close
}

func ExampleDial() {
	url, stop := exampleServer()
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, url, conn.WithProtocols("echo"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frames.CloseNormal, "bye")

	if err := c.SendText(ctx, "hello"); err != nil {
		log.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Protocol(), m.Opcode, m)
	// Output: echo text hello
}

func ExampleUpgrade() {
	http.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return // refused: Upgrade wrote the status and the reason
		}
		// Run the connection beyond the handler: Upgrade has hijacked it.
		go func() {
			defer c.Close(frames.CloseNormal, "")
			for m, err := range c.Each(context.Background()) {
				if err != nil {
					return
				}
				log.Printf("%s: %s", c.RemoteAddr(), m)
			}
		}()
	})
}

func ExampleConn_Receive() {
	url, stop := exampleServer()
	defer stop()
	c, _ := conn.Dial(context.Background(), url)
	defer c.Close(0, "")

	// A receive whose context ends loses nothing: the next one gets the
	// next message.
	short, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.Receive(short)
	fmt.Println(err)

	c.SendText(context.Background(), "still here")
	m, _ := c.Receive(context.Background())
	fmt.Println(m)
	// Output:
	// context deadline exceeded
	// still here
}

func ExampleConn_Each() {
	url, stop := exampleServer()
	defer stop()
	c, _ := conn.Dial(context.Background(), url)
	for _, s := range []string{"one", "two", "three"} {
		c.SendText(context.Background(), s)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.Close(frames.CloseNormal, "done")
	}()
	// Each ends quietly on a normal close and yields any other end as an
	// error.
	for m, err := range c.Each(context.Background()) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(m)
	}
	// Output:
	// one
	// two
	// three
}

func ExampleConn_In() {
	url, stop := exampleServer()
	defer stop()
	a, _ := conn.Dial(context.Background(), url)
	b, _ := conn.Dial(context.Background(), url)
	defer a.Close(0, "")
	defer b.Close(0, "")

	a.Out() <- conn.TextMessage("from a")
	b.Out() <- conn.TextMessage("from b")

	// One goroutine serves many connections with select.
	timeout := time.After(5 * time.Second)
	for range 2 {
		select {
		case m := <-a.In():
			fmt.Println("a got", m)
		case m := <-b.In():
			fmt.Println("b got", m)
		case <-timeout:
			return
		}
	}
	// Unordered output:
	// a got from a
	// b got from b
}

// An echo over In and Out that hands each message back to the pool once it
// is sent (Recycle), so that the next message received reuses its memory.
func ExampleConn_Out() {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return
		}
		for m := range c.In() {
			m.Recycle = true // nothing here uses m.Data once it is sent
			select {
			case c.Out() <- m:
			case <-c.Done():
			}
		}
	}))
	defer ts.Close()
	ctx := context.Background()
	c, err := conn.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(0, "")

	c.SendText(ctx, "hello")
	m, err := c.Receive(ctx)
	fmt.Println(m, err)
	// Output: hello <nil>
}

func ExampleConn_Close() {
	url, stop := exampleServer()
	defer stop()
	c, _ := conn.Dial(context.Background(), url)

	// Close sends a close frame, waits for the peer's and for TCP to
	// close, at most the close timeout, and reports how it went.
	fmt.Println(c.Close(frames.CloseNormal, "done"), c.State())
	// Later calls report the peer's close frame: wsactor's echo carries
	// the code back, without the reason.
	_, err := c.Receive(context.Background())
	fmt.Println(err)
	// Output:
	// <nil> closed
	// websocket: closed: 1000 normal closure
}

func ExampleWithCompression() {
	// Both ends must enable compression for it to be negotiated.
	compress := conn.WithCompression(conn.CompressionOptions{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, compress)
		if err != nil {
			return
		}
		for m, err := range c.Each(context.Background()) {
			if err != nil {
				return
			}
			c.Send(context.Background(), m.Data, m.Opcode) // compressed again
		}
	}))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := conn.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http"), compress)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(frames.CloseNormal, "bye")
	fmt.Println(c.ResponseHeader().Get("Sec-WebSocket-Extensions"))

	// At least CompressionOptions.Threshold bytes (512 by default), and
	// compressible: this message goes compressed both ways.
	msg := strings.Repeat(`{"event":"tick","ok":true}`, 40)
	if err := c.SendText(ctx, msg); err != nil {
		log.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(m.Data), m.String() == msg)
	// Output:
	// permessage-deflate; server_no_context_takeover; client_no_context_takeover
	// 1040 true
}
