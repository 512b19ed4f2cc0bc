package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/wsactor/wsactor/frames"
)

// readStream is a message read as it arrives. Each Read hands the reader
// actor a buffer, which it fills straight from the socket: nothing of the
// message is held, and a reader that stops reading stops the socket.
type readStream struct {
	op      frames.Opcode
	reqs    chan []byte   // Read -> reader
	resps   chan int      // reader -> Read
	end     chan struct{} // closed by the reader when the message is over
	abandon chan struct{} // closed by Close: the reader discards the rest
	err     error         // why the message ended early; set before end is closed
	why     error         // what Read returns once abandoned; set before abandon is closed
	lost    bool          // the reader discarded some of the message; set before end is closed
	once    sync.Once
}

// Read reads the next bytes of the message; io.EOF at its end.
func (s *readStream) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	select {
	case s.reqs <- p:
		select {
		case n := <-s.resps:
			return n, nil
		case <-s.end:
			return 0, s.endErr()
		}
	case <-s.end:
		return 0, s.endErr()
	case <-s.abandon:
		return 0, s.abandonedErr()
	}
}

// abandonedErr is what Read returns once the stream is abandoned: the
// message's own end if the reader has finished it, why until then.
func (s *readStream) abandonedErr() error {
	select {
	case <-s.end:
		return s.endErr()
	default:
		return s.why
	}
}

var errStreamClosed = errors.New("websocket: read of a closed message stream")

func (s *readStream) endErr() error {
	if s.lost {
		return s.why // the rest was discarded: the message did not end here
	}
	if s.err != nil {
		return s.err
	}
	return io.EOF
}

// Close discards the rest of the message, so the next one can be received.
func (s *readStream) Close() error {
	s.abandonWith(errStreamClosed)
	return nil
}

// abandonWith has the reader discard the rest of the message; Read then
// returns err, unless the stream was abandoned already.
func (s *readStream) abandonWith(err error) {
	s.once.Do(func() {
		s.why = err
		close(s.abandon)
	})
}

// finish ends the stream, with err if the message could not be completed.
func (s *readStream) finish(err error) {
	var pe *protocolError
	if errors.As(err, &pe) {
		err = &CloseError{Code: pe.code, Err: err}
	}
	s.err = err
	close(s.end)
}

// offerStream gives the message that starts now to a NextReader call, if
// one is waiting at this instant, and shows the stream to Close (as
// c.reading); otherwise the message is assembled whole.
func (r *reader) offerStream(op frames.Opcode) *readStream {
	if r.lent || r.c.streamWaiters.Load() == 0 {
		return nil
	}
	s := &readStream{
		op:      op,
		reqs:    make(chan []byte),
		resps:   make(chan int),
		end:     make(chan struct{}),
		abandon: make(chan struct{}),
	}
	select {
	case r.c.streams <- s:
	default:
		return nil
	}
	// Close abandons the stream: a user who calls Close has stopped
	// reading, and the peer's close frame may be behind the rest of the
	// message. Close sets closing before it looks for the stream, and the
	// reader looks at closing after it shows the stream, so one of them
	// abandons it.
	r.c.reading.Store(s)
	if r.c.closing.Load() {
		s.abandonWith(ErrClosed)
	}
	return s
}

// streamPayload passes the frame's payload to the stream's Reads.
func (r *reader) streamPayload(ctx context.Context, h frames.Header) error {
	s := r.stream
	pos := 0
	for left := h.Length; left > 0; {
		var p []byte
		abandoned := false
		select {
		case p = <-s.reqs:
		case <-s.abandon:
			abandoned = true
		case <-ctx.Done():
			return nil
		}
		if abandoned {
			s.lost = true
			if r.scratch == nil {
				r.scratch = make([]byte, 4096)
			}
			p = r.scratch
		}
		p = p[:min(int64(len(p)), left)]
		n, err := r.br.Read(p)
		if n > 0 {
			if err := r.accept(h, &pos, p[:n]); err != nil {
				return err
			}
			left -= int64(n)
		}
		if !abandoned {
			select {
			case s.resps <- n:
			case <-ctx.Done():
				return nil
			}
		}
		if err != nil && left > 0 {
			return unexpected(err)
		}
	}
	return nil
}

