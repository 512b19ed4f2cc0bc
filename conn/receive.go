package conn

import (
	"context"
	"errors"
	"iter"

	"github.com/wsactor/wsactor/frames"
)

// In returns the channel on which the reader delivers data messages, in
// order. It is closed when the connection has no more messages to deliver;
// Err (after Done) then tells why. Receiving from In and calling Receive can
// be mixed: each message goes to exactly one of them. A Receive that reads
// the socket itself (see "One message at a time" in the package
// documentation) gives it back to the reader when In is called, so that a
// receiver of In does not wait for it.
func (c *Conn) In() <-chan Message {
	c.lend.reclaim()
	return c.in
}

// Receive returns the next data message. Pings that arrive meanwhile are
// answered by the controller. When ctx ends first, Receive returns ctx's
// error and loses nothing: the connection stays usable and the next call
// gets the next message. Once the connection has ended and every message
// received before has been returned, Receive returns a *CloseError.
//
// A Receive whose context can never end (context.Background, whose Done is
// nil) may read the socket itself, in place of the reader: see "One
// message at a time" in the package documentation.
func (c *Conn) Receive(ctx context.Context) (Message, error) {
	if err := c.receivable(ctx); err != nil {
		return Message{}, err
	}
	if ctx.Done() == nil && c.rd != nil {
		return c.receiveLent()
	}
	return c.receiveIn(ctx)
}

// receiveIn is Receive's wait for a message on In.
//
//go:noinline
func (c *Conn) receiveIn(ctx context.Context) (Message, error) {
	if c.rd != nil {
		c.lend.reclaim() // this Receive may end: the reader reads
	}
	select {
	case m, ok := <-c.in:
		return c.received(m, ok)
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// received is what Receive returns for what it took from In.
func (c *Conn) received(m Message, ok bool) (Message, error) {
	if !ok {
		<-c.done
		return Message{}, c.Err()
	}
	c.signalDrained()
	return m, nil
}

func (c *Conn) receivable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.State() == Connecting {
		select {
		case <-c.done:
			return c.Err()
		default:
			return ErrNotConnected
		}
	}
	return nil
}

// signalDrained tells a reader held back by a full receive queue to look
// again.
func (c *Conn) signalDrained() {
	select {
	case c.drained <- struct{}{}:
	default:
	}
}

// Each returns an iterator over the messages Receive returns, for
//
//	for msg, err := range c.Each(ctx) { ... }
//
// It stops after the last message of a connection that ended with a
// closing handshake whose code was 1000 (normal closure), 1001 (going away)
// or none (1005); any other end, or ctx's end, is yielded once as an error.
func (c *Conn) Each(ctx context.Context) iter.Seq2[Message, error] {
	return func(yield func(Message, error) bool) {
		for {
			m, err := c.Receive(ctx)
			if err != nil {
				if !normalEnd(err) {
					yield(Message{}, err)
				}
				return
			}
			if !yield(m, nil) {
				return
			}
		}
	}
}

func normalEnd(err error) bool {
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Err != nil {
		return false
	}
	switch ce.Code {
	case frames.CloseNormal, frames.CloseGoingAway, frames.CloseNoStatus:
		return true
	}
	return false
}
