package conn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/wsactor/wsactor/frames"
)

// frameKind says how the mailbox treats a frame.
type frameKind uint8

const (
	dataFrame    frameKind = iota // in order, bounded, refused after the close frame
	controlFrame                  // ping or pong: ahead of queued data, not bounded
	closeFrame                    // the close frame: in order after queued data, at most once
	streamFrame                   // a fragment of the open NextWriter message
	outFrame                      // a message from Out, encoded by the writer itself: never waits
)

// mailbox is where frames wait for the writer. Senders encode their frames
// into pending (urgent for pings and pongs) under mu; the writer takes the
// buffers and writes them in one go. That makes a Send cost one copy and no
// allocation, lets the caller reuse its slice at once, and turns a burst of
// small messages into a single system call. The buffers come from the
// buffer pool when a frame is queued and go back once written: an idle
// connection holds none.
type mailbox struct {
	mu      sync.Mutex
	client  bool // mask every frame
	limit   int
	pending *buffer // nil when empty
	urgent  *buffer // nil when empty
	closeIn bool    // the close frame is in pending, not yet written
	closed  bool    // a close frame has been queued: no data frame may follow
	// lastBatch is the size of the last pending the writer took: the
	// size the next one starts at.
	lastBatch int
	stream    bool // a NextWriter message is open: other data waits
	err       error
	space     chan struct{} // closed when the writer takes pending, if anyone waits
	wake      chan struct{} // cap 1: pending or urgent is not empty

	direct     *direct // a large frame sent from its sender's slice, until written
	after      *buffer // frames queued behind direct before the writer takes it
	closeAfter bool    // the close frame is in after

	// Who writes the socket: the writer between take and idle (busy), or
	// a sender writing its own large frame while the writer is idle
	// (owned); never both.
	busy     bool
	owned    bool
	writeErr error // a sender's own write failed with it

	// For a sender's own write of a small data frame (writeOwnFrame):
	// the socket, and what says that more received messages are about to
	// be answered, which the writer had better batch.
	raw    *rawWriter
	inbox  chan Message // the connection's In: messages not yet received
	unread *atomic.Bool // the reader holds bytes of frames not yet decoded
}

// ownable reports whether a data frame may be written by its sender
// (writeOwnFrame): the writer is idle, nothing is queued, and no received
// message is waiting to be answered, so that the sender is not about to
// queue another frame for the writer to batch with it. The caller holds
// mu.
func (mb *mailbox) ownable() bool {
	return mb.raw != nil && !mb.busy && !mb.owned && mb.pending == nil && mb.urgent == nil &&
		mb.direct == nil && len(mb.inbox) == 0 && !mb.unread.Load()
}

// writeOwnFrame writes a frame of need bytes, encoded by add, from its
// sender's goroutine, as much as the socket takes without waiting: a
// lone message (an answer in a request-response exchange) then costs no
// hand-off to the writer. What the socket does not take goes to the
// writer, ahead of everything queued meanwhile. The caller holds mu,
// which writeOwnFrame releases.
func (mb *mailbox) writeOwnFrame(need int, add func([]byte) []byte) error {
	buf := getBuffer(need)
	buf.b = add(buf.b) // under mu, as for any frame: compression context takeover depends on it
	mb.owned = true
	mb.mu.Unlock()
	n, err := mb.raw.writeSome(buf.b)
	mb.mu.Lock()
	mb.owned = false
	if err != nil {
		putBuffer(buf)
		if mb.writeErr == nil {
			mb.writeErr = fmt.Errorf("websocket: write: %w", err)
		}
		mb.mu.Unlock()
		mb.stop(mb.writeErr) // the writer ends with writeErr
		return err
	}
	queued := mb.pending != nil || mb.urgent != nil
	if n < len(buf.b) {
		// The socket is full. The rest of the frame goes first: urgent
		// is written before pending.
		rest := getBuffer(len(buf.b) - n + mb.urgent.len())
		rest.b = append(rest.b, buf.b[n:]...)
		if mb.urgent != nil {
			rest.b = append(rest.b, mb.urgent.b...)
			putBuffer(mb.urgent)
		}
		mb.urgent = rest
		queued = true
	}
	putBuffer(buf)
	mb.freeSpace()
	mb.mu.Unlock()
	if queued {
		mb.signal()
	}
	return nil
}

