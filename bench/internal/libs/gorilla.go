package libs

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// gorillaConn is a gorilla connection with the write lock its
// documentation asks for once a broadcast may write beside the echo.
type gorillaConn struct {
	mu sync.Mutex
	c  *websocket.Conn
}

// gorillaServer echoes with NextReader (into a reused buffer) and
// WriteMessage; it broadcasts a PreparedMessage, encoded once.
type gorillaServer struct {
	t   *tracker
	hub *hub[*gorillaConn]
	up  websocket.Upgrader
}

func newGorillaServer(hub bool) *gorillaServer {
	return &gorillaServer{t: newTracker(), hub: newHub[*gorillaConn](hub)}
}

func (s *gorillaServer) Serve(l net.Listener) error { return serveHTTP(s.t, l, s.handle) }

func (s *gorillaServer) handle(w http.ResponseWriter, r *http.Request) {
	if !s.t.enter() {
		return
	}
	defer s.t.leave()
	c, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetReadLimit(ReadLimit)
	gc := &gorillaConn{c: c}
	s.hub.add(gc)
	defer s.hub.remove(gc)
	var buf []byte
	for {
		op, rd, err := c.NextReader()
		if err != nil {
			return
		}
		if buf, err = readAll(buf, rd); err != nil {
			return
		}
		gc.mu.Lock()
		err = c.WriteMessage(op, buf)
		gc.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *gorillaServer) Broadcast(p []byte) int {
	pm, err := websocket.NewPreparedMessage(websocket.BinaryMessage, p)
	if err != nil {
		return 0
	}
	sent := 0
	for _, gc := range s.hub.snapshot() {
		gc.mu.Lock()
		err := gc.c.WritePreparedMessage(pm)
		gc.mu.Unlock()
		if err == nil {
			sent++
		}
	}
	return sent
}

func (s *gorillaServer) Close() error {
	s.t.close()
	return nil
}

type gorillaClient struct {
	c   *websocket.Conn
	buf []byte
}

func dialGorilla(ctx context.Context, url string) (*gorillaClient, error) {
	c, _, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(ReadLimit)
	return &gorillaClient{c: c}, nil
}

func (g *gorillaClient) Send(p []byte) error { return g.c.WriteMessage(websocket.BinaryMessage, p) }

func (g *gorillaClient) Run(onMessage func(int) bool) error {
	for {
		_, rd, err := g.c.NextReader()
		if err != nil {
			return err
		}
		if g.buf, err = readAll(g.buf, rd); err != nil {
			return err
		}
		if !onMessage(len(g.buf)) {
			return nil
		}
	}
}

func (g *gorillaClient) Close() error { return g.c.Close() }
