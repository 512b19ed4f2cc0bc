// Package frames implements the wire format of the WebSocket protocol,
// RFC 6455 section 5: opcodes, frame headers, the encoding and decoding of
// whole frames, payload masking, the payload of close frames with its status
// codes (sections 5.5.1 and 7.4), and the incremental UTF-8 validation that
// text messages and close reasons need (RFC 3629).
//
// It is the bottom layer of wsactor. The connection package builds its
// reader and writer on it, and it is usable on its own by anyone writing
// their own event loop: it starts no goroutines, keeps no state between
// calls, and decides no policy. It reads from a [bufio.Reader] and writes to
// a [bufio.Writer] or appends to a byte slice, and nothing else.
//
// The split of duties with the connection is deliberate. This package
// enforces what makes a frame well formed ([Header.Validate]: a known opcode
// range, control frames unfragmented and at most 125 bytes, a length that
// fits in 63 bits) and refuses to encode anything else. It does not reject
// reserved opcodes or RSV bits, the masking direction, continuation order or
// message sizes: those depend on what was negotiated and on which side of
// the connection is reading, and the connection enforces them.
// [ReadFrame] returns frames exactly as the wire carried them, so a caller
// checks [Header.Validate] itself before acting on one.
//
// The functions correspond to the helpers of lua-http's http.websocket:
// [AppendFrame] and [WriteFrame] are build_frame, [ReadFrame] is read_frame,
// [AppendClose] is build_close and [ParseClose] is parse_close.
//
// Encoding and decoding a header allocate nothing, [WriteFrame] masks into
// the writer's buffer without allocating or modifying the caller's payload,
// and [ReadFrame] allocates the payload and nothing else. Payloads over
// 1 MiB are read into a buffer that grows as the bytes arrive, so a peer
// cannot make a reader reserve memory just by announcing a large frame.
package frames
