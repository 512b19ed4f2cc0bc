// Package libs wraps each WebSocket library under test behind the two
// small interfaces the benchmark drives: an echo Server and a Client.
//
// Every library is used through its idiomatic, documented fast path, with
// default options except where a default would refuse the benchmark's
// messages (read limits are raised to 32 MiB everywhere):
//
//   - wsactor: a handler that upgrades and hands the connection to a
//     goroutine that calls Receive, Send and Message.Release (the call API,
//     which then reuses message buffers); "wsactor-chan" is the same
//     connection driven through In and Out (the server's echo sets
//     Message.Recycle, which reuses them too). The handler returns, as
//     gws's does: the connection runs on its own actors.
//   - gorilla (github.com/gorilla/websocket): NextReader into a reused
//     buffer, WriteMessage; PreparedMessage for broadcasts.
//   - coder (github.com/coder/websocket): Reader into a reused buffer,
//     Write with a context.
//   - gws (github.com/lxzan/gws): its event handler, WriteMessage from
//     OnMessage; its Broadcaster for broadcasts.
//   - gobwas (github.com/gobwas/ws): the low-level frame API (ReadHeader,
//     Cipher, WriteHeader) over 4 KiB bufio buffers on the server; wsutil's
//     WriteClientMessage on the client; a compiled frame for broadcasts.
//   - raw: not WebSocket at all. The server echoes the bytes it reads.
//   - minimal: the benchmark's own WebSocket echo (package wire), the
//     common server every library's client is measured against.
//
// Every server runs one goroutine per connection (gws and gobwas could do
// without, with an event loop of their own; that is not their common use).
package libs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// ReadLimit is the largest message any library accepts in the benchmark.
const ReadLimit = 32 << 20

// ErrUnknown is returned for a library name the package does not know.
var ErrUnknown = errors.New("libs: unknown library")

// A Server is one library's WebSocket echo server: it echoes every message
// it receives on every connection, and in hub mode it also keeps its
// connections so that it can broadcast to all of them.
type Server interface {
	// Serve accepts connections on l and serves them until Close.
	Serve(l net.Listener) error
	// Broadcast sends p as one binary message to every connection (in hub
	// mode) and returns how many connections it was handed to.
	Broadcast(p []byte) int
	// Close stops accepting, closes every connection and waits for the
	// goroutines that served them.
	Close() error
}

// A Client is one library's WebSocket client on one connection. Send may
// be called before Run and from within Run's callback, which is how the
// benchmark keeps messages in flight; it is never called concurrently with
// itself.
type Client interface {
	// Send sends p as one binary message.
	Send(p []byte) error
	// Run receives messages and calls onMessage with each one's size until
	// onMessage returns false (then Run returns nil) or the connection
	// fails.
	Run(onMessage func(size int) bool) error
	// Close closes the connection.
	Close() error
}

// ServerNames are the servers the benchmark measures, in table order.
var ServerNames = []string{"wsactor", "wsactor-chan", "gorilla", "coder", "gws", "gobwas", "raw"}

// ClientNames are the clients the benchmark measures, in table order
// (raw is measured with the load generator's own raw client).
var ClientNames = []string{"wsactor", "wsactor-chan", "gorilla", "coder", "gws", "gobwas"}

