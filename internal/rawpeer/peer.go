package rawpeer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/wsactor/wsactor/frames"
)

var (
	// ErrMasking reports a frame masked the wrong way for its direction:
	// RFC 6455 section 5.1 requires every frame from a client to be masked
	// and every frame from a server to be unmasked.
	ErrMasking = errors.New("rawpeer: frame masked the wrong way for its direction")

	// ErrUnexpectedFrame reports a frame that arrived where the caller
	// expected another kind of frame, or none at all.
	ErrUnexpectedFrame = errors.New("rawpeer: unexpected frame")

	// ErrClosedEarly reports that the other end closed the TCP connection
	// while the caller expected it to stay open.
	ErrClosedEarly = errors.New("rawpeer: connection closed by the other end")

	// ErrHandshake reports an opening handshake that did not complete.
	ErrHandshake = errors.New("rawpeer: handshake failed")
)

// Peer is one end of a WebSocket connection, past its opening handshake,
// that writes and reads raw bytes. A Peer's reads and its writes may run in
// two goroutines at once; apart from that its methods are not safe for
// concurrent use.
type Peer struct {
	nc     net.Conn
	br     *bufio.Reader
	client bool

	// Request is the opening handshake's request: the one the Peer sent
	// when it is a client, the one it received when it is a server.
	Request *http.Request
	// Response is the server's 101 answer when the Peer is a client, nil
	// when it is a server.
	Response *http.Response
}

// IsClient reports whether p is the client end of its connection, the end
// that must mask its frames.
func (p *Peer) IsClient() bool { return p.client }

