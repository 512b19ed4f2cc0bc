package conn_test

import (
	"fmt"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// RFC 6455 section 5.2: a reserved bit that no negotiated extension defines
// fails the connection (1002), on any kind of frame. These connections
// negotiate no extension, so every RSV bit is reserved (see
// conformance_deflate_test.go for RSV1 with permessage-deflate). Each case first exchanges a
// valid message, so the bad frame comes on a connection in use.
func TestConformanceReservedBits(t *testing.T) {
	bits := []struct {
		name string
		set  func(*frames.Frame)
	}{
		{"RSV1", func(f *frames.Frame) { f.RSV1 = true }},
		{"RSV2", func(f *frames.Frame) { f.RSV2 = true }},
		{"RSV3", func(f *frames.Frame) { f.RSV3 = true }},
		{"all three RSV bits", func(f *frames.Frame) { f.RSV1, f.RSV2, f.RSV3 = true, true, true }},
	}
	kinds := []struct {
		name   string
		before func(x *exchange) // what opens the way for the frame
		frame  func(x *exchange) frames.Frame
	}{
		{"text", nil, func(x *exchange) frames.Frame { return x.frame(true, frames.OpText, []byte("reserved")) }},
		{"empty binary", nil, func(x *exchange) frames.Frame { return x.frame(true, frames.OpBinary, nil) }},
		{"ping", nil, func(x *exchange) frames.Frame { return x.frame(true, frames.OpPing, []byte("p")) }},
		{"close", nil, func(x *exchange) frames.Frame { return x.closeFrame(frames.CloseNormal, "") }},
		{
			"continuation",
			func(x *exchange) { x.send(x.frame(false, frames.OpText, []byte("first "))) },
			func(x *exchange) frames.Frame { return x.frame(true, frames.OpContinuation, []byte("last")) },
		},
	}
	var cases []confCase
	for _, bit := range bits {
		for _, kind := range kinds {
			cases = append(cases, confCase{
				name: fmt.Sprintf("%s on %s", bit.name, kind.name),
				run: func(x *exchange) {
					x.roundTrip("a valid message first")
					if kind.before != nil {
						kind.before(x)
					}
					f := kind.frame(x)
					bit.set(&f)
					x.send(f)
					x.fails(frames.CloseProtocolError)
				},
			})
		}
	}
	runTable(t, cases)
}

// RFC 6455 section 5.2: a reserved opcode, 3 to 7 for data and 11 to 15
// for control, that no negotiated extension defines fails the connection
// (1002): empty or with a payload, first on the connection, after a valid
// message, or between the fragments of one.
func TestConformanceReservedOpcodes(t *testing.T) {
	variants := []struct {
		name string
		run  func(x *exchange, op frames.Opcode)
	}{
		{"empty", func(x *exchange, op frames.Opcode) {
			x.send(x.frame(true, op, nil))
		}},
		{"with a payload", func(x *exchange, op frames.Opcode) {
			x.send(x.frame(true, op, []byte("reserved opcode")))
		}},
		{"with a payload after a valid message", func(x *exchange, op frames.Opcode) {
			x.roundTrip("a valid message first")
			x.send(x.frame(true, op, []byte("reserved opcode")))
		}},
		{"between the fragments of a message", func(x *exchange, op frames.Opcode) {
			x.send(x.frame(false, frames.OpText, []byte("first ")),
				x.frame(true, op, []byte("reserved opcode")),
				x.frame(true, frames.OpContinuation, []byte("last")))
		}},
	}
	var cases []confCase
	for _, op := range []frames.Opcode{3, 4, 5, 6, 7, 11, 12, 13, 14, 15} {
		for _, v := range variants {
			cases = append(cases, confCase{
				name: fmt.Sprintf("opcode %d %s", op, v.name),
				run: func(x *exchange) {
					v.run(x, op)
					x.fails(frames.CloseProtocolError)
				},
			})
		}
	}
	runTable(t, cases)
}
