//go:build !unix

package conn

import "net"

// rawReader is the descriptor-level reader of unix systems (see
// rawread_unix.go); elsewhere every connection is read through its Read
// method.
type rawReader struct{}

func newRawReader(net.Conn) *rawReader { return nil }

func (*rawReader) fill(*inbuf) (int, error) { panic("unreachable") }

func (*rawReader) read([]byte, bool) (int, error) { panic("unreachable") }
