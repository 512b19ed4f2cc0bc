package libs

import (
	"context"
	"net"
	"net/http"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// wsactorServer echoes with Receive, Send and Release, or (channels) with
// In and Out, which hands the received message itself to the writer. Its broadcast encodes a PreparedMessage once and calls SendPrepared
// on every connection, which queues the frame in the connection's mailbox;
// each connection's writer sends it.
type wsactorServer struct {
	t        *tracker
	hub      *hub[*conn.Conn]
	channels bool
}

func newWsactorServer(hub bool, channels bool) *wsactorServer {
	return &wsactorServer{t: newTracker(), hub: newHub[*conn.Conn](hub), channels: channels}
}

func (s *wsactorServer) Serve(l net.Listener) error { return serveHTTP(s.t, l, s.handle) }

// handle upgrades the request and hands the connection to a goroutine of
// its own: a Conn runs on its own actors, so the HTTP handler returns (as
// gws's documentation has it do) and net/http's per-request state and
// buffers go with it.
func (s *wsactorServer) handle(w http.ResponseWriter, r *http.Request) {
	if !s.t.enter() {
		return
	}
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, conn.WithReadLimit(ReadLimit))
	if err != nil {
		s.t.leave()
		return
	}
	s.hub.add(c)
	go func() {
		defer s.t.leave()
		defer s.hub.remove(c)
		if s.channels {
			echoChannels(c)
		} else {
			echoCalls(c)
		}
		c.Close(0, "")
	}()
}

func echoCalls(c *conn.Conn) {
	ctx := context.Background()
	for {
		m, err := c.Receive(ctx)
		if err != nil {
			return
		}
		err = c.Send(ctx, m.Data, m.Opcode)
		m.Release() // Send copied it
		if err != nil {
			return
		}
	}
}

func echoChannels(c *conn.Conn) {
	for m := range c.In() {
		select {
		case c.Out() <- m:
		case <-c.Done():
			return
		}
	}
}

func (s *wsactorServer) Broadcast(p []byte) int {
	pm, err := conn.NewPreparedMessage(frames.OpBinary, p)
	if err != nil {
		return 0
	}
	ctx := context.Background()
	sent := 0
	for _, c := range s.hub.snapshot() {
		if c.SendPrepared(ctx, pm) == nil {
			sent++
		}
	}
	return sent
}

func (s *wsactorServer) Close() error {
	s.t.close()
	return nil
}

// wsactorClient is a wsactor client connection.
type wsactorClient struct {
	c        *conn.Conn
	channels bool
}

func dialWsactor(ctx context.Context, url string, channels bool) (*wsactorClient, error) {
	c, err := conn.Dial(ctx, url, conn.WithReadLimit(ReadLimit))
	if err != nil {
		return nil, err
	}
	return &wsactorClient{c: c, channels: channels}, nil
}

func (w *wsactorClient) Send(p []byte) error {
	if !w.channels {
		return w.c.Send(context.Background(), p, frames.OpBinary)
	}
	// Out takes ownership of Data: the benchmark never modifies p.
	select {
	case w.c.Out() <- conn.Message{Opcode: frames.OpBinary, Data: p}:
		return nil
	case <-w.c.Done():
		return w.c.Err()
	}
}

func (w *wsactorClient) Run(onMessage func(int) bool) error {
	if w.channels {
		for m := range w.c.In() {
			more := onMessage(len(m.Data))
			m.Release()
			if !more {
				return nil
			}
		}
		<-w.c.Done()
		return w.c.Err()
	}
	ctx := context.Background()
	for {
		m, err := w.c.Receive(ctx)
		if err != nil {
			return err
		}
		more := onMessage(len(m.Data))
		m.Release()
		if !more {
			return nil
		}
	}
}

// Close closes the connection. The benchmark stops receiving before it
// closes, with echoes still on their way; they are discarded so that the
// reader gets to the server's close frame and the closing handshake
// completes, instead of waiting for the close timeout behind a full
// receive queue.
func (w *wsactorClient) Close() error {
	go func() {
		for range w.c.In() {
		}
	}()
	return w.c.Close(0, "")
}