// Frame returns a frame as a well-behaved peer of p's role sends it: masked
// with a fresh random key when p is a client, unmasked when it is a server.
// The frame is not validated: op may be any opcode, fin false for a control
// frame, payload longer than a control frame may be.
func (p *Peer) Frame(fin bool, op frames.Opcode, payload []byte) frames.Frame {
	f := frames.Frame{Fin: fin, Opcode: op, Payload: payload}
	if p.client {
		f.Masked = true
		k := rand.Uint32()
		f.Key = [4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
	}
	return f
}

// Encode returns the wire encoding of f, exactly as given and without
// validation: reserved bits and opcodes, fragmented or oversized control
// frames and unmasked client frames are all encoded. The payload is masked
// with f.Key when f.Masked is set; f.Payload itself is not modified. Only
// the low four bits of the opcode fit in a header.
func Encode(f frames.Frame) []byte {
	h := f.Header()
	b := frames.AppendHeader(make([]byte, 0, frames.HeaderSize(h.Length, h.Masked)+len(f.Payload)), h)
	start := len(b)
	b = append(b, f.Payload...)
	if f.Masked {
		frames.Mask(f.Key, 0, b[start:])
	}
	return b
}

// Write writes b to the connection in one write.
func (p *Peer) Write(ctx context.Context, b []byte) error {
	return p.WriteChopped(ctx, b, 0)
}

// WriteChopped writes b in pieces of n bytes, one write each, so that the
// other end receives them in as many TCP segments (Go sets TCP_NODELAY).
// An n of zero or less, or at least len(b), writes b in one write.
func (p *Peer) WriteChopped(ctx context.Context, b []byte, n int) error {
	stop, err := bind(ctx, p.nc.SetWriteDeadline)
	if err != nil {
		return err
	}
	defer stop()
	if n <= 0 || n > len(b) {
		n = len(b)
	}
	for len(b) > 0 {
		k := min(n, len(b))
		if _, err := p.nc.Write(b[:k]); err != nil {
			return ctxErr(ctx, fmt.Errorf("rawpeer: write: %w", err))
		}
		b = b[k:]
	}
	return nil
}

// WriteFrames encodes fs with Encode and writes them all in one write.
func (p *Peer) WriteFrames(ctx context.Context, fs ...frames.Frame) error {
	var b []byte
	for _, f := range fs {
		b = append(b, Encode(f)...)
	}
	return p.Write(ctx, b)
}

// ReadFrame reads the next frame, whatever it is. A frame masked the wrong
// way for its direction is an error wrapping ErrMasking (and the frame).
// At the end of the stream ReadFrame returns io.EOF.
func (p *Peer) ReadFrame(ctx context.Context) (frames.Frame, error) {
	stop, err := bind(ctx, p.nc.SetReadDeadline)
	if err != nil {
		return frames.Frame{}, err
	}
	defer stop()
	f, err := frames.ReadFrame(p.br, 0)
	if err != nil {
		return f, ctxErr(ctx, err)
	}
	if f.Masked == p.client {
		return f, fmt.Errorf("%w: %s frame, masked %t", ErrMasking, f.Opcode, f.Masked)
	}
	return f, nil
}

// ReadMessage reads the next data message, which may come in fragments, and
// returns its opcode and payload. Any other frame on the way, a control
// frame or one that breaks the rules of fragmentation, is an error wrapping
// ErrUnexpectedFrame; for a close frame the error says its code.
func (p *Peer) ReadMessage(ctx context.Context) (frames.Opcode, []byte, error) {
	var op frames.Opcode
	var data []byte
	for {
		f, err := p.ReadFrame(ctx)
		if err != nil {
			return 0, nil, err
		}
		switch {
		case f.Opcode == frames.OpClose:
			code, reason, _ := frames.ParseClose(f.Payload)
			return 0, nil, fmt.Errorf("%w: close %d %q while reading a message", ErrUnexpectedFrame, code, reason)
		case f.Opcode.IsControl() || f.Opcode.IsReserved() || f.RSV1 || f.RSV2 || f.RSV3:
			return 0, nil, fmt.Errorf("%w: %s frame (rsv %t %t %t) while reading a message", ErrUnexpectedFrame, f.Opcode, f.RSV1, f.RSV2, f.RSV3)
		case (f.Opcode == frames.OpContinuation) != (op != 0):
			return 0, nil, fmt.Errorf("%w: %s frame out of sequence", ErrUnexpectedFrame, f.Opcode)
		}
		if op == 0 {
			op = f.Opcode
			data = []byte{}
		}
		data = append(data, f.Payload...)
		if f.Fin {
			return op, data, nil
		}
	}
}

// ReadClose reads the next frame, which must be a close frame, and returns
// its code and reason: frames.CloseNoStatus and "" for an empty payload.
// Any other frame is an error wrapping ErrUnexpectedFrame; a close payload
// that frames.ParseClose rejects is an error wrapping the reason.
func (p *Peer) ReadClose(ctx context.Context) (frames.CloseCode, string, error) {
	f, err := p.ReadFrame(ctx)
	if err != nil {
		return 0, "", err
	}
	if f.Opcode != frames.OpClose {
		return 0, "", fmt.Errorf("%w: %s frame of %d bytes where a close frame was expected", ErrUnexpectedFrame, f.Opcode, len(f.Payload))
	}
	code, reason, err := frames.ParseClose(f.Payload)
	if err != nil {
		return code, reason, fmt.Errorf("rawpeer: close frame %x: %w", f.Payload, err)
	}
	return code, reason, nil
}

// ExpectEOF waits for the other end to close the TCP connection and returns
// nil when it has, by a FIN or a reset. A frame that arrives first is an
// error wrapping ErrUnexpectedFrame; when ctx ends first the error wraps
// ctx's.
func (p *Peer) ExpectEOF(ctx context.Context) error {
	f, err := p.ReadFrame(ctx)
	switch {
	case err == nil || errors.Is(err, ErrMasking):
		return fmt.Errorf("%w: %s frame of %d bytes where the end of the connection was expected", ErrUnexpectedFrame, f.Opcode, len(f.Payload))
	case closedByPeer(err):
		return nil
	}
	return err
}

// ExpectOpen checks that, for d, nothing arrives and the other end keeps
// the TCP connection open. It returns nil if so, an error wrapping
// ErrClosedEarly if the connection was closed, and one wrapping
// ErrUnexpectedFrame if bytes arrived. Nothing is consumed.
func (p *Peer) ExpectOpen(ctx context.Context, d time.Duration) error {
	quiet, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	stop, err := bind(quiet, p.nc.SetReadDeadline)
	if err != nil {
		return err
	}
	defer stop()
	b, err := p.br.Peek(1)
	switch {
	case len(b) > 0:
		return fmt.Errorf("%w: bytes arrived (%x...) while the connection should be quiet", ErrUnexpectedFrame, b)
	case closedByPeer(err):
		return fmt.Errorf("%w: %w", ErrClosedEarly, err)
	case ctx.Err() != nil:
		return ctxErr(ctx, err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil
	}
	return err
}

// Close closes the TCP connection, without a close frame.
func (p *Peer) Close() error { return p.nc.Close() }

// LocalAddr returns the local network address of the connection.
func (p *Peer) LocalAddr() net.Addr { return p.nc.LocalAddr() }