func (mb *mailbox) init(client bool, limit int) {
	mb.client = client
	mb.limit = limit
	mb.wake = make(chan struct{}, 1)
}

// put encodes one frame with payload into the mailbox, waiting for room (or
// ctx) when the mailbox is over its bound. It never blocks on the network.
func (mb *mailbox) put(ctx context.Context, h frames.Header, payload []byte, kind frameKind) error {
	return mb.putFrame(ctx, h, payload, kind, true)
}

// putFrame is put, failing with ErrSendQueueFull instead of waiting for
// room when wait is false.
func (mb *mailbox) putFrame(ctx context.Context, h frames.Header, payload []byte, kind frameKind, wait bool) error {
	h.Length = int64(len(payload))
	return mb.enqueue(ctx, frames.HeaderSize(h.Length, mb.client)+len(payload), kind, wait, func(dst []byte) []byte {
		return mb.encode(dst, h, payload)
	})
}

// putEncoded queues frame bytes encoded beforehand (a server's prepared
// message). With wait false it fails with ErrSendQueueFull instead of
// waiting for room.
func (mb *mailbox) putEncoded(ctx context.Context, frame []byte, wait bool) error {
	return mb.enqueue(ctx, len(frame), dataFrame, wait, func(dst []byte) []byte {
		return append(dst, frame...)
	})
}

// enqueue appends need bytes written by add to the right buffer once the
// rules of kind allow it.
func (mb *mailbox) enqueue(ctx context.Context, need int, kind frameKind, wait bool, add func([]byte) []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	mb.mu.Lock()
	for {
		if mb.err != nil {
			err := mb.err
			mb.mu.Unlock()
			return err
		}
		if kind != controlFrame && mb.closed {
			mb.mu.Unlock()
			return ErrCloseSent
		}
		full := false
		queued := mb.pending.len()
		switch kind {
		case dataFrame:
			full = mb.stream || mb.directWaiting() || (queued > 0 && queued+need > mb.limit)
		case streamFrame:
			full = mb.directWaiting() || (queued > 0 && queued+need > mb.limit)
		}
		if !full {
			break
		}
		if !wait {
			mb.mu.Unlock()
			return ErrSendQueueFull
		}
		if err := mb.waitSpace(ctx); err != nil {
			return err
		}
	}
	if kind == dataFrame && mb.ownable() {
		return mb.writeOwnFrame(need, add)
	}
	switch {
	case kind == controlFrame:
		mb.urgent = appendBuffer(mb.urgent, need)
		mb.urgent.b = add(mb.urgent.b)
	case mb.directWaiting():
		// Only frames that cannot wait (the close frame, a message from
		// Out) get here: they go out after the large frame.
		mb.after = appendBuffer(mb.after, need)
		mb.after.b = add(mb.after.b)
		mb.closeAfter = mb.closeAfter || kind == closeFrame
	default:
		if mb.pending == nil {
			// As large as the last batch: a busy connection's next
			// batch is likely as large, and then is never copied into
			// a larger buffer while it fills.
			mb.pending = getBuffer(max(need, mb.lastBatch))
		}
		mb.pending = appendBuffer(mb.pending, need)
		mb.pending.b = add(mb.pending.b)
		mb.closeIn = mb.closeIn || kind == closeFrame
	}
	if kind == closeFrame {
		mb.closed = true
	}
	mb.mu.Unlock()
	mb.signal()
	return nil
}

// waitSpace waits, with mu held, until the writer takes what is queued or
// a large frame is done, or until ctx ends. It returns with mu held, or
// with ctx's error and mu released.
func (mb *mailbox) waitSpace(ctx context.Context) error {
	if mb.space == nil {
		mb.space = make(chan struct{})
	}
	space := mb.space
	mb.mu.Unlock()
	select {
	case <-space:
	case <-ctx.Done():
		return ctx.Err()
	}
	mb.mu.Lock()
	return nil
}

// freeSpace wakes whoever waits for space. The caller holds mu.
func (mb *mailbox) freeSpace() {
	if mb.space != nil {
		close(mb.space)
		mb.space = nil
	}
}

// signal wakes the writer.
func (mb *mailbox) signal() {
	select {
	case mb.wake <- struct{}{}:
	default:
	}
}

