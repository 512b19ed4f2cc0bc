// Package wire is the benchmark's own minimal WebSocket: just enough of
// RFC 6455 to drive a server with pre-masked frames and to echo a client's
// frames, with no library in between.
//
// It is the common instrument of the benchmark. The load generator that
// measures every library's server speaks through it, so that only the
// server differs from one figure to the next; the echo server that every
// library's client talks to is built on it, so that only the client
// differs. It is written for speed and clarity, not for completeness: no
// extensions, no UTF-8 checks, no fragmentation on the sending side.
package wire
