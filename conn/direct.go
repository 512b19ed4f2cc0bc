package conn

import (
	"context"
	"fmt"
	"sync"

	"github.com/wsactor/wsactor/frames"
)

// directMin is the payload size from which a server's Send over TCP hands
// the writer the caller's slice instead of copying it into the mailbox.
const directMin = 256 << 10

// directHead is how much of a direct frame, header included, goes out in
// its first write, from a copy; the rest follows from the sender's slice.
// Two writes, a small one first, as bufio's 4 KiB buffers make coder's and
// gobwas's: a 1 MiB echo over loopback then runs 1.2 times as fast as
// with the frame in one write (or the header alone first), which the
// receiver takes in later and in fewer, larger pieces.
const directHead = 4 << 10

// A direct is a large frame whose payload is sent straight from the
// sender's slice: no copy into the mailbox, and no buffer as large as the
// message. When the writer is idle and nothing is queued, the sender
// writes the frame itself, as much of it as the socket takes at once,
// which spares two hand-offs between goroutines (to the writer and back);
// the writer sends the frame, or what the socket did not take, otherwise.
// Its sender waits until the frame is written. If the sender's context
// ends first, the sender withdraws the frame if nothing of it is written
// (nothing is sent), and otherwise copies what is left to write and leaves
// the writer to finish from the copy: the frame is sent whole either way,
// and the caller may reuse its slice as soon as Send returns.
type direct struct {
	head    *buffer    // the header and the payload's first bytes, from the pool, until written
	taken   bool       // the writer has started on it (under the mailbox's mu)
	started bool       // its sender wrote part of it (under the mailbox's mu)
	done    chan error // cap 1: the result, unless the sender has gone (nil for Out's)

	mu        sync.Mutex // held around each write
	rest      []byte     // what is left of head to write
	data      []byte     // the payload left to write, after head
	owned     *buffer    // the copy of data, once the sender has gone
	abandoned bool       // the sender has gone: nobody receives from done
	finished  bool
	recycled  Message // from Out, released once written or dropped
}

// putDirect sends a large unmasked data frame from payload itself, written
// through w, and waits until it is written (see direct).
func (mb *mailbox) putDirect(ctx context.Context, h frames.Header, payload []byte, w *rawWriter) error {
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
		if mb.closed {
			mb.mu.Unlock()
			return ErrCloseSent
		}
		if !mb.stream && mb.direct == nil && !mb.owned {
			break
		}
		if err := mb.waitSpace(ctx); err != nil {
			return err
		}
	}
	d := newDirect(h, payload)
	if !mb.busy && mb.pending == nil && mb.urgent == nil {
		// The writer is idle: write it here.
		mb.owned = true
		mb.mu.Unlock()
		return mb.writeOwn(ctx, d, w)
	}
	d.done = make(chan error, 1)
	mb.direct = d
	mb.mu.Unlock()
	mb.signal()
	return mb.awaitDirect(ctx, d)
}

// putOutDirect queues a large unmasked data frame from Out to be written
// from m.Data itself, which Out's sender gave the writer, and reports
// whether it did: not while another large frame or a NextWriter message
// is on its way, or a sender writes its own frame (the caller then copies
// the frame into the mailbox). Nobody waits for it. After the close frame
// it is discarded, as Out documents. A message to recycle is released
// once written or discarded. Only the writer calls it; its next flush
// writes the frame.
func (mb *mailbox) putOutDirect(h frames.Header, m Message) bool {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	switch {
	case mb.err != nil || mb.closed:
		m.releaseIfRecycled()
		return true
	case mb.stream || mb.direct != nil || mb.owned:
		return false
	}
	mb.direct = newDirect(h, m.Data)
	mb.direct.abandoned = true
	mb.direct.recycled = m
	return true
}

// newDirect returns the direct for a frame with header h and payload.
func newDirect(h frames.Header, payload []byte) *direct {
	h.Length, h.Masked = int64(len(payload)), false
	first := min(len(payload), directHead-frames.HeaderSize(h.Length, false))
	d := &direct{head: getBuffer(directHead), data: payload[first:]}
	d.head.b = append(frames.AppendHeader(d.head.b, h), payload[:first]...)
	d.rest = d.head.b
	return d
}