// NewServer returns the echo server of the named library ("minimal" for
// the common one). In hub mode it keeps its connections for Broadcast.
func NewServer(name string, hub bool) (Server, error) {
	switch name {
	case "wsactor", "wsactor-chan":
		return newWsactorServer(hub, name == "wsactor-chan"), nil
	case "gorilla":
		return newGorillaServer(hub), nil
	case "coder":
		return newCoderServer(hub), nil
	case "gws":
		return newGwsServer(hub), nil
	case "gobwas":
		return newGobwasServer(hub), nil
	case "raw":
		return newRawServer(hub), nil
	case "minimal":
		return newMinimalServer(), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
}

// Dial connects the named library's client to the echo server at addr
// (host:port).
func Dial(ctx context.Context, name, addr string) (Client, error) {
	url := "ws://" + addr + "/"
	switch name {
	case "wsactor", "wsactor-chan":
		return dialWsactor(ctx, url, name == "wsactor-chan")
	case "gorilla":
		return dialGorilla(ctx, url)
	case "coder":
		return dialCoder(ctx, url)
	case "gws":
		return dialGws(ctx, url)
	case "gobwas":
		return dialGobwas(ctx, url)
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknown, name)
}

// tracker knows every connection a server accepted and every goroutine
// that serves one, so that Close can end them all and wait.
type tracker struct {
	mu     sync.Mutex
	cond   sync.Cond
	conns  map[net.Conn]struct{}
	ls     []net.Listener
	active int
	closed bool
}

func newTracker() *tracker {
	t := &tracker{conns: make(map[net.Conn]struct{})}
	t.cond.L = &t.mu
	return t
}

// listen wraps l so that every connection it accepts is tracked.
func (t *tracker) listen(l net.Listener) (net.Listener, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, net.ErrClosed
	}
	t.ls = append(t.ls, l)
	return trackedListener{Listener: l, t: t}, nil
}

// enter registers a goroutine that serves a connection; it returns false
// once the server is closed.
func (t *tracker) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.active++
	return true
}

func (t *tracker) leave() {
	t.mu.Lock()
	t.active--
	if t.active == 0 {
		t.cond.Broadcast()
	}
	t.mu.Unlock()
}

// forget drops a connection that its server closed.
func (t *tracker) forget(nc net.Conn) {
	t.mu.Lock()
	delete(t.conns, nc)
	t.mu.Unlock()
}

// close closes the listeners and every connection, and waits for every
// goroutine that entered to leave.
func (t *tracker) close() {
	t.mu.Lock()
	t.closed = true
	for _, l := range t.ls {
		l.Close()
	}
	for nc := range t.conns {
		nc.Close()
	}
	for t.active > 0 {
		t.cond.Wait()
	}
	t.mu.Unlock()
}

type trackedListener struct {
	net.Listener
	t *tracker
}

func (l trackedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	if l.t.closed {
		nc.Close()
		return nil, net.ErrClosed
	}
	l.t.conns[nc] = struct{}{}
	return nc, nil
}

// serveHTTP serves handler on l until the tracker closes.
func serveHTTP(t *tracker, l net.Listener, handler http.HandlerFunc) error {
	tl, err := t.listen(l)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	err = srv.Serve(tl)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// acceptLoop accepts connections from l and serves each in a goroutine of
// its own until the tracker closes.
func acceptLoop(t *tracker, l net.Listener, serve func(net.Conn)) error {
	tl, err := t.listen(l)
	if err != nil {
		return err
	}
	for {
		nc, err := tl.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if !t.enter() {
			nc.Close()
			return nil
		}
		go func() {
			defer t.leave()
			serve(nc)
		}()
	}
}

// hub is the set of a server's connections, kept in hub mode only.
type hub[C comparable] struct {
	on    bool
	mu    sync.Mutex
	conns map[C]struct{}
}

func newHub[C comparable](on bool) *hub[C] {
	return &hub[C]{on: on, conns: make(map[C]struct{})}
}

func (h *hub[C]) add(c C) {
	if h.on {
		h.mu.Lock()
		h.conns[c] = struct{}{}
		h.mu.Unlock()
	}
}

func (h *hub[C]) remove(c C) {
	if h.on {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
	}
}

// snapshot returns the connections at this moment.
func (h *hub[C]) snapshot() []C {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]C, 0, len(h.conns))
	for c := range h.conns {
		out = append(out, c)
	}
	return out
}

// readAll reads r to its end into buf, reusing buf's memory, and returns
// the grown buffer holding exactly what was read.
func readAll(buf []byte, r io.Reader) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(512, cap(buf)))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
