// Package conn is a WebSocket connection (RFC 6455) built as three actors.
//
// An open [Conn] runs exactly three goroutines, linked so that they live and
// die together:
//
//   - the reader owns the read half of the socket. It decodes frames, enforces
//     every rule of RFC 6455 sections 5 to 8, validates UTF-8 fragment by
//     fragment, assembles messages and hands data messages to the user
//     through [Conn.In] (or [Conn.Receive]); control frames and violations go
//     to the controller.
//   - the writer owns the write half. Callers of [Conn.Send] encode their
//     frames into the writer's mailbox, so a caller may reuse its slice as
//     soon as Send returns; the writer takes everything queued and writes it
//     in one system call. Messages sent on [Conn.Out] are encoded by the
//     writer itself. (A server's message of 256 KiB or more over TCP is
//     written from the caller's slice, not copied, while Send waits; when
//     the writer is idle, by the caller itself: whole if its context can
//     never end, else as far as the socket takes it.)
//   - the controller owns the state machine: it answers pings, echoes a
//     received close, runs the closing handshake and its timeout, fails the
//     connection with 1002, 1007 or 1009 on a violation, sends keep-alive
//     pings when enabled and ends everything when the connection's context is
//     cancelled.
//
// No goroutine runs before [Conn.Connect] or [Conn.Accept] and none after
// [Conn.Done] is closed.
//
// Every function of lua-http's http.websocket has a counterpart:
// new_from_uri is [NewFromURI], connect is [Conn.Connect] ([Dial] does both),
// new_from_stream is [NewFromRequest], accept is [Conn.Accept] ([Upgrade]
// does both), receive is [Conn.Receive], each is [Conn.Each], send_frame is
// [Conn.SendFrame], send is [Conn.Send], send_ping and send_pong are
// [Conn.SendPing] and [Conn.SendPong], close is [Conn.Close], and
// close_timeout is [DefaultCloseTimeout]. Timeouts are contexts: a call whose
// context ends returns the context's error and loses nothing, so the
// connection stays usable.
//
// # One message at a time
//
// Handing a message from one goroutine to another costs more than its
// system calls when messages come one at a time (request and response):
// the Go scheduler wakes a second thread for each hand-off, which finds
// nothing to do. So a connection answering one message at a time hands
// off none. A Send made while the writer is idle, with nothing queued and
// no received message waiting to be answered, writes its frame itself
// (what the socket does not take goes to the writer, first in line); a
// burst of Sends is still queued and written by the writer in one system
// call. And a Receive whose context can never end (context.Background)
// and which finds no message waiting is lent the socket by the reader, at
// a frame boundary, with whatever the reader has read and not decoded: it
// then decodes that, waits for the socket, and reads and checks frames
// itself, with the reader's state and code, keeping the socket for its
// next call. The reader takes it back at most two rounds of a timer after
// a Receive last read it: 100 ms early in a lend, 2 s once Receive has
// read it steadily for half a second (until then, control frames wait; the
// rounds grow because a timer that fired often would cost round trips),
// and at once when In is called, when Receive with a context that can
// end, NextReader, a keep-alive ping or the closing handshake needs it,
// when a close frame arrives, when reading fails, and when the connection
// ends.
// Either way exactly one goroutine reads, and one writes, at a time.
//
// # Backpressure
//
// The reader holds at most a bounded number of received messages and bytes
// (see [WithReceiveQueue]); past that it stops reading the socket and TCP
// pushes back on the peer. Senders block (or fail with their context) once
// the writer's mailbox holds more than its bound (see [WithSendBuffer]).
// Nothing grows without limit. Once the user calls Close, a message that
// finds the receive queue full is discarded rather than waited on, and so
// is the rest of a message being read with NextReader, so that the peer's
// close frame behind them is read and the closing handshake ends without
// waiting out the close timeout.
//
// # Compression
//
// [WithCompression] enables permessage-deflate (RFC 7692). It is off by
// default, as in gorilla/websocket and gws: compression costs CPU on every
// message (several times the cost of sending it uncompressed, see
// BenchmarkCompressedRoundTrip) and pays off only for compressible data
// on links where bytes matter, which is the user's call. A server without
// it declines the offer that browsers always make, and the connection
// runs uncompressed.
//
// Once negotiated, text and binary messages of at least
// CompressionOptions.Threshold bytes are compressed when that makes them
// shorter (RSV1 set on their frame); control frames never are, nor are
// NextWriter's streams or SendFrame's raw frames. A PreparedMessage is
// compressed once per compression level and shared by every connection
// that does not take over its context. Received compressed messages are
// inflated whole, checked as they inflate against the read limit (1009
// past it) and, for text, for UTF-8 (1007); data that is not DEFLATE
// fails with 1007, and RSV1 on a continuation or control frame, or any
// RSV2 or RSV3, still fails with 1002.
//
// Without context takeover, the default, a connection holds no
// compression state between messages: compressors and decompressors come
// from pools. With CompressionOptions.ContextTakeover each connection
// keeps a compressor of its own from its first compressed message (about
// 1.2 MB at flate.BestSpeed, 0.8 MB at level 6: compress/flate allocates
// its hash tables whatever the level) and a 32 KiB dictionary of what it
// received; BenchmarkCompressionMemory measures a connected pair.
//
// # Memory
//
// The reader's buffer and the mailbox's buffers are borrowed from a pool
// while they hold bytes and given back once they are empty: an idle
// connection holds none. Nor does it hold Out's queue until Out is first
// called, and its three goroutines wait in shallow frames, so that their
// stacks keep Go's smallest size (a goroutine's stack, once grown, stays
// as large as its deepest call was). A received [Message] is the
// receiver's; giving it back with [Message.Release] once done with it
// lets later messages reuse its memory. A message forwarded on Out is
// given back by setting its Recycle field: the writer releases it once it
// is sent.
//
// # Errors
//
// When a connection ends, [Conn.Err] and every later Receive return a
// [*CloseError]: the code and reason of the peer's close frame, the code
// wsactor failed the connection with (1002, 1007, 1009...) and why, or 1006
// wrapping the network error when the connection dropped.
package conn
