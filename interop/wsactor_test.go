package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// exchangeTimeout bounds one exchange, 16 MiB messages and the race
// detector included.
const exchangeTimeout = 2 * time.Minute

// serverResult is how one connection to the wsactor test server went.
type serverResult struct {
	path    string
	elapsed time.Duration
	err     error
}

// scriptServer is wsactor as a server on 127.0.0.1: it serves every
// exchange at its path, as the exchange says, and reports each connection's
// outcome on results.
type scriptServer struct {
	*httptest.Server
	results chan serverResult
	wire    *countingListener
	early   map[string][]serverResult // outcomes that came before they were asked for; the test's goroutine only
}

// newScriptServer adds the exchanges' handlers to mux (nil for a new one;
// it may carry other routes, like the browser's page) and starts serving
// it. The server is shut down when the test ends.
func newScriptServer(t *testing.T, mux *http.ServeMux) *scriptServer {
	t.Helper()
	if mux == nil {
		mux = http.NewServeMux()
	}
	s := &scriptServer{results: make(chan serverResult, 2*len(exchanges))}
	for _, ex := range exchanges {
		mux.HandleFunc(ex.path, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			err := serveExchange(w, r, ex, s.wire.count(r.RemoteAddr))
			s.results <- serverResult{path: ex.path, elapsed: time.Since(start), err: err}
		})
	}
	s.Server = httptest.NewUnstartedServer(mux)
	s.wire = &countingListener{Listener: s.Listener}
	s.Listener = s.wire
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// wsURL is the server's address with the ws scheme.
func (s *scriptServer) wsURL() string {
	return "ws" + strings.TrimPrefix(s.URL, "http")
}

// result waits for the outcome of the connection to path. Outcomes of
// other paths that arrive first (a later exchange whose handler returned
// sooner, or an earlier one that failed before reading its own) are kept
// for the call that asks for them.
func (s *scriptServer) result(t *testing.T, path string) serverResult {
	t.Helper()
	if rs := s.early[path]; len(rs) > 0 {
		s.early[path] = rs[1:]
		return rs[0]
	}
	timeout := time.After(exchangeTimeout)
	for {
		select {
		case r := <-s.results:
			if r.path == path {
				return r
			}
			if s.early == nil {
				s.early = make(map[string][]serverResult)
			}
			s.early[r.path] = append(s.early[r.path], r)
		case <-timeout:
			t.Fatalf("wsactor server: no connection to %s finished within %v", path, exchangeTimeout)
			return serverResult{}
		}
	}
}

// serveExchange upgrades r and plays the server's part of ex: check the
// subprotocol, check and echo every message of the script, then close with
// 4001 "bye" or expect the peer's 4002 "peer bye".
func serveExchange(w http.ResponseWriter, r *http.Request, ex exchange, wire *wireCount) error {
	ctx, cancel := context.WithTimeout(context.Background(), exchangeTimeout)
	defer cancel()
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{Protocols: serverProtocols}, ex.wsactorOptions()...)
	if err != nil {
		return fmt.Errorf("Upgrade: %w", err)
	}
	// On any failure, end the connection; after a clean end this does nothing.
	defer c.Close(frames.CloseInternalError, "interop test failed")
	if got := c.Protocol(); got != ex.protocol {
		return fmt.Errorf("chose subprotocol %q, want %q", got, ex.protocol)
	}
	if err := ex.checkExtensions(c.ResponseHeader().Get("Sec-WebSocket-Extensions")); err != nil {
		return err
	}
	for _, want := range ex.script() {
		got, err := c.Receive(ctx)
		if err != nil {
			return fmt.Errorf("receiving %s: %w", describe(want), err)
		}
		if err := sameMessage(got, want); err != nil {
			return err
		}
		if err := c.Send(ctx, got.Data, got.Opcode); err != nil {
			return fmt.Errorf("echoing %s: %w", describe(got), err)
		}
	}
	if err := finishExchange(ctx, c, ex, func() error { return nil }); err != nil {
		return err
	}
	return ex.checkWire(wire.read.Load(), wire.written.Load())
}

