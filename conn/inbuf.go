package conn

import (
	"io"
	"net"

	"github.com/wsactor/wsactor/frames"
)

// inbuf is the reader's buffered view of the socket, in place of a
// bufio.Reader: Read and Discard as bufio has them, and readHeader. Its
// buffer comes from the buffer pool for a read and goes back as soon as
// every byte in it is consumed, so an idle connection holds no read
// buffer. On a TCP or Unix socket, the read that finds nothing gives the
// buffer back before it waits for the socket, at no extra system call (see
// rawReader). Any other net.Conn (TLS, a pipe) is read through its Read
// method, which holds the buffer while it waits.
type inbuf struct {
	src  io.Reader
	raw  *rawReader // nil unless src is a plain socket
	size int        // the buffer's size
	buf  *buffer    // nil when nothing is buffered
	r, w int        // buf.b[r:w] is unread
	err  error      // the error of the last read, returned once the bytes before it are consumed
	// direct says the last read went straight into a message's payload:
	// the next fill reads at most afterDirect bytes.
	direct bool
}

// afterDirect is how much the first fill after a payload read straight
// into a message reads. A large message is likely followed by another,
// whose first bytes a full buffer would read only to copy them into that
// message; smaller frames that follow are read by the next fill.
const afterDirect = 4 << 10

// room returns the part of the buffer the next read reads into.
func (b *inbuf) room() []byte {
	if b.direct && b.w < afterDirect && afterDirect < len(b.buf.b) {
		return b.buf.b[b.w:afterDirect]
	}
	return b.buf.b[b.w:]
}

// newInbuf returns the buffered view of nc with buffers of size bytes.
// early holds bytes the peer sent behind its handshake, which are read
// first.
func newInbuf(nc net.Conn, early []byte, size int) *inbuf {
	b := &inbuf{src: nc, raw: newRawReader(nc), size: size}
	if len(early) > 0 {
		b.buf = getBuffer(max(size, len(early)))
		b.buf.b = b.buf.b[:cap(b.buf.b)]
		b.w = copy(b.buf.b, early)
	}
	return b
}

// release gives the buffer back to the pool if nothing in it is unread.
func (b *inbuf) release() {
	if b.buf != nil && b.r == b.w {
		putBuffer(b.buf)
		b.buf, b.r, b.w = nil, 0, 0
	}
}

// close gives the buffer back for good: the reader has stopped.
func (b *inbuf) close() {
	putBuffer(b.buf)
	b.buf, b.r, b.w = nil, 0, 0
}

// acquire takes a buffer from the pool.
func (b *inbuf) acquire() {
	b.buf = getBuffer(b.size)
	b.buf.b = b.buf.b[:cap(b.buf.b)]
	b.r, b.w = 0, 0
}

// fill reads once more into the buffer, after the bytes still unread
// (moved to its start).
func (b *inbuf) fill() {
	switch {
	case b.r == b.w:
		b.release()
	case b.r > 0:
		b.w = copy(b.buf.b, b.buf.b[b.r:b.w])
		b.r = 0
	}
	var n int
	if b.raw != nil {
		n, b.err = b.raw.fill(b)
	} else {
		if b.buf == nil {
			b.acquire()
		}
		n, b.err = readSome(b.src, b.room())
	}
	b.direct = false
	b.w += n
	b.release() // if the read brought nothing
}

// readSome reads at least one byte into p, or fails.
func readSome(src io.Reader, p []byte) (int, error) {
	for range 100 {
		n, err := src.Read(p)
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// readErr returns the pending read error, once: later reads try again, as
// with a bufio.Reader.
func (b *inbuf) readErr() error {
	err := b.err
	b.err = nil
	return err
}

// bytes returns the unread bytes.
func (b *inbuf) bytes() []byte {
	if b.buf == nil {
		return nil
	}
	return b.buf.b[b.r:b.w]
}

// Discard skips the next n bytes, reading them if need be.
func (b *inbuf) Discard(n int) (int, error) {
	done := 0
	for {
		k := min(n-done, b.w-b.r)
		b.r += k
		done += k
		if done == n {
			b.release()
			return done, nil
		}
		if b.err != nil {
			return done, b.readErr()
		}
		b.fill()
	}
}

// Read reads into p: buffered bytes if there are any, else straight from
// the socket into p when p is at least as large as the buffer, else
// through the buffer.
func (b *inbuf) Read(p []byte) (int, error) { return b.read(p, false) }

// readOwed is Read for bytes the peer owes: p is no longer than what is
// left of the frame being read. A read straight from a TCP socket that
// has to wait then waits for all of p, up to lowatMax bytes, rather than
// for the first bytes to arrive (see rawReader.lowatFor).
func (b *inbuf) readOwed(p []byte) (int, error) { return b.read(p, true) }

func (b *inbuf) read(p []byte, owed bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			return 0, b.readErr()
		}
		if len(p) >= b.size {
			b.release()
			b.direct = true
			if b.raw != nil {
				return b.raw.read(p, owed)
			}
			return readSome(b.src, p)
		}
		b.fill()
		if b.r == b.w {
			return 0, b.readErr()
		}
	}
	n := copy(p, b.buf.b[b.r:b.w])
	b.r += n
	b.release()
	return n, nil
}

// parseHeader consumes the header at the start of the unread bytes, if it
// is all there. It is not inlined into readHeader, whose frame is on the
// stack while the reader waits for the socket.
//
//go:noinline
func (b *inbuf) parseHeader() (frames.Header, bool, error) {
	h, n, err := frames.ParseHeader(b.bytes())
	if n == 0 {
		return frames.Header{}, false, nil
	}
	b.r += n
	b.release()
	return h, true, err
}

// readHeader reads one frame header, as frames.ReadHeader does from a
// bufio.Reader: io.EOF before its first byte, io.ErrUnexpectedEOF inside
// it, an error wrapping frames.ErrLengthOverflow for a 64-bit length with
// its top bit set.
func (b *inbuf) readHeader() (frames.Header, error) {
	for {
		if h, ok, err := b.parseHeader(); ok {
			return h, err
		}
		if b.err != nil {
			err := b.readErr()
			if err == io.EOF && b.r < b.w {
				err = io.ErrUnexpectedEOF
			}
			return frames.Header{}, err
		}
		b.fill()
	}
}
