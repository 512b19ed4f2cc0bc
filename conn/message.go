package conn

import "github.com/wsactor/wsactor/frames"

// Message is a whole data message: its opcode (frames.OpText or
// frames.OpBinary) and its payload. A received Message's Data belongs to the
// receiver.
type Message struct {
	Opcode frames.Opcode
	Data   []byte
}

// TextMessage returns a text Message holding s.
func TextMessage(s string) Message { return Message{Opcode: frames.OpText, Data: []byte(s)} }

// BinaryMessage returns a binary Message holding b.
func BinaryMessage(b []byte) Message { return Message{Opcode: frames.OpBinary, Data: b} }

// String returns the payload as a string.
func (m Message) String() string { return string(m.Data) }
