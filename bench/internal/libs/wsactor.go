package libs

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/supervisor"
)

// wsactorServer echoes with Receive, Send and Release, or (channels) with
// In and Out, which hands the received message itself to the writer with
// Recycle set, to be released once sent. In hub mode its connections are
// held by a supervisor.Hub, which runs the echo as each connection's
// handler and broadcasts: it encodes a PreparedMessage once and queues it
// on every connection without waiting (TrySendPrepared); each
// connection's writer sends it.
type wsactorServer struct {
	t        *tracker
	hub      *supervisor.Hub // nil unless in hub mode
	channels bool
}

func newWsactorServer(hub bool, channels bool) *wsactorServer {
	s := &wsactorServer{t: newTracker(), channels: channels}
	if hub {
		s.hub = supervisor.NewHub(s.echo, supervisor.HubOptions{
			ConnOptions: []conn.Option{conn.WithReadLimit(ReadLimit)},
			Logger:      slog.New(slog.DiscardHandler),
		})
	}
	return s
}

func (s *wsactorServer) Serve(l net.Listener) error { return serveHTTP(s.t, l, s.handle) }

// handle upgrades the request and hands the connection to a goroutine of
// its own: a Conn runs on its own actors, so the HTTP handler returns (as
// gws's documentation has it do) and net/http's per-request state and
// buffers go with it. In hub mode the hub upgrades and runs the echo in
// the handler's goroutine.
func (s *wsactorServer) handle(w http.ResponseWriter, r *http.Request) {
	if !s.t.enter() {
		return
	}
	if s.hub != nil {
		defer s.t.leave()
		s.hub.ServeHTTP(w, r)
		return
	}
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{}, conn.WithReadLimit(ReadLimit))
	if err != nil {
		s.t.leave()
		return
	}
	go func() {
		defer s.t.leave()
		s.echo(context.Background(), c)
		c.Close(0, "")
	}()
}

// echo serves one connection until it ends.
func (s *wsactorServer) echo(_ context.Context, c *conn.Conn) error {
	if s.channels {
		echoChannels(c)
	} else {
		echoCalls(c)
	}
	return nil
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
		m.Recycle = true // the writer releases it once sent
		select {
		case c.Out() <- m:
		case <-c.Done():
			return
		}
	}
}

func (s *wsactorServer) Broadcast(p []byte) int {
	if s.hub == nil {
		return 0
	}
	pm, err := conn.NewPreparedMessage(frames.OpBinary, p)
	if err != nil {
		return 0
	}
	return s.hub.Broadcast(pm)
}

// hubShutdownTimeout bounds how long Close lets the hub's connections
// finish their closing handshakes before the tracker closes their sockets.
const hubShutdownTimeout = 5 * time.Second

func (s *wsactorServer) Close() error {
	if s.hub != nil {
		ctx, cancel := context.WithTimeout(context.Background(), hubShutdownTimeout)
		s.hub.Shutdown(ctx)
		cancel()
	}
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
// closes, with echoes still on their way: Close discards those that find
// the receive queue full, and the closing handshake completes.
func (w *wsactorClient) Close() error { return w.c.Close(0, "") }
