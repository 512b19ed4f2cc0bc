package conn

import "syscall"

// lowatWorks says the reader may raise a TCP socket's receive low-water
// mark (see rawReader.lowatFor). Linux's TCP wakes a reader short of
// its mark when the receive window or buffer memory runs out, so a mark
// the sender cannot reach stalls nothing; other systems do not promise
// that.
const lowatWorks = true

// setRcvLowat sets the receive low-water mark (SO_RCVLOWAT) of socket
// fd: a wait for it to be readable ends once n bytes are queued.
func setRcvLowat(fd uintptr, n int) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, n)
}