// NextReader returns the next data message as a stream, for messages too
// large to hold: its bytes are read from the socket as the returned reader
// is read. A message the reader had already queued whole is returned as a
// reader over its bytes. Read the stream to io.EOF or Close it (which
// discards the rest) before receiving the next message. Close on the
// connection discards the rest too, and the stream's Read then returns
// ErrClosed. The message size limit (WithReadLimit) applies to streams too.
func (c *Conn) NextReader(ctx context.Context) (frames.Opcode, io.ReadCloser, error) {
	if err := c.receivable(ctx); err != nil {
		return 0, nil, err
	}
	select {
	case m, ok := <-c.in:
		return c.wholeReader(m, ok)
	default:
	}
	c.streamWaiters.Add(1)
	defer c.streamWaiters.Add(-1)
	c.lend.reclaim() // the reader offers streams, a Receive reading in its place does not
	select {
	case m, ok := <-c.in:
		return c.wholeReader(m, ok)
	case s := <-c.streams:
		return s.op, s, nil
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

func (c *Conn) wholeReader(m Message, ok bool) (frames.Opcode, io.ReadCloser, error) {
	if !ok {
		<-c.done
		return 0, nil, c.Err()
	}
	c.signalDrained()
	return m.Opcode, io.NopCloser(bytes.NewReader(m.Data)), nil
}

// NextWriter starts a message of type op (frames.OpText or
// frames.OpBinary) that is sent as a stream of fragments: each Write sends
// one frame, and Close sends the final one. No other data message is sent
// until Close; pings, pongs and the close frame may go between fragments.
// Text must be valid UTF-8 as a whole, though a Write may end inside a
// character.
func (c *Conn) NextWriter(ctx context.Context, op frames.Opcode) (io.WriteCloser, error) {
	if op != frames.OpText && op != frames.OpBinary {
		return nil, fmt.Errorf("%w: NextWriter takes text or binary, not %s", ErrInvalidMessage, op)
	}
	if err := c.sendable(); err != nil {
		return nil, err
	}
	if err := c.mb.openStream(ctx); err != nil {
		return nil, err
	}
	return &writeStream{c: c, ctx: ctx, op: op, text: op == frames.OpText}, nil
}

// writeStream is a message being sent as fragments.
type writeStream struct {
	c      *Conn
	ctx    context.Context
	op     frames.Opcode // of the first fragment; then continuation
	text   bool
	utf8   frames.UTF8Validator
	closed atomic.Bool
}

func (w *writeStream) Write(p []byte) (int, error) {
	if w.closed.Load() {
		return 0, errors.New("websocket: write to a closed message writer")
	}
	if len(p) == 0 {
		return 0, nil
	}
	v := w.utf8 // a refused write leaves the message as it was
	if w.text && !v.Write(p) {
		return 0, fmt.Errorf("%w: text is not valid UTF-8", ErrInvalidMessage)
	}
	if err := w.c.mb.put(w.ctx, frames.Header{Opcode: w.op}, p, streamFrame); err != nil {
		return 0, err
	}
	w.utf8 = v
	w.op = frames.OpContinuation
	return len(p), nil
}

// Close sends the message's final fragment. A text message that would end
// inside a UTF-8 sequence cannot be finished: the connection is failed with
// 1011 instead.
func (w *writeStream) Close() error {
	if !w.closed.CompareAndSwap(false, true) {
		return nil
	}
	defer w.c.mb.closeStream()
	if w.text && !w.utf8.Complete() {
		err := fmt.Errorf("%w: text message ends inside a UTF-8 sequence", ErrInvalidMessage)
		w.c.notify(&event{kind: evInvalid, err: err})
		return err
	}
	return w.c.mb.put(w.ctx, frames.Header{Fin: true, Opcode: w.op}, nil, streamFrame)
}
