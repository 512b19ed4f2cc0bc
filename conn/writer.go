package conn

import (
	"context"
	"fmt"

	"github.com/wsactor/wsactor/frames"
)

// maxOutBatch is how many messages from Out the writer encodes before it
// writes, so that a flood on Out cannot hold back pings and pongs.
const maxOutBatch = 64

// writeLoop is the writer actor. It owns the write half of the socket: it
// waits for the mailbox to fill (or for messages on Out, which it encodes
// itself), then writes everything queued in as few system calls as it can.
// Its frame is on the stack of every idle connection: the work is in
// methods of their own, not inlined, to keep it small.
func (c *Conn) writeLoop(ctx context.Context) error {
	defer c.actors.Done()
	for {
		if out := c.outQueue(); out != nil {
			if !c.waitOut(ctx, out) {
				c.mb.stop(ErrClosed)
				return nil
			}
		} else {
			// The controller's teardown stops the mailbox, which wakes
			// the writer too.
			<-c.mb.wake
		}
		if stopped, err := c.flush(ctx); stopped || err != nil {
			return err
		}
	}
}

// waitOut is the writer's wait once Out is in use: for the mailbox, or for
// messages on out, which it encodes. It returns false once ctx ends.
//
//go:noinline
func (c *Conn) waitOut(ctx context.Context, out chan Message) bool {
	select {
	case <-c.mb.wake:
	case m := <-out:
		c.encodeOuts(ctx, m, out)
	case <-ctx.Done():
		return false
	}
	return true
}

// outQueue returns the channel the writer takes messages from: Out's, or
// nil while there is none or a NextWriter message is open (Out's messages
// then wait).
//
//go:noinline
func (c *Conn) outQueue() chan Message {
	p := c.out.Load()
	if p == nil || c.mb.streaming() {
		return nil
	}
	return *p
}

// encodeOuts encodes m, and up to maxOutBatch-1 more messages already
// waiting on out, into the mailbox.
//
//go:noinline
func (c *Conn) encodeOuts(ctx context.Context, m Message, out chan Message) {
	c.encodeOut(ctx, m)
	for range maxOutBatch - 1 {
		select {
		case m := <-out:
			c.encodeOut(ctx, m)
		default:
			return
		}
	}
}

// flush writes everything queued in the mailbox. It says whether the
// mailbox is stopped, the writer's cue to end.
//
//go:noinline
func (c *Conn) flush(ctx context.Context) (stopped bool, err error) {
	urgent, pending, d, closeIn, stopped := c.mb.take()
	if stopped {
		return true, c.mb.failed()
	}
	if urgent == nil && pending == nil && d == nil {
		return false, nil
	}
	err = c.write(urgent)
	if err == nil {
		err = c.write(pending)
	}
	putBuffer(urgent)
	putBuffer(pending)
	if d != nil {
		if err == nil {
			err = c.rawW.write(d)
		}
		c.mb.finishDirect(d, err)
	}
	c.mb.idle()
	if err != nil {
		return true, c.writeFailed(err)
	}
	if closeIn {
		c.tell(ctx, &event{kind: evCloseWritten})
	}
	return false, nil
}

// writeFailed stops the mailbox when a write fails, and says why.
//
//go:noinline
func (c *Conn) writeFailed(err error) error {
	err = fmt.Errorf("websocket: write: %w", err)
	c.mb.stop(err)
	return err
}

func (c *Conn) write(buf *buffer) error {
	if buf.len() == 0 {
		return nil
	}
	if c.rawW != nil {
		return c.rawW.writeBytes(buf.b)
	}
	_, err := c.netConn.Write(buf.b)
	return err
}

// encodeOut queues a message that arrived on Out. An invalid one is not
// sent: the controller fails the connection with 1011 and says why.
func (c *Conn) encodeOut(ctx context.Context, m Message) {
	op := m.Opcode
	if op == 0 {
		op = frames.OpText
	}
	if err := checkMessage(op, m.Data); err != nil {
		c.tell(ctx, &event{kind: evInvalid, err: fmt.Errorf("message on Out: %w", err)})
		m.releaseIfRecycled()
		return
	}
	if c.fromSlice(op, m.Data) && c.mb.putOutDirect(frames.Header{Fin: true, Opcode: op}, m) {
		return
	}
	// After the close frame put refuses data (ErrCloseSent): the message
	// is discarded, as documented on Out. Either way the mailbox holds a
	// copy (or nothing) now.
	_ = c.putMessage(context.Background(), op, m.Data, outFrame, true)
	m.releaseIfRecycled()
}

// checkMessage reports why a whole message cannot be sent, if it cannot.
func checkMessage(op frames.Opcode, data []byte) error {
	switch {
	case op > 15:
		return fmt.Errorf("%w: opcode %d is above 15", ErrInvalidMessage, op)
	case op.IsControl() && len(data) > 125:
		return fmt.Errorf("%w: %s payload of %d bytes is over 125", ErrInvalidMessage, op, len(data))
	case op == frames.OpText && !frames.ValidUTF8(data):
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidMessage)
	}
	return nil
}

// notify sends ev to the controller from outside the actors, unless the
// connection is over.
func (c *Conn) notify(ev *event) {
	select {
	case c.events <- ev:
	case <-c.done:
	}
}

// tell sends ev to the controller from the writer, unless the connection
// is ending.
func (c *Conn) tell(ctx context.Context, ev *event) {
	select {
	case c.events <- ev:
	case <-ctx.Done():
	}
}