// dialExchange plays the client's part of ex against the server at base:
// dial with ex's subprotocols, send every message of the script and check
// its echo, then close with 4001 "bye" or ask the peer server (with its
// "interop:close" command) to close with 4002 "peer bye".
func dialExchange(ctx context.Context, base string, ex exchange) error {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	wire := &wireCount{}
	dial := conn.WithDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: nc, n: wire}, nil
	})
	opts := append([]conn.Option{conn.WithProtocols(ex.offer...), dial}, ex.wsactorOptions()...)
	c, err := conn.Dial(ctx, base+ex.path, opts...)
	if err != nil {
		return fmt.Errorf("Dial: %w", err)
	}
	defer c.Close(frames.CloseInternalError, "interop test failed")
	if got := c.Protocol(); got != ex.protocol {
		return fmt.Errorf("got subprotocol %q, want %q", got, ex.protocol)
	}
	if err := ex.checkExtensions(c.ResponseHeader().Get("Sec-WebSocket-Extensions")); err != nil {
		return err
	}
	for _, want := range ex.script() {
		if err := c.Send(ctx, want.Data, want.Opcode); err != nil {
			return fmt.Errorf("sending %s: %w", describe(want), err)
		}
		got, err := c.Receive(ctx)
		if err != nil {
			return fmt.Errorf("receiving the echo of %s: %w", describe(want), err)
		}
		if err := sameMessage(got, want); err != nil {
			return fmt.Errorf("echo: %w", err)
		}
	}
	askPeer := func() error {
		cmd := fmt.Sprintf("interop:close %d %s", peerCloseCode, peerCloseReason)
		return c.SendText(ctx, cmd)
	}
	if err := finishExchange(ctx, c, ex, askPeer); err != nil {
		return err
	}
	return ex.checkWire(wire.read.Load(), wire.written.Load())
}

// wireCount counts the bytes of one connection.
type wireCount struct {
	read, written atomic.Int64
}

// countingConn counts what passes through a connection.
type countingConn struct {
	net.Conn
	n *wireCount
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.written.Add(int64(n))
	return n, err
}

// countingListener counts the bytes of every connection it accepts, by
// the peer's address.
type countingListener struct {
	net.Listener
	conns sync.Map // remote address -> *wireCount
}

func (l *countingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := &wireCount{}
	l.conns.Store(nc.RemoteAddr().String(), n)
	return &countingConn{Conn: nc, n: n}, nil
}

// count returns the counts of the connection from addr, and forgets them.
func (l *countingListener) count(addr string) *wireCount {
	if n, ok := l.conns.LoadAndDelete(addr); ok {
		return n.(*wireCount)
	}
	return &wireCount{}
}

// finishExchange ends ex on c. When wsactor closes, Close must complete the
// closing handshake. When the peer closes (after askPeer, for a client),
// Receive and then Err must report a *conn.CloseError with the peer's code
// and reason.
func finishExchange(ctx context.Context, c *conn.Conn, ex exchange, askPeer func() error) error {
	if ex.closedBy == wsactorCloses {
		if err := c.Close(wsactorCloseCode, wsactorCloseReason); err != nil {
			return fmt.Errorf("Close(%d, %q) = %v, want nil after a closing handshake", wsactorCloseCode, wsactorCloseReason, err)
		}
		return nil
	}
	if err := askPeer(); err != nil {
		return fmt.Errorf("asking the peer to close: %w", err)
	}
	msg, err := c.Receive(ctx)
	if err == nil {
		return fmt.Errorf("after the script, Receive returned a %s, want the peer's close", describe(msg))
	}
	if err := wantPeerClose("Receive", err); err != nil {
		return err
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		return fmt.Errorf("connection not over after the peer's close: %w", ctx.Err())
	}
	return wantPeerClose("Err", c.Err())
}

// wantPeerClose checks that err, returned by the call named call, is the
// *conn.CloseError of the peer's 4002 "peer bye".
func wantPeerClose(call string, err error) error {
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s returned %v (%T), want a *conn.CloseError", call, err, err)
	}
	if ce.Code != peerCloseCode || ce.Reason != peerCloseReason || ce.Err != nil {
		return fmt.Errorf("%s returned CloseError{%d, %q, %v}, want {%d, %q, nil}",
			call, ce.Code, ce.Reason, ce.Err, peerCloseCode, peerCloseReason)
	}
	if !errors.Is(err, conn.ErrClosed) {
		return fmt.Errorf("%s returned %v, which does not match conn.ErrClosed", call, err)
	}
	return nil
}

// sameMessage says how got differs from want, or returns nil.
func sameMessage(got, want conn.Message) error {
	if got.Opcode != want.Opcode || len(got.Data) != len(want.Data) {
		return fmt.Errorf("got a %s, want a %s", describe(got), describe(want))
	}
	if i := firstDifference(got.Data, want.Data); i >= 0 {
		return fmt.Errorf("%s differs from byte %d on", describe(want), i)
	}
	return nil
}

// firstDifference returns the first index where a and b (of equal length)
// differ, or -1.
func firstDifference(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}
