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
//     written from the caller's slice, not copied, while Send waits.)
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
// # Backpressure
//
// The reader holds at most a bounded number of received messages and bytes
// (see [WithReceiveQueue]); past that it stops reading the socket and TCP
// pushes back on the peer. Senders block (or fail with their context) once
// the writer's mailbox holds more than its bound (see [WithSendBuffer]).
// Nothing grows without limit.
//
// # Memory
//
// The reader's buffer and the mailbox's buffers are borrowed from a pool
// while they hold bytes and given back once they are empty: an idle
// connection holds none. A received [Message] is the receiver's; giving it
// back with [Message.Release] once done with it lets later messages reuse
// its memory.
//
// # Errors
//
// When a connection ends, [Conn.Err] and every later Receive return a
// [*CloseError]: the code and reason of the peer's close frame, the code
// wsactor failed the connection with (1002, 1007, 1009...) and why, or 1006
// wrapping the network error when the connection dropped.
package conn