// writeOwn writes d, which its sender owns, as far as the socket takes it
// without waiting, and leaves the rest to the writer. A sender whose
// context can never end has nothing to withdraw for, so it writes the
// frame whole, waiting for room in the socket as it goes, as net.Conn's
// Write would: no hand-off to the writer and back (two goroutine wakeups
// a message, the larger part of the time a large echo costs beyond its
// system calls). Frames queued meanwhile wait for it, as they would for
// the writer to finish the frame; the connection's end closes the socket,
// which ends the wait.
func (mb *mailbox) writeOwn(ctx context.Context, d *direct, w *rawWriter) error {
	var whole bool
	var err error
	if ctx.Done() == nil {
		err = w.write(d)
		whole = err == nil
	} else {
		whole, err = w.writeNow(d)
	}
	if whole || err != nil {
		d.freeHead()
	}
	mb.mu.Lock()
	mb.owned = false
	if err != nil {
		if mb.writeErr == nil {
			mb.writeErr = fmt.Errorf("websocket: write: %w", err)
		}
		mb.mu.Unlock()
		mb.stop(mb.writeErr) // the writer ends with writeErr
		return err
	}
	if whole {
		queued := mb.pending != nil || mb.urgent != nil
		mb.freeSpace()
		mb.mu.Unlock()
		if queued {
			mb.signal()
		}
		return nil
	}
	// The socket is full: the writer finishes the frame, before anything
	// queued meanwhile.
	d.started = true
	d.done = make(chan error, 1)
	mb.direct = d
	mb.after, mb.closeAfter = mb.pending, mb.closeIn
	mb.pending, mb.closeIn = nil, false
	mb.mu.Unlock()
	mb.signal()
	return mb.awaitDirect(ctx, d)
}

// awaitDirect waits until the writer has written d, or until ctx ends.
func (mb *mailbox) awaitDirect(ctx context.Context, d *direct) error {
	select {
	case err := <-d.done:
		return err
	case <-ctx.Done():
		return mb.abandon(ctx, d)
	}
}

// abandon is putDirect's answer to the end of its context: withdraw d, or
// leave the writer a copy of what it has left to write.
func (mb *mailbox) abandon(ctx context.Context, d *direct) error {
	mb.mu.Lock()
	if !d.taken && !d.started && mb.direct == d {
		mb.direct = nil
		d.freeHead()
		// Frames queued behind d follow what was queued before it.
		if mb.after != nil {
			mb.pending = appendBuffer(mb.pending, len(mb.after.b))
			mb.pending.b = append(mb.pending.b, mb.after.b...)
			putBuffer(mb.after)
			mb.after = nil
			mb.closeIn = mb.closeIn || mb.closeAfter
			mb.closeAfter = false
		}
		mb.freeSpace()
		mb.mu.Unlock()
		return ctx.Err()
	}
	mb.mu.Unlock()
	d.mu.Lock()
	if d.finished {
		d.mu.Unlock()
		return <-d.done
	}
	buf := getBuffer(len(d.data))
	buf.b = append(buf.b, d.data...)
	d.data, d.owned, d.abandoned = buf.b, buf, true
	d.mu.Unlock()
	return nil
}

// finishDirect ends d, which the writer took, with the result of writing
// it, and lets the next large frame in.
func (mb *mailbox) finishDirect(d *direct, err error) {
	d.mu.Lock()
	d.finished = true
	abandoned, owned := d.abandoned, d.owned
	d.data, d.owned = nil, nil
	d.mu.Unlock()
	putBuffer(owned)
	d.freeHead()
	d.drop()
	if !abandoned {
		d.done <- err
	}
	mb.mu.Lock()
	mb.direct = nil
	mb.freeSpace()
	mb.mu.Unlock()
}

// drop releases the message from Out that d was made of, if it is to be
// recycled, once d is written or will never be.
func (d *direct) drop() {
	d.recycled.releaseIfRecycled()
	d.recycled = Message{}
}

// freeHead gives d's head back to the pool, once it is written or will
// never be.
func (d *direct) freeHead() {
	putBuffer(d.head)
	d.head, d.rest = nil, nil
}

// directWaiting reports whether a direct frame is queued and the writer has
// not taken it yet: frames that cannot wait then queue behind it in after.
// The caller holds mu.
func (mb *mailbox) directWaiting() bool { return mb.direct != nil && !mb.direct.taken }
