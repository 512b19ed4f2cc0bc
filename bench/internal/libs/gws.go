package libs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/lxzan/gws"
)

// gwsServer is gws's event handler: OnMessage writes the message back.
// Its broadcast uses gws's Broadcaster, which encodes the frame once and
// queues it on every connection.
type gwsServer struct {
	gws.BuiltinEventHandler
	t   *tracker
	hub *hub[*gws.Conn]
	up  *gws.Upgrader
}

func newGwsServer(hub bool) *gwsServer {
	s := &gwsServer{t: newTracker(), hub: newHub[*gws.Conn](hub)}
	s.up = gws.NewUpgrader(s, &gws.ServerOption{
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
	})
	return s
}

func (s *gwsServer) Serve(l net.Listener) error { return serveHTTP(s.t, l, s.handle) }

func (s *gwsServer) handle(w http.ResponseWriter, r *http.Request) {
	if !s.t.enter() {
		return
	}
	socket, err := s.up.Upgrade(w, r)
	if err != nil {
		s.t.leave()
		return
	}
	s.hub.add(socket)
	// As gws's documentation does it: the read loop in a goroutine of its
	// own, and the HTTP handler returns.
	go func() {
		defer s.t.leave()
		socket.ReadLoop()
	}()
}

// OnMessage echoes the message and returns its buffer to gws's pool.
func (s *gwsServer) OnMessage(socket *gws.Conn, m *gws.Message) {
	defer m.Close()
	socket.WriteMessage(m.Opcode, m.Bytes())
}

// OnClose forgets the connection.
func (s *gwsServer) OnClose(socket *gws.Conn, err error) { s.hub.remove(socket) }

func (s *gwsServer) Broadcast(p []byte) int {
	b := gws.NewBroadcaster(gws.OpcodeBinary, p)
	defer b.Close()
	sent := 0
	for _, socket := range s.hub.snapshot() {
		if b.Broadcast(socket) == nil {
			sent++
		}
	}
	return sent
}

func (s *gwsServer) Close() error {
	s.t.close()
	return nil
}

// gwsClient runs gws's read loop in Run; its handler passes every message
// to Run's callback.
type gwsClient struct {
	gws.BuiltinEventHandler
	socket    *gws.Conn
	onMessage func(int) bool
	stopped   atomic.Bool
	err       error
}

func dialGws(ctx context.Context, url string) (*gwsClient, error) {
	g := &gwsClient{}
	opt := &gws.ClientOption{
		Addr:                url,
		ReadMaxPayloadSize:  ReadLimit,
		WriteMaxPayloadSize: ReadLimit,
		NewDialer:           func() (gws.Dialer, error) { return ctxDialer{ctx}, nil },
	}
	socket, _, err := gws.NewClient(g, opt)
	if err != nil {
		return nil, err
	}
	g.socket = socket
	return g, nil
}

// ctxDialer lets gws dial with the caller's context.
type ctxDialer struct{ ctx context.Context }

func (d ctxDialer) Dial(network, addr string) (net.Conn, error) {
	var nd net.Dialer
	return nd.DialContext(d.ctx, network, addr)
}

func (g *gwsClient) Send(p []byte) error { return g.socket.WriteMessage(gws.OpcodeBinary, p) }

func (g *gwsClient) Run(onMessage func(int) bool) error {
	g.onMessage = onMessage
	g.socket.ReadLoop()
	if g.stopped.Load() {
		return nil
	}
	if g.err == nil {
		return errors.New("gws: read loop ended")
	}
	return g.err
}

// OnMessage hands the message's size to Run's callback, and ends the read
// loop when the callback says so.
func (g *gwsClient) OnMessage(socket *gws.Conn, m *gws.Message) {
	n := m.Data.Len()
	m.Close()
	if !g.onMessage(n) {
		g.stopped.Store(true)
		socket.NetConn().Close()
	}
}

// OnClose records why the read loop ended.
func (g *gwsClient) OnClose(socket *gws.Conn, err error) { g.err = err }

func (g *gwsClient) Close() error { return g.socket.NetConn().Close() }
