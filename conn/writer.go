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
func (c *Conn) writeLoop(ctx context.Context) error {
	defer close(c.writerDone)
	for {
		out := c.out
		if c.mb.streaming() {
			out = nil // a NextWriter message is open: Out's messages wait
		}
		select {
		case <-c.mb.wake:
		case m := <-out:
			c.encodeOut(m)
		drain:
			for range maxOutBatch - 1 {
				select {
				case m := <-out:
					c.encodeOut(m)
				default:
					break drain
				}
			}
		case <-ctx.Done():
			c.mb.stop(ErrClosed)
			return nil
		}
		urgent, pending, d, closeIn := c.mb.take()
		err := c.write(urgent)
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
		if err != nil {
			err = fmt.Errorf("websocket: write: %w", err)
			c.mb.stop(err)
			return err
		}
		if closeIn {
			close(c.closeWritten)
		}
	}
}

func (c *Conn) write(buf *buffer) error {
	if buf.len() == 0 {
		return nil
	}
	_, err := c.netConn.Write(buf.b)
	return err
}

// encodeOut queues a message that arrived on Out. An invalid one is not
// sent: the controller fails the connection with 1011 and says why.
func (c *Conn) encodeOut(m Message) {
	op := m.Opcode
	if op == 0 {
		op = frames.OpText
	}
	if err := checkMessage(op, m.Data); err != nil {
		c.reportInvalid(fmt.Errorf("message on Out: %w", err))
		return
	}
	// After the close frame put refuses data (ErrCloseSent): the message
	// is discarded, as documented on Out.
	_ = c.putMessage(context.Background(), op, m.Data, outFrame, true)
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

// reportInvalid tells the controller to fail the connection with 1011
// because of a message that could not be sent.
func (c *Conn) reportInvalid(err error) {
	select {
	case c.invalid <- err:
	default:
	}
}
