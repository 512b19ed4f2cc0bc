// Package compress compares permessage-deflate (RFC 7692) in wsactor,
// gorilla/websocket and lxzan/gws, each library talking to itself over
// loopback. It holds only benchmarks (compress_test.go):
//
//	go test -run='^$' -bench=. -benchmem ./compress
//
// For a compressible JSON text and for incompressible random bytes, each
// library and mode reports the time of one message's round trip, the
// bytes its server wrote on the wire per echo ("wire-B/msg") and, in
// BenchmarkCompressionMemory, the heap a connected pair (client and
// server) holds after a few compressed messages ("heap-B/pair").
//
// The modes are "off", "deflate" (no context takeover: every message
// compressed on its own) and "deflate+takeover" (both sides keep their
// LZ77 window from one message to the next). gorilla supports only the
// first two. wsactor and gorilla compress with the standard library's
// compress/flate; gws uses github.com/klauspost/compress/flate. Every
// library runs at its default level (flate.BestSpeed in all three).
package compress
