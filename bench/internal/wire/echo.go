package wire

import (
	"errors"
	"fmt"
	"io"
	"net"
)

const (
	initialBuffer = 4 << 10
	maxBuffer     = 256 << 10
	// MaxFrame is the largest frame Echo accepts.
	MaxFrame = 64 << 20
)

// Echo is a minimal WebSocket echo server's connection loop: it reads
// what the client sent, echoes every data frame (as the same opcode and FIN
// bit, unmasked), answers pings, and echoes a close frame and returns.
// Everything one read brings in is answered with one write, so the server
// never holds back a client that batches. early holds bytes the client sent
// behind its handshake. Echo returns nil after a closing handshake or when
// the client closes TCP, and closes nc either way.
func Echo(nc net.Conn, early []byte) error {
	defer nc.Close()
	buf := make([]byte, max(initialBuffer, len(early)))
	n := copy(buf, early)
	filled := false // the last read filled buf
	var out []byte
	for {
		// Echo every whole frame in buf[:n].
		out = out[:0]
		start := 0
		closing := false
		for !closing {
			h, ok, err := parseHeader(buf[start:n])
			if err != nil {
				return err
			}
			if !ok || int64(n-start-h.size) < h.length {
				if ok && int64(h.size)+h.length > MaxFrame {
					return fmt.Errorf("%w: frame of %d bytes", ErrProtocol, h.length)
				}
				break
			}
			if !h.masked {
				return fmt.Errorf("%w: unmasked frame from a client", ErrProtocol)
			}
			payload := buf[start+h.size : start+h.size+int(h.length)]
			Mask(h.key, payload)
			start += h.size + int(h.length)
			out, closing = reply(out, h, payload)
		}
		if len(out) > 0 {
			if _, err := nc.Write(out); err != nil {
				return err
			}
		}
		if closing {
			return nil
		}
		n = copy(buf, buf[start:n])
		buf = grow(buf, n, filled)
		m, err := nc.Read(buf[n:])
		n += m
		filled = n == len(buf)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// reply appends Echo's answer to one frame, and whether it was a close.
func reply(out []byte, h header, payload []byte) ([]byte, bool) {
	var none [4]byte
	switch h.op {
	case OpPing:
		return AppendFrame(out, OpPong, payload, false, none), false
	case OpPong:
		return out, false
	case OpClose:
		return AppendFrame(out, OpClose, payload, false, none), true
	}
	out = AppendFrame(out, h.op, payload, false, none)
	if !h.fin {
		out[len(out)-len(payload)-HeaderSize(len(payload), false)] &^= 0x80
	}
	return out, false
}

// grow returns a buffer with room to read into after its first n bytes
// (the start of a frame not yet whole): buf itself while reads leave room
// in it, doubled up to maxBuffer once a read filled it, and large enough
// for a whole frame that alone fills it. A buffer that only grew when the
// bytes left over filled it would stay at its first size whenever frames
// straddle the end of every read, and hold back a client that batches.
func grow(buf []byte, n int, filled bool) []byte {
	if !filled && n < len(buf) {
		return buf
	}
	need := max(min(2*len(buf), maxBuffer), len(buf))
	if h, ok, _ := parseHeader(buf[:n]); ok {
		need = max(need, h.size+int(min(h.length, MaxFrame)))
	}
	need = max(need, n+1)
	if need == len(buf) {
		return buf
	}
	bigger := make([]byte, need)
	copy(bigger, buf[:n])
	return bigger
}

// RawEcho writes back every byte it reads from nc until the peer closes
// it: the reference that moves the same bytes as an echo server with no
// WebSocket work. Its buffer starts small and grows while reads fill it.
// RawEcho returns nil when the peer closes, and closes nc.
func RawEcho(nc net.Conn) error {
	defer nc.Close()
	buf := make([]byte, initialBuffer)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			if _, werr := nc.Write(buf[:n]); werr != nil {
				return werr
			}
			if n == len(buf) && len(buf) < maxBuffer {
				buf = make([]byte, 2*len(buf))
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
