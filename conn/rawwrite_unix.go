//go:build unix

package conn

import (
	"errors"
	"net"
	"os"
	"syscall"
)

// rawWriter writes to a TCP or Unix socket through its file descriptor.
// A large frame's payload is written a non-blocking write at a time under
// the frame's lock, so that a sender whose context ends can take its slice
// back between two writes (see direct), even while the socket is full.
// Other bytes are written as net.Conn's Write would, through fewer and
// smaller frames of the writer's stack, which every idle connection keeps.
type rawWriter struct {
	nc      net.Conn
	rc      syscall.RawConn
	attempt func(fd uintptr) bool // w.write1, made once
	plain   func(fd uintptr) bool // w.writeBytes1, made once
	d       *direct
	now     bool   // writeNow: give up when the socket is full
	p       []byte // writeBytes: what is left to write
	err     error
}

// newRawWriter returns a rawWriter for nc if it is a *net.TCPConn or a
// *net.UnixConn, and nil for anything else.
func newRawWriter(nc net.Conn) *rawWriter {
	rc := rawConn(nc)
	if rc == nil {
		return nil
	}
	w := &rawWriter{nc: nc, rc: rc}
	w.attempt = w.write1
	w.plain = w.writeBytes1
	return w
}

// write writes what is left of d's payload.
func (w *rawWriter) write(d *direct) error {
	w.d = d
	err := w.rc.Write(w.attempt)
	w.d = nil
	if err != nil {
		return err // the socket is closed
	}
	err, w.err = w.err, nil
	return err
}

// writeNow writes what is left of d's head and as much of its payload as
// the socket takes without waiting; whole says it is all written.
func (w *rawWriter) writeNow(d *direct) (whole bool, err error) {
	w.d, w.now = d, true
	err = w.rc.Write(w.attempt)
	w.d, w.now = nil, false
	if err != nil {
		return false, err // the socket is closed
	}
	err, w.err = w.err, nil
	return err == nil && len(d.rest) == 0 && len(d.data) == 0, err
}

// write1 writes as much as the socket takes, what is left of d's head
// first; false means the socket is full and RawConn.Write should wait for
// room and call again (true, for writeNow).
func (w *rawWriter) write1(fd uintptr) bool {
	d := w.d
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.rest) > 0 || len(d.data) > 0 {
		p := d.data
		if len(d.rest) > 0 {
			p = d.rest
		}
		n, err := syscall.Write(int(fd), p)
		if n > 0 {
			if len(d.rest) > 0 {
				d.rest = d.rest[n:]
			} else {
				d.data = d.data[n:]
			}
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return w.now
		case err != nil:
			w.err = w.opError(err)
			return true
		}
	}
	return true
}

// writeBytes writes p whole, waiting for room in the socket as it needs.
func (w *rawWriter) writeBytes(p []byte) error {
	w.p = p
	err := w.rc.Write(w.plain)
	w.p = nil
	if err != nil {
		return err // the socket is closed
	}
	err, w.err = w.err, nil
	return err
}

// writeSome writes as much of p as the socket takes without waiting.
func (w *rawWriter) writeSome(p []byte) (int, error) {
	w.p, w.now = p, true
	err := w.rc.Write(w.plain)
	n := len(p) - len(w.p)
	w.p, w.now = nil, false
	if err != nil {
		return n, err // the socket is closed
	}
	err, w.err = w.err, nil
	return n, err
}

// writeBytes1 writes as much of w.p as the socket takes; false means it is
// full and RawConn.Write should wait for room and call again.
func (w *rawWriter) writeBytes1(fd uintptr) bool {
	for len(w.p) > 0 {
		n, err := syscall.Write(int(fd), w.p)
		if n > 0 {
			w.p = w.p[n:]
		}
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN:
			return w.now
		case err != nil:
			w.err = w.opError(err)
			return true
		}
	}
	return true
}

// opError wraps a write's errno as net.Conn's Write would.
func (w *rawWriter) opError(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = os.NewSyscallError("write", errno)
	}
	return &net.OpError{Op: "write", Net: w.nc.LocalAddr().Network(), Source: w.nc.LocalAddr(), Addr: w.nc.RemoteAddr(), Err: err}
}
