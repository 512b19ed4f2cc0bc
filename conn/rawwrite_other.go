//go:build !unix

package conn

import "net"

// rawWriter is the descriptor-level writer of unix systems (see
// rawwrite_unix.go); elsewhere large frames are copied into the mailbox
// like any other, and everything is written through net.Conn's Write.
type rawWriter struct{}

func newRawWriter(net.Conn) *rawWriter { return nil }

func (*rawWriter) write(*direct) error { panic("unreachable") }

func (*rawWriter) writeBytes([]byte) error { panic("unreachable") }

func (*rawWriter) writeNow(*direct) (bool, error) { panic("unreachable") }

func (*rawWriter) writeSome([]byte) (int, error) { panic("unreachable") }
