package conn

import (
	"context"
	"fmt"
	"slices"

	"github.com/wsactor/wsactor/frames"
)

// PreparedMessage is a message encoded once to be sent to many
// connections: every server connection queues the same frame bytes, so a
// broadcast to ten thousand connections costs one encoding. (A client masks
// each frame with its own key, so it encodes the message again.) A
// PreparedMessage is immutable and safe for concurrent use.
type PreparedMessage struct {
	op     frames.Opcode
	data   []byte
	server []byte // the unmasked frame a server sends
	z      preparedDeflate
}

// NewPreparedMessage prepares data to be sent as a message of type op:
// frames.OpText (or 0) or frames.OpBinary. It copies data; text must be
// valid UTF-8.
func NewPreparedMessage(op frames.Opcode, data []byte) (*PreparedMessage, error) {
	if op == 0 {
		op = frames.OpText
	}
	if op != frames.OpText && op != frames.OpBinary {
		return nil, fmt.Errorf("%w: a prepared message is text or binary, not %s", ErrInvalidMessage, op)
	}
	if err := checkMessage(op, data); err != nil {
		return nil, err
	}
	pm := &PreparedMessage{op: op, data: slices.Clone(data)}
	h := frames.Header{Fin: true, Opcode: op, Length: int64(len(data))}
	pm.server = append(frames.AppendHeader(make([]byte, 0, frames.HeaderSize(h.Length, false)+len(data)), h), data...)
	return pm, nil
}

// Opcode returns the message's opcode.
func (pm *PreparedMessage) Opcode() frames.Opcode { return pm.op }

// Data returns the message's payload; it must not be modified.
func (pm *PreparedMessage) Data() []byte { return pm.data }

// SendPrepared sends pm as Send would send its data.
func (c *Conn) SendPrepared(ctx context.Context, pm *PreparedMessage) error {
	return c.sendPrepared(ctx, pm, true)
}

// TrySendPrepared sends pm if the writer's mailbox has room, and otherwise
// returns ErrSendQueueFull at once: the peer is not keeping up. A hub uses
// it so that one slow consumer cannot hold up a broadcast.
func (c *Conn) TrySendPrepared(pm *PreparedMessage) error {
	return c.sendPrepared(context.Background(), pm, false)
}

func (c *Conn) sendPrepared(ctx context.Context, pm *PreparedMessage, wait bool) error {
	if err := c.sendable(); err != nil {
		return err
	}
	if c.pmd != nil {
		return c.sendPreparedDeflate(ctx, pm, wait)
	}
	if c.client {
		return c.mb.putFrame(ctx, frames.Header{Fin: true, Opcode: pm.op}, pm.data, dataFrame, wait)
	}
	return c.mb.putEncoded(ctx, pm.server, wait)
}
