package conn

import (
	"cmp"
	"context"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// eventKind names what the reader tells the controller.
type eventKind uint8

const (
	evPing         eventKind = iota // reader: a ping arrived, answer it
	evClose                         // reader: a close frame arrived
	evEnd                           // reader: it stopped, err says why
	evCloseRequest                  // a closer: send a close frame with payload, answer on result
	evInvalid                       // writer: a message on Out could not be sent, err says why
	evCloseWritten                  // writer: our close frame is on the wire
)

// An event is what the other actors and closers tell the controller, on
// the one channel it waits on.
type event struct {
	kind    eventKind
	code    frames.CloseCode
	payload []byte // evPing: the ping's payload; evCloseRequest: the close frame's
	reason  string
	err     error      // evEnd: a *protocolError, a read error or io.EOF; evInvalid
	result  chan error // evCloseRequest: nil once the close frame is queued, or why not
}

// reader is the reader actor's state. Only the reader goroutine touches it.
type reader struct {
	c            *Conn
	br           *inbuf
	expectMasked bool
	limit        int64
	closed       bool // a close frame was received: ignore what follows
	compressed   bool // the open message has RSV1: msg holds its DEFLATE payload

	// The message being assembled.
	op     frames.Opcode // 0: none open
	msg    []byte
	size   int64
	utf8   frames.UTF8Validator
	stream *readStream // the message goes to a NextReader

	// Receive-queue accounting: the sizes of the messages handed to c.in
	// that may still be in it, oldest first.
	sizes     []int
	first, n  int
	queued    int64
	maxQueued int64
	poll      *time.Timer
	scratch   []byte

	// Lending the socket to Receive (see lender).
	ctx         context.Context // the actors' context, for a Receive's reading
	lent        bool            // a Receive reads: deliver hands it the message
	got         bool            // the message for that Receive is in gotMsg
	gotMsg      Message
	controlData [125]byte
}

func newReader(c *Conn, br *inbuf) *reader {
	return &reader{
		c:            c,
		br:           br,
		expectMasked: !c.client,
		limit:        c.opts.readLimit,
		sizes:        make([]int, cap(c.in)+1),
		maxQueued:    c.opts.recvBytes,
	}
}

// run is the reader actor. Its frame, and loop's, stay small: they are
// on the stack of every idle connection, and a goroutine's stack, once
// grown, is as large as its deepest call ever was.
func (r *reader) run(ctx context.Context) error {
	defer r.c.actors.Done() // last: the goroutine ends right after it
	ctx.Done()              // made here, not in a deep wait
	r.finish(ctx, r.loop(ctx))
	return nil
}

// finish ends the reader: it releases what it holds and tells the
// controller why it stopped.
//
//go:noinline
func (r *reader) finish(ctx context.Context, err error) {
	defer close(r.c.in)
	r.br.close()
	if r.stream != nil {
		r.stream.finish(cmp.Or(err, ErrClosed))
	}
	if r.poll != nil {
		r.poll.Stop()
	}
	if ctx.Err() == nil {
		r.report(ctx, &event{kind: evEnd, err: err})
	}
}

func (r *reader) report(ctx context.Context, ev *event) {
	select {
	case r.c.events <- ev:
	case <-ctx.Done():
	}
}

func (r *reader) loop(ctx context.Context) error {
	r.ctx = ctx
	for {
		if r.lendable() {
			if err := r.lend(); err != nil {
				return err
			}
		} else {
			r.fillIfEmpty()
			if err := r.step(ctx); err != nil {
				return err
			}
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// fillIfEmpty reads the socket when nothing is buffered: the wait of an
// idle connection, here rather than deeper in step, because a goroutine's
// stack, once grown, is as large as its deepest call was. (Run by the
// reader, or by a Receive it lent the socket to.)
//
//go:noinline
func (r *reader) fillIfEmpty() {
	if r.br.r == r.br.w && r.br.err == nil {
		r.br.fill()
	}
}

// step reads one frame and handles it.
func (r *reader) step(ctx context.Context) error {
	h, err := r.br.readHeader()
	if err != nil {
		if errors.Is(err, frames.ErrLengthOverflow) {
			return violation(frames.CloseProtocolError, "frame length has its most significant bit set")
		}
		return err
	}
	r.c.activity.Add(1)
	if r.closed {
		return r.discard(h.Length)
	}
	if err := r.check(h); err != nil {
		return err
	}
	if h.Opcode.IsControl() {
		return r.control(ctx, h)
	}
	return r.data(ctx, h)
}

// next is the reader's work for a Receive it lent the socket to (see
// lender), run by that Receive's goroutine: it reads frames until a data
// message is whole, in r.gotMsg. false says the reader should go on
// itself: a close frame arrived, a NextReader call waits for the next
// message, the connection is ending, or reading failed with err.
func (r *reader) next() (bool, error) {
	r.lent = true
	for {
		if r.op == 0 && r.c.streamWaiters.Load() > 0 {
			break
		}
		if err := r.step(r.ctx); err != nil {
			r.lent = false
			return false, err
		}
		if r.got || r.closed || r.ctx.Err() != nil {
			break
		}
	}
	r.lent = false
	return r.got, nil
}

// message takes the message next read.
func (r *reader) message() Message {
	m := r.gotMsg
	r.got, r.gotMsg = false, Message{}
	return m
}

// check enforces RFC 6455 sections 5.2 to 5.5 on a frame header.
func (r *reader) check(h frames.Header) error {
	const pe = frames.CloseProtocolError
	if h.RSV1 || h.RSV2 || h.RSV3 {
		if err := r.checkRSV(h); err != nil {
			return err
		}
	}
	switch {
	case h.Opcode.IsReserved():
		return violation(pe, "reserved opcode %d", h.Opcode)
	case h.Masked != r.expectMasked && r.expectMasked:
		return violation(pe, "unmasked frame from a client")
	case h.Masked != r.expectMasked:
		return violation(pe, "masked frame from a server")
	case h.Opcode.IsControl() && !h.Fin:
		return violation(pe, "fragmented %s frame", h.Opcode)
	case h.Opcode.IsControl() && h.Length > 125:
		return violation(pe, "%s frame of %d bytes (over 125)", h.Opcode, h.Length)
	case h.Opcode.IsControl():
		return nil
	case h.Opcode == frames.OpContinuation && r.op == 0:
		return violation(pe, "continuation frame with no message to continue")
	case h.Opcode != frames.OpContinuation && r.op != 0:
		return violation(pe, "new %s message while a fragmented message is open", h.Opcode)
	}
	size := h.Length
	if h.Opcode == frames.OpContinuation {
		size += r.size
	}
	if r.limit > 0 && size > r.limit {
		return violation(frames.CloseMessageTooBig, "message of %d bytes or more exceeds the limit of %d", size, r.limit)
	}
	return nil
}

// control reads a control frame's payload and handles it.
func (r *reader) control(ctx context.Context, h frames.Header) error {
	p := r.controlData[:h.Length]
	if _, err := io.ReadFull(r.br, p); err != nil {
		return unexpected(err)
	}
	if h.Masked {
		frames.Mask(h.Key, 0, p)
	}
	switch h.Opcode {
	case frames.OpPing:
		r.report(ctx, &event{kind: evPing, payload: slices.Clone(p)})
	case frames.OpClose:
		code, reason, err := frames.ParseClose(p)
		if errors.Is(err, frames.ErrInvalidUTF8) {
			return violation(frames.CloseInvalidPayload, "close reason is not valid UTF-8")
		} else if err != nil {
			return &protocolError{code: frames.CloseProtocolError, err: err}
		}
		r.closed = true
		r.report(ctx, &event{kind: evClose, code: code, reason: reason})
	}
	return nil // a pong only counts as activity
}

// data reads a data frame's payload into the message being assembled, and
// hands the message on when the frame is its last.
func (r *reader) data(ctx context.Context, h frames.Header) error {
	if h.Opcode != frames.OpContinuation {
		r.op, r.size, r.msg, r.compressed = h.Opcode, 0, nil, h.RSV1
		r.utf8.Reset()
		if !h.RSV1 { // a compressed message is inflated whole
			r.stream = r.offerStream(h.Opcode)
		}
		if r.stream == nil {
			r.msg = getBytes(int(min(h.Length, maxPrealloc)))[:0]
		}
	}
	r.size += h.Length
	var err error
	if r.stream != nil {
		err = r.streamPayload(ctx, h)
	} else {
		err = r.readPayload(h)
	}
	if err != nil || !h.Fin {
		return err
	}
	if r.op == frames.OpText && !r.utf8.Complete() {
		return violation(frames.CloseInvalidPayload, "text message ends inside a UTF-8 sequence")
	}
	op := r.op
	r.op = 0
	if r.stream != nil {
		r.c.reading.Store(nil) // Close has nothing to abandon: the message is whole
		r.stream.finish(nil)
		r.stream = nil
		return nil
	}
	msg := r.msg
	r.msg = nil
	if r.compressed {
		if msg, err = r.inflateMessage(op, msg); err != nil {
			return err
		}
	}
	return r.deliver(ctx, Message{Opcode: op, Data: msg})
}

// maxPrealloc bounds what a frame header alone makes the reader allocate:
// a longer message (possible only when the read limit is raised or off)
// grows as its bytes arrive.
const maxPrealloc = 32 << 20

// readPayload appends the frame's payload to r.msg, unmasking and checking
// UTF-8 as each piece arrives, so invalid text fails without waiting for
// the rest of the message. (On a TCP socket a piece of a large frame is up
// to lowatMax bytes: the reader waits for all of it, see readOwed.) Any other
// payload is unmasked behind the reads, maskLag bytes at a time: the
// reads keep up with the peer while it is still sending, and the
// unmasking waits for a stretch that is worth it (a whole
// message of up to maskLag bytes is unmasked once it is in, while its
// bytes are still in the cache).
func (r *reader) readPayload(h frames.Header) error {
	pos := 0
	lag := h.Masked && (r.op != frames.OpText || r.compressed)
	from := len(r.msg) // with lag: the bytes from here on are still masked
	for left := h.Length; left > 0; {
		off := len(r.msg)
		if off == cap(r.msg) {
			r.msg = slices.Grow(r.msg, int(min(left, max(int64(off), 1<<20))))
		}
		end := off + int(min(left, int64(cap(r.msg)-off)))
		n, err := r.br.readOwed(r.msg[off:end])
		r.msg = r.msg[:off+n]
		if n > 0 {
			switch {
			case !lag:
				if err := r.accept(h, &pos, r.msg[off:off+n]); err != nil {
					return err
				}
			case len(r.msg)-from >= maskLag:
				pos = frames.Mask(h.Key, pos, r.msg[from:])
				from = len(r.msg)
			}
			left -= int64(n)
		}
		if err != nil && left > 0 {
			return unexpected(err)
		}
	}
	if lag {
		frames.Mask(h.Key, pos, r.msg[from:])
	}
	return nil
}

// maskLag is how many received bytes of a binary payload may wait to be
// unmasked (see readPayload).
const maskLag = 1 << 20

// discard skips n bytes of payload.
func (r *reader) discard(n int64) error {
	for n > 0 {
		k, err := r.br.Discard(int(min(n, 1<<30)))
		n -= int64(k)
		if err != nil {
			return unexpected(err)
		}
	}
	return nil
}

// accept unmasks a piece of payload and validates it if it is text.
func (r *reader) accept(h frames.Header, pos *int, p []byte) error {
	if h.Masked {
		*pos = frames.Mask(h.Key, *pos, p)
	}
	if r.op == frames.OpText && !r.compressed && !r.utf8.Write(p) {
		return violation(frames.CloseInvalidPayload, "text is not valid UTF-8")
	}
	return nil
}

// deliver hands a message to the user, holding it back while the queue is
// over its byte bound: then the reader reads nothing more from the socket.
func (r *reader) deliver(ctx context.Context, m Message) error {
	r.c.unread.Store(r.br.r < r.br.w)
	if r.lent {
		r.gotMsg, r.got = m, true // for next
		return nil
	}
	r.account()
	if r.queued == 0 || r.queued+int64(len(m.Data)) <= r.maxQueued {
		select {
		case r.c.in <- m:
			r.sent(len(m.Data))
			return nil
		default:
		}
	}
	return r.deliverWait(ctx, m)
}

// deliverWait is deliver when the user is behind: it waits for room under
// both bounds. It is not inlined into deliver, whose frame is on the
// reader's stack at every message: select with a wait is deep, and the
// reader's stack, which every idle connection keeps, is as large as its
// deepest call ever was.
//
// Once the user has called Close, a message that finds no room is
// discarded: the user has stopped, and the peer's close frame may be
// behind it.
//
//go:noinline
func (r *reader) deliverWait(ctx context.Context, m Message) error {
	for r.queued > 0 && r.queued+int64(len(m.Data)) > r.maxQueued {
		if r.c.closing.Load() {
			putBytes(m.Data)
			return nil
		}
		// Receive signals drained; a user of In does not, so look again
		// shortly.
		if r.poll == nil {
			r.poll = time.NewTimer(time.Millisecond)
		} else {
			r.poll.Reset(time.Millisecond)
		}
		select {
		case <-r.c.drained:
		case <-r.poll.C:
		case <-ctx.Done():
			return nil
		}
		r.account()
	}
	for {
		if r.c.closing.Load() {
			select {
			case r.c.in <- m:
				r.sent(len(m.Data))
			default:
				putBytes(m.Data)
			}
			return nil
		}
		select {
		case r.c.in <- m:
			r.sent(len(m.Data))
			return nil
		case <-r.c.drained: // Close began, or Receive took one: look again
		case <-ctx.Done():
			return nil
		}
	}
}

// sent counts a message of n bytes handed to c.in.
func (r *reader) sent(n int) {
	r.sizes[(r.first+r.n)%len(r.sizes)] = n
	r.n++
	r.queued += int64(n)
}

// account forgets the sizes of the messages the user has taken from c.in:
// the oldest ones, beyond what c.in still holds.
func (r *reader) account() {
	for left := len(r.c.in); r.n > left; r.n-- {
		r.queued -= int64(r.sizes[r.first])
		r.first = (r.first + 1) % len(r.sizes)
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
