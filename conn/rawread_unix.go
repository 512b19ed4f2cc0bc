//go:build unix

package conn

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// rawReader reads a TCP or Unix socket through its file descriptor
// (syscall.RawConn), so that a read that finds nothing to read can give
// the read buffer back to the pool before it waits for the socket: an
// idle connection then holds no read buffer, at no extra system call.
//
// The buffer is taken from the pool in fill, not inside RawConn.Read's
// callback: the pool's slow path (a new buffer) is deep, and the reader's
// stack, which every idle connection keeps, is as large as its deepest
// call ever was. The read that finds nothing and the wait for the socket
// stay in one RawConn.Read, which would otherwise lose a wakeup that
// arrives between them.
type rawReader struct {
	nc      net.Conn
	rc      syscall.RawConn
	attempt func(fd uintptr) bool // one read, made once

	// One read's arguments and results, for attempt.
	in      *inbuf // fill: read into in's buffer
	dst     []byte // read: read into dst
	n       int
	err     error
	needBuf bool // attempt found in without a buffer: fill takes one and reads again
	owed    bool // read: the peer owes all of dst

	// lowat is the socket's receive low-water mark as last set here; 0
	// is the system's default (1).
	lowat int
	tcp   bool // the low-water mark is set only on TCP sockets
}

// newRawReader returns a rawReader for nc if it is a *net.TCPConn or a
// *net.UnixConn, and nil for anything else: a wrapper may do more than
// read the descriptor, so it is read through its Read method.
func newRawReader(nc net.Conn) *rawReader {
	rc := rawConn(nc)
	if rc == nil {
		return nil
	}
	_, tcp := nc.(*net.TCPConn)
	r := &rawReader{nc: nc, rc: rc, tcp: tcp && lowatWorks}
	r.attempt = r.read1
	return r
}

// fill reads into b's buffer after its unread bytes, taking a buffer from
// the pool if b has none. While the socket has nothing to read and b holds
// no unread byte, the buffer goes back to the pool.
func (r *rawReader) fill(b *inbuf) (int, error) {
	r.in = b
	for {
		if b.buf == nil {
			b.acquire()
		}
		if err := r.rc.Read(r.attempt); err != nil {
			r.in = nil
			return 0, err // the socket is closed
		}
		if !r.needBuf {
			break
		}
		// The buffer went back while the socket had nothing; it has now.
		r.needBuf = false
	}
	r.in = nil
	n, err := r.n, r.err
	r.n, r.err = 0, nil
	return n, err
}

// read reads into p, waiting for the socket while it has nothing. owed
// says the peer owes all of p (see inbuf.readOwed).
func (r *rawReader) read(p []byte, owed bool) (int, error) {
	r.dst, r.owed = p, owed
	err := r.rc.Read(r.attempt)
	r.dst, r.owed = nil, false
	if err != nil {
		return 0, err // the socket is closed
	}
	n, err := r.n, r.err
	r.n, r.err = 0, nil
	return n, err
}

// read1 tries one read; false means the socket has nothing yet and
// RawConn.Read should wait for it and call again.
func (r *rawReader) read1(fd uintptr) bool {
	p := r.dst
	if b := r.in; b != nil {
		if b.buf == nil {
			r.needBuf = true
			return true
		}
		p = b.room()
	}
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if r.in != nil {
				r.in.release()
			}
			r.setLowat(fd, r.lowatFor(len(p)))
			return false
		case err != nil:
			r.n, r.err = 0, r.opError(err)
		case n == 0:
			r.n, r.err = 0, io.EOF
		default:
			r.n, r.err = n, nil
		}
		return true
	}
}

// lowatFor returns the receive low-water mark for a wait before a read of
// n bytes: n, up to lowatMax, if the peer owes them all, and 0 (wake at
// the first byte) otherwise. A large payload is then read in a few large
// reads, each after one wakeup, instead of a wakeup and a read for every
// segment as it arrives.
func (r *rawReader) lowatFor(n int) int {
	if !r.owed || !r.tcp || n < lowatMin {
		return 0
	}
	return min(n, lowatMax)
}

// lowatMin is the shortest read that waits for all its bytes: a shorter
// one most often arrives in a segment or two, and saves no wakeup that
// would pay for setting the mark and setting it back.
const lowatMin = 64 << 10

// lowatMax bounds a wait for owed bytes: the socket must be able to hold
// them (Linux raises its receive buffer to fit), and the reader drains
// the socket at least once per lowatMax bytes.
const lowatMax = 1 << 20

// setLowat sets the socket's receive low-water mark to n bytes (0 for the
// default) unless it is set so already. The mark stays until the next
// wait: a read that finds bytes to read waits for nothing.
func (r *rawReader) setLowat(fd uintptr, n int) {
	if n != r.lowat && setRcvLowat(fd, max(n, 1)) == nil {
		r.lowat = n
	}
}

// opError wraps a read's errno as net.Conn's Read would.
func (r *rawReader) opError(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError("read", errno)
	}
	return &net.OpError{Op: "read", Net: r.nc.LocalAddr().Network(), Source: r.nc.LocalAddr(), Addr: r.nc.RemoteAddr(), Err: err}
}
