package conn

import (
	"context"
	"sync"

	"github.com/wsactor/wsactor/frames"
)

// directMin is the payload size from which a server's Send over TCP hands
// the writer the caller's slice instead of copying it into the mailbox.
const directMin = 256 << 10

// A direct is a large frame whose payload the writer sends straight from
// the sender's slice: no copy into the mailbox, and no buffer as large as
// the message. Its sender waits until the frame is written. If the
// sender's context ends first, the sender withdraws the frame if the
// writer has not started on it (nothing is sent), and otherwise copies
// what is left to write and leaves the writer to finish from the copy: the
// frame is sent whole either way, and the caller may reuse its slice as
// soon as Send returns.
type direct struct {
	hdrBuf [14]byte
	hdr    []byte     // the encoded header, in hdrBuf
	taken  bool       // the writer has started on it (under the mailbox's mu)
	done   chan error // cap 1: the result, unless the sender has gone

	mu        sync.Mutex // held by the writer around each write from data
	data      []byte     // the payload left to write
	owned     *buffer    // the copy of data, once the sender has gone
	abandoned bool       // the sender has gone: nobody receives from done
	finished  bool
}

// putDirect queues a large unmasked data frame for the writer to send from
// payload itself, and waits until it is written (see direct).
func (mb *mailbox) putDirect(ctx context.Context, h frames.Header, payload []byte) error {
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
		if !mb.stream && mb.direct == nil {
			break
		}
		if err := mb.waitSpace(ctx); err != nil {
			return err
		}
	}
	d := &direct{data: payload, done: make(chan error, 1)}
	h.Length, h.Masked = int64(len(payload)), false
	d.hdr = frames.AppendHeader(d.hdrBuf[:0], h)
	mb.direct = d
	mb.mu.Unlock()
	mb.signal()
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
	if !d.taken && mb.direct == d {
		mb.direct = nil
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
	if !abandoned {
		d.done <- err
	}
	mb.mu.Lock()
	mb.direct = nil
	mb.freeSpace()
	mb.mu.Unlock()
}

// directWaiting reports whether a direct frame is queued and the writer has
// not taken it yet: frames that cannot wait then queue behind it in after.
// The caller holds mu.
func (mb *mailbox) directWaiting() bool { return mb.direct != nil && !mb.direct.taken }
