package compress

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/lxzan/gws"
	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// client is one library's client connection: roundTrip sends p and waits
// for its echo.
type client interface {
	roundTrip(p []byte, text bool) error
	close()
}

// setup is one library in one compression mode: serve starts its echo
// server on l, dial connects its client.
type setup struct {
	name  string
	serve func(b *testing.B, l net.Listener)
	dial  func(b *testing.B, addr string) client
}

// setups are every library and mode the benchmarks compare.
func setups() []setup {
	ws := func(mode string, o *conn.CompressionOptions) setup {
		var opts []conn.Option
		if o != nil {
			opts = append(opts, conn.WithCompression(*o))
		}
		return setup{"wsactor/" + mode, wsactorServer(opts), wsactorDial(opts)}
	}
	gw := func(mode string, pmd gws.PermessageDeflate) setup {
		return setup{"gws/" + mode, gwsServer(pmd), gwsDial(pmd)}
	}
	return []setup{
		ws("off", nil),
		ws("deflate", &conn.CompressionOptions{}),
		ws("deflate+takeover", &conn.CompressionOptions{ContextTakeover: true}),
		{"gorilla/off", gorillaServer(false), gorillaDial(false)},
		{"gorilla/deflate", gorillaServer(true), gorillaDial(true)},
		gw("off", gws.PermessageDeflate{}),
		gw("deflate", gws.PermessageDeflate{Enabled: true}),
		gw("deflate+takeover", gws.PermessageDeflate{Enabled: true, ServerContextTakeover: true, ClientContextTakeover: true}),
	}
}

// payload is what a benchmark sends, message after message.
type payload struct {
	name string
	text bool
	msgs [][]byte
	size int
}

// payloads are 64 distinct JSON texts of about 1.3 KiB (compressible, not
// identical) and 64 messages of 1 KiB of random bytes.
func payloads() []payload {
	r := rand.New(rand.NewPCG(1, 2))
	json := payload{name: "json", text: true}
	random := payload{name: "random"}
	for i := range 64 {
		var s strings.Builder
		fmt.Fprintf(&s, `{"id":%d,"type":"update","user":{"name":"user-%d","roles":["reader","writer"]},"items":[`, i, r.IntN(1000))
		for j := range 20 + r.IntN(20) {
			if j > 0 {
				s.WriteByte(',')
			}
			fmt.Fprintf(&s, `{"sku":"item-%04d","price":%d.%02d,"qty":%d}`, r.IntN(10000), r.IntN(100), r.IntN(100), r.IntN(9)+1)
		}
		s.WriteString("]}")
		json.msgs = append(json.msgs, []byte(s.String()))
		json.size += s.Len()
		b := make([]byte, 1024)
		for k := range b {
			b[k] = byte(r.Uint32())
		}
		random.msgs = append(random.msgs, b)
		random.size += len(b)
	}
	return []payload{json, random}
}

// BenchmarkCompression measures one message out and its echo back, and
// reports the bytes the server wrote on the wire per echo beside the
// message's size.
func BenchmarkCompression(b *testing.B) {
	for _, pl := range payloads() {
		for _, s := range setups() {
			b.Run(pl.name+"/"+s.name, func(b *testing.B) {
				wire := start(b, s)
				c := s.dial(b, wire.Addr().String())
				defer c.close()
				b.SetBytes(int64(pl.size / len(pl.msgs)))
				b.ReportAllocs()
				before := wire.written.Load()
				i := 0
				for b.Loop() {
					i++
					if err := c.roundTrip(pl.msgs[i%len(pl.msgs)], pl.text); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(wire.written.Load()-before)/float64(b.N), "wire-B/msg")
			})
		}
	}
}

