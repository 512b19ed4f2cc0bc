package libs

import (
	"bufio"
	"context"
	"io"
	"net"
	"slices"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// gobwasServer upgrades raw TCP connections with ws.Upgrade and echoes
// frame by frame with the low-level API: ws.ReadHeader, ws.Cipher,
// ws.WriteHeader, over 4 KiB bufio buffers (one write per frame). Its
// broadcast writes one compiled frame to every connection; a net.Conn's
// Write is atomic, so it needs no lock beside the echo.
type gobwasServer struct {
	t   *tracker
	hub *hub[net.Conn]
}

func newGobwasServer(hub bool) *gobwasServer {
	return &gobwasServer{t: newTracker(), hub: newHub[net.Conn](hub)}
}

func (s *gobwasServer) Serve(l net.Listener) error { return acceptLoop(s.t, l, s.serve) }

func (s *gobwasServer) serve(nc net.Conn) {
	defer s.t.forget(nc)
	defer nc.Close()
	if _, err := ws.Upgrade(nc); err != nil {
		return
	}
	s.hub.add(nc)
	defer s.hub.remove(nc)
	br := bufio.NewReaderSize(nc, 4096)
	bw := bufio.NewWriterSize(nc, 4096)
	var payload []byte
	for {
		h, err := ws.ReadHeader(br)
		if err != nil || h.Length > ReadLimit {
			return
		}
		payload = slices.Grow(payload[:0], int(h.Length))[:h.Length]
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
		}
		h.Masked = false
		switch h.OpCode {
		case ws.OpPong:
			continue
		case ws.OpPing:
			h.OpCode = ws.OpPong
		}
		if err := ws.WriteHeader(bw, h); err != nil {
			return
		}
		if _, err := bw.Write(payload); err != nil {
			return
		}
		if err := bw.Flush(); err != nil || h.OpCode == ws.OpClose {
			return
		}
	}
}

func (s *gobwasServer) Broadcast(p []byte) int {
	frame, err := ws.CompileFrame(ws.NewBinaryFrame(p))
	if err != nil {
		return 0
	}
	sent := 0
	for _, nc := range s.hub.snapshot() {
		if _, err := nc.Write(frame); err == nil {
			sent++
		}
	}
	return sent
}

func (s *gobwasServer) Close() error {
	s.t.close()
	return nil
}

// gobwasClient writes with wsutil.WriteClientMessage into a bufio.Writer
// (one write per message) and reads with ws.ReadHeader.
type gobwasClient struct {
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	payload []byte
}

func dialGobwas(ctx context.Context, url string) (*gobwasClient, error) {
	nc, br, _, err := ws.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, 4096)
	}
	return &gobwasClient{nc: nc, br: br, bw: bufio.NewWriterSize(nc, 4096)}, nil
}

func (g *gobwasClient) Send(p []byte) error {
	if err := wsutil.WriteClientMessage(g.bw, ws.OpBinary, p); err != nil {
		return err
	}
	return g.bw.Flush()
}

func (g *gobwasClient) Run(onMessage func(int) bool) error {
	size := 0
	for {
		h, err := ws.ReadHeader(g.br)
		if err != nil {
			return err
		}
		if h.Length > ReadLimit {
			return ws.ErrProtocolControlPayloadOverflow
		}
		g.payload = slices.Grow(g.payload[:0], int(h.Length))[:h.Length]
		if _, err := io.ReadFull(g.br, g.payload); err != nil {
			return err
		}
		switch h.OpCode {
		case ws.OpClose:
			return io.EOF
		case ws.OpPing:
			if err := wsutil.WriteClientMessage(g.bw, ws.OpPong, g.payload); err != nil {
				return err
			}
			if err := g.bw.Flush(); err != nil {
				return err
			}
			continue
		case ws.OpPong:
			continue
		}
		size += len(g.payload)
		if !h.Fin {
			continue
		}
		n := size
		size = 0
		if !onMessage(n) {
			return nil
		}
	}
}

func (g *gobwasClient) Close() error { return g.nc.Close() }
