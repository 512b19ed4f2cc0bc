package wire

import "fmt"

// A Counter reads the frames a server sends and counts the whole messages
// among them, without copying their payloads. It accepts fragmented
// messages and skips pongs; a close, a ping, a masked frame or a message of
// the wrong size is an error, since an echo server under load sends none.
// Feed it the bytes as they arrive, in any pieces.
type Counter struct {
	want    int64 // size every message must have; -1: any
	hdr     [14]byte
	nhdr    int
	left    int64 // payload bytes of the current frame still to skip
	fin     bool  // the current frame ends its message
	control bool  // the current frame is a control frame (a pong)
	inMsg   bool
	msgLen  int64
}

// NewCounter returns a Counter for messages of size bytes each; a negative
// size accepts any size.
func NewCounter(size int) *Counter { return &Counter{want: int64(size)} }

// Feed consumes p and returns how many messages it completed.
func (c *Counter) Feed(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		if c.left > 0 {
			n := int(min(c.left, int64(len(p))))
			p = p[n:]
			c.left -= int64(n)
			if c.left == 0 {
				ok, err := c.endFrame()
				if err != nil {
					return done, err
				}
				if ok {
					done++
				}
			}
			continue
		}
		// Decode a header, from p directly when it holds it whole.
		var h header
		var ok bool
		var err error
		if c.nhdr == 0 {
			h, ok, err = parseHeader(p)
			if err != nil {
				return done, err
			}
			if ok {
				p = p[h.size:]
			}
		}
		if !ok {
			n := copy(c.hdr[c.nhdr:], p)
			h, ok, err = parseHeader(c.hdr[:c.nhdr+n])
			if err != nil {
				return done, err
			}
			if !ok {
				c.nhdr += n
				p = p[n:]
				continue
			}
			p = p[h.size-c.nhdr:]
			c.nhdr = 0
		}
		if err := c.startFrame(h); err != nil {
			return done, err
		}
		if c.left == 0 {
			ok, err := c.endFrame()
			if err != nil {
				return done, err
			}
			if ok {
				done++
			}
		}
	}
	return done, nil
}

// startFrame checks a frame header against the message in progress.
func (c *Counter) startFrame(h header) error {
	if h.masked {
		return fmt.Errorf("%w: masked frame from a server", ErrProtocol)
	}
	c.left, c.fin, c.control = h.length, h.fin, false
	switch h.op {
	case OpPong:
		c.control = true
		return nil
	case OpContinuation:
		if !c.inMsg {
			return fmt.Errorf("%w: continuation with no message", ErrProtocol)
		}
	case OpText, OpBinary:
		if c.inMsg {
			return fmt.Errorf("%w: new message inside a fragmented one", ErrProtocol)
		}
		c.inMsg, c.msgLen = true, 0
	default:
		return fmt.Errorf("%w: unexpected opcode %#x", ErrProtocol, h.op)
	}
	c.msgLen += h.length
	return nil
}

// endFrame finishes the current frame and reports whether it completed a
// message of the wanted size.
func (c *Counter) endFrame() (bool, error) {
	if c.control || !c.fin {
		return false, nil
	}
	c.inMsg = false
	if c.want >= 0 && c.msgLen != c.want {
		return false, fmt.Errorf("%w: message of %d bytes, want %d", ErrProtocol, c.msgLen, c.want)
	}
	return true, nil
}
