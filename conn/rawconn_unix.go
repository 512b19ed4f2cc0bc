//go:build unix

package conn

import (
	"net"
	"syscall"
)

// rawConn returns the descriptor access of nc if it is a *net.TCPConn or
// a *net.UnixConn, and nil for anything else: a wrapper (TLS, a test's
// pipe) may do more than read and write the descriptor, so it is used
// through its Read and Write methods.
func rawConn(nc net.Conn) syscall.RawConn {
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
