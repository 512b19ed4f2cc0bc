package conn

import (
	"context"
	"fmt"

	"github.com/wsactor/wsactor/frames"
)

// Out returns the channel on which the writer takes messages to send, in
// order. Sending on it never blocks on the network: the writer encodes each
// message itself, and the channel pushes back when the writer is behind.
// The writer takes the Message and its Data: do not modify Data afterwards
// (a server's message of 256 KiB or more over TCP is written from Data
// itself, not copied). A Message with Recycle set gives Data up for good:
// once sent, its memory goes to the pool that received messages are
// taken from, which spares an echo or a relay an allocation per message.
// An opcode of 0 means text. Since a send on Out cannot return an error, a
// message that cannot be sent (text that is not UTF-8) fails the connection
// with 1011, and messages that arrive after the close frame are discarded;
// Err tells what happened. Select on Done when sending, as nothing takes
// messages from Out once the connection is over:
//
//	select {
//	case c.Out() <- msg:
//	case <-c.Done():
//	}
func (c *Conn) Out() chan<- Message {
	if p := c.out.Load(); p != nil {
		return *p
	}
	// Made on first use: a connection driven through Send holds none.
	c.outOnce.Do(func() {
		out := make(chan Message, defaultOutQueueMessages)
		c.out.Store(&out)
		c.mb.signal() // the writer takes from it from now on
	})
	return *c.out.Load()
}

// Send sends data as a single-frame message with opcode op: frames.OpText
// (also what op 0 means, as in lua-http), frames.OpBinary, or any other
// opcode up to 15 as a raw frame. Text must be valid UTF-8. Send copies
// data into the writer's mailbox and returns: the caller may reuse data at
// once, and the writer sends everything queued in one write. When the
// mailbox is full Send waits for room or for ctx; a Send whose ctx ends has
// sent nothing.
//
// A server's message of 256 KiB or more over TCP is not copied: it is
// sent from data itself, and Send returns once it is written, so the
// caller may still reuse data as soon as Send returns. When the writer is
// idle Send's own goroutine writes it: whole, waiting for room in the
// socket as net.Conn's Write does, if ctx can never end
// (context.Background), and otherwise as far as the socket takes it, the
// writer sending the rest. If ctx ends before any of it is written,
// nothing is sent; if it ends while the writer is sending it, Send copies
// what is left, returns nil and the writer finishes from the copy.
func (c *Conn) Send(ctx context.Context, data []byte, op frames.Opcode) error {
	if op == 0 {
		op = frames.OpText
	}
	if err := checkMessage(op, data); err != nil {
		return err
	}
	if err := c.sendable(); err != nil {
		return err
	}
	kind := dataFrame
	if op.IsControl() {
		if op == frames.OpClose {
			return c.sendClose(ctx, data)
		}
		kind = controlFrame
	}
	if kind == dataFrame && c.fromSlice(op, data) {
		return c.mb.putDirect(ctx, frames.Header{Fin: true, Opcode: op}, data, c.rawW)
	}
	return c.putMessage(ctx, op, data, kind, true)
}

// fromSlice reports whether a data message is sent from its own slice (see
// direct): a server's, over TCP, of at least directMin bytes, and not to
// be compressed.
func (c *Conn) fromSlice(op frames.Opcode, data []byte) bool {
	return !c.client && c.rawW != nil && len(data) >= directMin && (c.pmd == nil || !c.pmd.wants(op, len(data)))
}

// SendText sends s as a text message.
func (c *Conn) SendText(ctx context.Context, s string) error {
	return c.Send(ctx, []byte(s), frames.OpText)
}

// SendFrame sends one raw frame: any opcode, FIN and RSV bits as given.
// Only the masking is wsactor's: a client masks with a fresh key, a server
// never masks. The frame is checked as frames.Header.Validate does (opcode
// at most 15, control frames unfragmented and at most 125 bytes) but not
// against the rules of a message: this is the low-level escape hatch, and a
// frame that breaks them makes the peer fail the connection. A close frame
// starts the closing handshake.
func (c *Conn) SendFrame(ctx context.Context, f frames.Frame) error {
	h := f.Header()
	h.Length = int64(len(f.Payload))
	if err := h.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMessage, err)
	}
	if err := c.sendable(); err != nil {
		return err
	}
	switch {
	case f.Opcode == frames.OpClose:
		return c.sendClose(ctx, f.Payload)
	case f.Opcode.IsControl():
		return c.mb.put(ctx, h, f.Payload, controlFrame)
	}
	return c.mb.put(ctx, h, f.Payload, dataFrame)
}

// SendPing sends a ping with an optional payload of at most 125 bytes. The
// peer answers with a pong, which the reader takes as a sign of life.
func (c *Conn) SendPing(ctx context.Context, data []byte) error {
	return c.Send(ctx, data, frames.OpPing)
}

// SendPong sends an unsolicited pong: a one-way keep-alive that the peer
// does not answer.
func (c *Conn) SendPong(ctx context.Context, data []byte) error {
	return c.Send(ctx, data, frames.OpPong)
}

func (c *Conn) sendable() error {
	switch c.State() {
	case Connecting:
		select {
		case <-c.done:
			return c.Err()
		default:
			return ErrNotConnected
		}
	case Closed:
		return c.Err()
	}
	return nil
}
