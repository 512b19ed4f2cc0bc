package libs

import (
	"context"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// coderServer echoes with Reader (into a reused buffer) and Write, which
// is safe for concurrent use, so its broadcast calls Write on every
// connection.
type coderServer struct {
	t   *tracker
	hub *hub[*websocket.Conn]
}

func newCoderServer(hub bool) *coderServer {
	return &coderServer{t: newTracker(), hub: newHub[*websocket.Conn](hub)}
}

func (s *coderServer) Serve(l net.Listener) error { return serveHTTP(s.t, l, s.handle) }

func (s *coderServer) handle(w http.ResponseWriter, r *http.Request) {
	if !s.t.enter() {
		return
	}
	defer s.t.leave()
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(ReadLimit)
	s.hub.add(c)
	defer s.hub.remove(c)
	ctx := context.Background()
	var buf []byte
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		if buf, err = readAll(buf, rd); err != nil {
			return
		}
		if err := c.Write(ctx, typ, buf); err != nil {
			return
		}
	}
}

func (s *coderServer) Broadcast(p []byte) int {
	ctx := context.Background()
	sent := 0
	for _, c := range s.hub.snapshot() {
		if c.Write(ctx, websocket.MessageBinary, p) == nil {
			sent++
		}
	}
	return sent
}

func (s *coderServer) Close() error {
	s.t.close()
	return nil
}

type coderClient struct {
	c   *websocket.Conn
	buf []byte
}

func dialCoder(ctx context.Context, url string) (*coderClient, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(ReadLimit)
	return &coderClient{c: c}, nil
}

func (k *coderClient) Send(p []byte) error {
	return k.c.Write(context.Background(), websocket.MessageBinary, p)
}

func (k *coderClient) Run(onMessage func(int) bool) error {
	ctx := context.Background()
	for {
		_, rd, err := k.c.Reader(ctx)
		if err != nil {
			return err
		}
		if k.buf, err = readAll(k.buf, rd); err != nil {
			return err
		}
		if !onMessage(len(k.buf)) {
			return nil
		}
	}
}

func (k *coderClient) Close() error { return k.c.CloseNow() }
