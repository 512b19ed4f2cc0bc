package libs

import (
	"net"
	"net/http"

	"github.com/wsactor/wsactor/bench/internal/wire"
)

// rawServer echoes bytes with no WebSocket at all (wire.RawEcho); its
// broadcast writes the bytes to every connection.
type rawServer struct {
	t   *tracker
	hub *hub[net.Conn]
}

func newRawServer(hub bool) *rawServer {
	return &rawServer{t: newTracker(), hub: newHub[net.Conn](hub)}
}

func (s *rawServer) Serve(l net.Listener) error {
	return acceptLoop(s.t, l, func(nc net.Conn) {
		defer s.t.forget(nc)
		s.hub.add(nc)
		defer s.hub.remove(nc)
		wire.RawEcho(nc)
	})
}

func (s *rawServer) Broadcast(p []byte) int {
	sent := 0
	for _, nc := range s.hub.snapshot() {
		if _, err := nc.Write(p); err == nil {
			sent++
		}
	}
	return sent
}

func (s *rawServer) Close() error {
	s.t.close()
	return nil
}

// minimalServer is the benchmark's own WebSocket echo (wire.Echo), the
// common server of the client scenarios. It has no hub.
type minimalServer struct{ t *tracker }

func newMinimalServer() *minimalServer { return &minimalServer{t: newTracker()} }

func (s *minimalServer) Serve(l net.Listener) error {
	return serveHTTP(s.t, l, func(w http.ResponseWriter, r *http.Request) {
		if !s.t.enter() {
			return
		}
		defer s.t.leave()
		nc, early, err := wire.ServerHandshake(w, r)
		if err != nil {
			return
		}
		wire.Echo(nc, early)
	})
}

func (s *minimalServer) Broadcast([]byte) int { return 0 }

func (s *minimalServer) Close() error {
	s.t.close()
	return nil
}
