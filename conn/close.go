package conn

import (
	"context"
	"errors"
	"fmt"

	"github.com/wsactor/wsactor/frames"
)

// Close closes the connection with code (0 means frames.CloseNormal, 1000)
// and reason: it sends a close frame after everything already queued, waits
// for the peer's close frame and for TCP to close, at most the close
// timeout (DefaultCloseTimeout unless WithCloseTimeout says otherwise), and
// returns once the connection is over. It returns nil when the connection
// ended with a closing handshake, whichever side started it, and the
// connection's *CloseError otherwise.
//
// Messages that arrive after Close is called are still delivered while the
// receive queue has room (see [WithReceiveQueue]); once it is full they are
// discarded, so that a receiver that has stopped does not hold the peer's
// close frame back behind them until the close timeout. For the same
// reason Close discards the rest of a message being read with
// NextReader: that stream's Read then returns ErrClosed.
//
// A reason over 123 bytes, or a code
// that may not be sent (such as 1005 or 1006), is an error and sends
// nothing. Close is idempotent and safe to call concurrently, and closing
// a connection that never connected is not an error.
func (c *Conn) Close(code frames.CloseCode, reason string) error {
	return c.CloseContext(context.Background(), code, reason)
}

// CloseContext is Close, waiting at most until ctx ends (then it returns
// ctx's error while the controller finishes the close on its own).
func (c *Conn) CloseContext(ctx context.Context, code frames.CloseCode, reason string) error {
	if code == 0 {
		code = frames.CloseNormal
	}
	if !code.ValidOnWire() {
		return fmt.Errorf("%w: %d may not be sent", frames.ErrInvalidCloseCode, uint16(code))
	}
	payload, err := frames.AppendClose(nil, code, reason)
	if err != nil {
		return err
	}
	c.startMu.Lock()
	if !c.started {
		c.started = true
		c.finishUnconnected(&CloseError{Code: code, Reason: reason})
		c.startMu.Unlock()
		return nil
	}
	c.startMu.Unlock()
	c.closing.Store(true)
	c.signalDrained() // a reader waiting for room in a full queue discards instead
	if s := c.reading.Load(); s != nil {
		s.abandonWith(ErrClosed) // the reader discards the rest of the message
	}
	if err := c.sendClose(ctx, payload); err != nil && !errors.Is(err, ErrClosed) {
		return err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	err = c.Err()
	if ce, ok := err.(*CloseError); ok && ce.Err == nil {
		return nil
	}
	return err
}

// sendClose asks the controller to send a close frame with payload and
// start the closing handshake.
func (c *Conn) sendClose(ctx context.Context, payload []byte) error {
	req := &event{kind: evCloseRequest, payload: payload, result: make(chan error, 1)}
	select {
	case c.events <- req:
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	// The events channel is buffered: the controller may have ended
	// without taking the request.
	select {
	case err := <-req.result:
		return err
	case <-c.done:
		return nil
	}
}

// begin marks the start of Connect or Accept, which may happen once.
func (c *Conn) begin() error {
	c.startMu.Lock()
	defer c.startMu.Unlock()
	if c.started {
		select {
		case <-c.done:
			return ErrClosed
		default:
			return ErrAlreadyConnected
		}
	}
	c.started = true
	return nil
}