// encode appends h and payload to dst, masked with a fresh key for a client.
func (mb *mailbox) encode(dst []byte, h frames.Header, payload []byte) []byte {
	h.Masked = mb.client
	if mb.client {
		k := rand.Uint32()
		h.Key = [4]byte{byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
	}
	dst = frames.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	if mb.client {
		frames.Mask(h.Key, 0, dst[start:])
	}
	return dst
}

// take hands the writer everything queued: urgent frames first, then
// pending, then a large frame's payload to write from its sender's slice
// (pending then ends with the frame's head), and whether pending carries the
// close frame; or, once the mailbox is stopped, stopped. Any of them may
// be nil; the writer gives the buffers back to the pool once written,
// ends d with finishDirect and, when it took anything, calls idle once it
// is written. While a sender writes its own large frame (see putDirect)
// take hands over nothing: the sender wakes the writer when it is done.
func (mb *mailbox) take() (urgent, pending *buffer, d *direct, closeIn, stopped bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	switch {
	case mb.err != nil:
		return nil, nil, nil, false, true
	case mb.owned:
		return nil, nil, nil, false, false
	case mb.directWaiting() && mb.direct.started:
		// The rest of a frame its sender began to write: nothing may go
		// before it. What was queued meanwhile waits in after and urgent.
		d = mb.direct
		d.taken = true
		mb.pending, mb.closeIn = mb.after, mb.closeAfter
		mb.after, mb.closeAfter = nil, false
		if mb.pending != nil || mb.urgent != nil {
			mb.signal()
		}
		mb.busy = true
		mb.freeSpace()
		return nil, nil, d, false, false
	}
	urgent, pending, closeIn = mb.urgent, mb.pending, mb.closeIn
	mb.urgent, mb.pending, mb.closeIn = nil, nil, false
	mb.lastBatch = min(pending.len(), mb.limit)
	if mb.directWaiting() {
		d = mb.direct
		d.taken = true
		pending = appendBuffer(pending, len(d.rest))
		pending.b = append(pending.b, d.rest...)
		d.freeHead() // written with pending
		// What was queued behind d is next.
		mb.pending, mb.closeIn = mb.after, mb.closeAfter
		mb.after, mb.closeAfter = nil, false
		if mb.pending != nil {
			mb.signal()
		}
	}
	mb.busy = urgent != nil || pending != nil || d != nil
	mb.freeSpace()
	return urgent, pending, d, closeIn, false
}

// idle says the writer has written what it took.
func (mb *mailbox) idle() {
	mb.mu.Lock()
	mb.busy = false
	mb.mu.Unlock()
}

// failed returns the error a sender's own write failed with, if one did:
// the writer ends with it, as if its own write had failed.
func (mb *mailbox) failed() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.writeErr
}

// stop makes every later put fail with err and wakes every waiter, the
// writer included.
func (mb *mailbox) stop(err error) {
	defer mb.signal()
	mb.mu.Lock()
	if mb.err == nil {
		mb.err = err
	}
	putBuffer(mb.pending)
	putBuffer(mb.urgent)
	putBuffer(mb.after)
	mb.pending, mb.urgent, mb.after = nil, nil, nil
	if d := mb.direct; d != nil && !d.taken {
		// Its sender waits; the writer will never take it.
		mb.direct = nil
		d.freeHead()
		d.drop()
		d.mu.Lock()
		d.finished = true
		d.mu.Unlock()
		if d.done != nil {
			d.done <- mb.err
		}
	}
	mb.freeSpace()
	mb.mu.Unlock()
}

// openStream marks a NextWriter message open, waiting for any other to end.
func (mb *mailbox) openStream(ctx context.Context) error {
	mb.mu.Lock()
	for mb.stream && mb.err == nil && !mb.closed {
		if err := mb.waitSpace(ctx); err != nil {
			return err
		}
	}
	defer mb.mu.Unlock()
	switch {
	case mb.err != nil:
		return mb.err
	case mb.closed:
		return ErrCloseSent
	}
	mb.stream = true
	return nil
}

// closeStream ends the NextWriter message and lets waiting senders go.
func (mb *mailbox) closeStream() {
	mb.mu.Lock()
	mb.stream = false
	mb.freeSpace()
	mb.mu.Unlock()
}

// streaming reports whether a NextWriter message is open.
func (mb *mailbox) streaming() bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.stream
}