// BenchmarkCompressionMemory reports the heap that a connected pair,
// client and server in this process, holds once four JSON messages went
// each way. One iteration opens 50 pairs.
func BenchmarkCompressionMemory(b *testing.B) {
	const pairs = 50
	msgs := payloads()[0].msgs[:4]
	for _, s := range setups() {
		b.Run(s.name, func(b *testing.B) {
			wire := start(b, s)
			var perPair float64
			for b.Loop() {
				b.StopTimer()
				before := heapInUse()
				b.StartTimer()
				cs := make([]client, 0, pairs)
				for range pairs {
					c := s.dial(b, wire.Addr().String())
					for _, m := range msgs {
						if err := c.roundTrip(m, true); err != nil {
							b.Fatal(err)
						}
					}
					cs = append(cs, c)
				}
				b.StopTimer()
				perPair = float64(heapInUse()-before) / pairs
				for _, c := range cs {
					c.close()
				}
				b.StartTimer()
			}
			b.ReportMetric(perPair, "heap-B/pair")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// countingListener counts the bytes written on every connection it
// accepted.
type countingListener struct {
	net.Listener
	written atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: nc, written: &l.written}, nil
}

type countingConn struct {
	net.Conn
	written *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.written.Add(int64(n))
	return n, err
}

// start serves s on a loopback listener that counts what the server
// writes, until the benchmark ends.
func start(b *testing.B, s setup) *countingListener {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	s.serve(b, cl)
	return cl
}

// serveHTTP serves h on l until the benchmark ends, then waits for every
// connection's goroutine that track counted in.
func serveHTTP(b *testing.B, l net.Listener, h http.HandlerFunc) *sync.WaitGroup {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	srv := &http.Server{Handler: h, ConnState: func(nc net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
		}
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	b.Cleanup(func() {
		srv.Close()
		<-done
		mu.Lock()
		for _, nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return &wg
}

// wsactor: Receive and Send on the server, Send and Receive on the client.

func wsactorServer(opts []conn.Option) func(*testing.B, net.Listener) {
	return func(b *testing.B, l net.Listener) {
		var wg *sync.WaitGroup
		wg = serveHTTP(b, l, func(w http.ResponseWriter, r *http.Request) {
			c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, opts...)
			if err != nil {
				return
			}
			wg.Add(1)
			defer wg.Done()
			ctx := context.Background()
			for {
				m, err := c.Receive(ctx)
				if err != nil || c.Send(ctx, m.Data, m.Opcode) != nil {
					c.Close(0, "")
					<-c.Done()
					return
				}
			}
		})
	}
}

type wsactorClient struct{ c *conn.Conn }

func wsactorDial(opts []conn.Option) func(*testing.B, string) client {
	return func(b *testing.B, addr string) client {
		c, err := conn.Dial(context.Background(), "ws://"+addr+"/", opts...)
		if err != nil {
			b.Fatal(err)
		}
		return wsactorClient{c}
	}
}

func (w wsactorClient) roundTrip(p []byte, text bool) error {
	op := frames.OpBinary
	if text {
		op = frames.OpText
	}
	ctx := context.Background()
	if err := w.c.Send(ctx, p, op); err != nil {
		return err
	}
	m, err := w.c.Receive(ctx)
	if err == nil && len(m.Data) != len(p) {
		err = fmt.Errorf("echo of %d bytes for %d", len(m.Data), len(p))
	}
	return err
}

func (w wsactorClient) close() { w.c.Close(0, "") }

// gorilla: ReadMessage and WriteMessage, EnableCompression on both sides.

func gorillaServer(compress bool) func(*testing.B, net.Listener) {
	up := websocket.Upgrader{EnableCompression: compress}
	return func(b *testing.B, l net.Listener) {
		var wg *sync.WaitGroup
		wg = serveHTTP(b, l, func(w http.ResponseWriter, r *http.Request) {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			wg.Add(1)
			defer wg.Done()
			defer c.Close()
			for {
				op, p, err := c.ReadMessage()
				if err != nil || c.WriteMessage(op, p) != nil {
					return
				}
			}
		})
	}
}

type gorillaClient struct{ c *websocket.Conn }

func gorillaDial(compress bool) func(*testing.B, string) client {
	d := websocket.Dialer{EnableCompression: compress}
	return func(b *testing.B, addr string) client {
		c, _, err := d.Dial("ws://"+addr+"/", nil)
		if err != nil {
			b.Fatal(err)
		}
		return gorillaClient{c}
	}
}

func (g gorillaClient) roundTrip(p []byte, text bool) error {
	op := websocket.BinaryMessage
	if text {
		op = websocket.TextMessage
	}
	if err := g.c.WriteMessage(op, p); err != nil {
		return err
	}
	_, got, err := g.c.ReadMessage()
	if err == nil && len(got) != len(p) {
		err = fmt.Errorf("echo of %d bytes for %d", len(got), len(p))
	}
	return err
}

func (g gorillaClient) close() { g.c.Close() }

// gws: its event handler echoes in OnMessage; the client's OnMessage hands
// each echo to roundTrip.

type gwsEcho struct{ gws.BuiltinEventHandler }

func (gwsEcho) OnMessage(socket *gws.Conn, m *gws.Message) {
	defer m.Close()
	socket.WriteMessage(m.Opcode, m.Bytes())
}

func gwsServer(pmd gws.PermessageDeflate) func(*testing.B, net.Listener) {
	return func(b *testing.B, l net.Listener) {
		up := gws.NewUpgrader(gwsEcho{}, &gws.ServerOption{PermessageDeflate: pmd})
		var wg *sync.WaitGroup
		wg = serveHTTP(b, l, func(w http.ResponseWriter, r *http.Request) {
			socket, err := up.Upgrade(w, r)
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				socket.ReadLoop()
			}()
		})
	}
}

type gwsClient struct {
	gws.BuiltinEventHandler
	socket *gws.Conn
	echoes chan int
	done   chan struct{}
}

func gwsDial(pmd gws.PermessageDeflate) func(*testing.B, string) client {
	return func(b *testing.B, addr string) client {
		g := &gwsClient{echoes: make(chan int, 1), done: make(chan struct{})}
		socket, _, err := gws.NewClient(g, &gws.ClientOption{Addr: "ws://" + addr + "/", PermessageDeflate: pmd})
		if err != nil {
			b.Fatal(err)
		}
		g.socket = socket
		go func() {
			defer close(g.done)
			socket.ReadLoop()
		}()
		return g
	}
}

func (g *gwsClient) OnMessage(_ *gws.Conn, m *gws.Message) {
	g.echoes <- m.Data.Len()
	m.Close()
}

func (g *gwsClient) roundTrip(p []byte, text bool) error {
	op := gws.OpcodeBinary
	if text {
		op = gws.OpcodeText
	}
	if err := g.socket.WriteMessage(op, p); err != nil {
		return err
	}
	select {
	case n := <-g.echoes:
		if n != len(p) {
			return fmt.Errorf("echo of %d bytes for %d", n, len(p))
		}
		return nil
	case <-g.done:
		return errors.New("gws: connection ended")
	case <-time.After(10 * time.Second):
		return errors.New("gws: no echo within 10s")
	}
}

func (g *gwsClient) close() {
	g.socket.NetConn().Close()
	<-g.done
}
