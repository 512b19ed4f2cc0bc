// Package rawpeer is a WebSocket peer for tests that speaks raw bytes.
//
// wsactor's conformance table (the conformance tests of package conn) needs
// an other end that does not obey RFC 6455: one that sends reserved bits and
// opcodes, fragmented pings, invalid UTF-8, lying length fields and half
// frames, that writes a frame one byte at a time or many frames in one write,
// and that watches exactly what comes back: the close code, whether the TCP
// connection is closed, and when. A Peer is that other end. It does the
// opening handshake itself, as a client with Dial or as a server with
// Listener.Accept, and after that writes whatever bytes it is given.
//
// The package knows nothing of wsactor's connection: it is a peer for any
// WebSocket implementation. It builds frames with package frames
// (AppendHeader and Mask, without validation) and computes the handshake's
// accept key itself, so that a fault in wsactor's handshake code cannot hide
// behind the same fault here.
//
// Every method that waits takes a context, and its deadline bounds the wait
// on the network: no test using a Peer waits without bound.
package rawpeer
