package conn

import "github.com/wsactor/wsactor/frames"

// Message is a whole data message: its opcode (frames.OpText or
// frames.OpBinary) and its payload. A received Message's Data belongs to the
// receiver.
type Message struct {
	Opcode frames.Opcode
	// Recycle, on a Message sent on Out, hands Data over for good: once
	// the writer has sent the message (or discarded it), it releases
	// Data as Release does, so that a later received message reuses its
	// memory instead of new memory. Set it only when nothing uses Data,
	// or any slice that shares its memory, after the send; an echo or a
	// relay of messages from In can:
	//
	//	for m := range c.In() {
	//		m.Recycle = true
	//		select {
	//		case c.Out() <- m:
	//		case <-c.Done():
	//		}
	//	}
	//
	// Only Out looks at it, and received messages never have it set.
	Recycle bool
	// Data is the payload. Recycle sits before it, beside Opcode, so
	// that a Message is 32 bytes: the compiler keeps a struct of that
	// size in registers, where a larger one lives in stack memory in
	// every frame that handles it.
	Data []byte
}

// TextMessage returns a text Message holding s.
func TextMessage(s string) Message { return Message{Opcode: frames.OpText, Data: []byte(s)} }

// BinaryMessage returns a binary Message holding b.
func BinaryMessage(b []byte) Message { return Message{Opcode: frames.OpBinary, Data: b} }

// Release gives m.Data's memory to the pool that connections take the
// buffers of received messages from, so that a later message, on any
// connection, reuses it instead of new memory. Calling it is optional: a
// message that is not released is garbage collected as any slice is. Call
// it once, when done with a message: m.Data, and any slice that shares its
// memory, must not be used afterwards. Send copies what it sends, so
//
//	m, err := c.Receive(ctx)
//	...
//	err = c.Send(ctx, m.Data, m.Opcode)
//	m.Release()
//
// echoes with no allocation once the pool is warm. Do not release a
// message given to Out, which the writer holds until it is sent: set its
// Recycle field instead.
func (m Message) Release() { putBytes(m.Data) }

// releaseIfRecycled ends the writer's hold on a message from Out, once
// the message is written or discarded.
func (m Message) releaseIfRecycled() {
	if m.Recycle {
		m.Release()
	}
}

// String returns the payload as a string.
func (m Message) String() string { return string(m.Data) }
