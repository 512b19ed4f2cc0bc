package frames_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/wsactor/wsactor/frames"
)

func ExampleAppendFrame() {
	// A client's text frame must be masked; the key here is the one of
	// RFC 6455 section 5.7 so that the bytes can be checked against it.
	f := frames.Frame{
		Fin:     true,
		Opcode:  frames.OpText,
		Masked:  true,
		Key:     [4]byte{0x37, 0xfa, 0x21, 0x3d},
		Payload: []byte("Hello"),
	}
	wire, err := frames.AppendFrame(nil, f)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", wire)

	// Control frames may not be fragmented.
	_, err = frames.AppendFrame(nil, frames.Frame{Opcode: frames.OpPing})
	fmt.Println(errors.Is(err, frames.ErrFragmentedControl))
	// Output:
	// 81 85 37 fa 21 3d 7f 9f 4d 51 58
	// true
}

func ExampleReadFrame() {
	wire := []byte{
		0x01, 0x03, 'H', 'e', 'l', // a text message's first fragment
		0x89, 0x00, // a ping between the fragments
		0x80, 0x02, 'l', 'o', // the last fragment
	}
	r := bufio.NewReader(bytes.NewReader(wire))
	for {
		f, err := frames.ReadFrame(r, 1<<20)
		if err != nil {
			fmt.Println(err) // io.EOF at the end of the stream
			return
		}
		if err := f.Header().Validate(); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s fin=%v %q\n", f.Opcode, f.Fin, f.Payload)
	}
	// Output:
	// text fin=false "Hel"
	// ping fin=true ""
	// continuation fin=true "lo"
	// EOF
}

func ExampleParseClose() {
	payload, err := frames.AppendClose(nil, frames.CloseGoingAway, "server restarting")
	if err != nil {
		fmt.Println(err)
		return
	}
	code, reason, err := frames.ParseClose(payload)
	fmt.Println(code, uint16(code), reason, err)

	// A close frame with no payload carries no status code.
	code, _, _ = frames.ParseClose(nil)
	fmt.Println(code, uint16(code))

	// 1006 describes a dropped connection and is never sent.
	_, _, err = frames.ParseClose([]byte{0x03, 0xee})
	fmt.Println(err)
	// Output:
	// going away 1001 server restarting <nil>
	// no status received 1005
	// frames: invalid close code: 1006
}

func ExampleWriteFrame() {
	var out strings.Builder
	w := bufio.NewWriter(&out)
	// Several frames, one flush: one write to the network.
	for _, msg := range []string{"one", "two"} {
		if err := frames.WriteFrame(w, frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte(msg)}); err != nil {
			fmt.Println(err)
			return
		}
	}
	if err := w.Flush(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("% x\n", out.String())
	// Output:
	// 81 03 6f 6e 65 81 03 74 77 6f
}

func ExampleUTF8Validator() {
	// The euro sign, E2 82 AC, split across two fragments of a message.
	var v frames.UTF8Validator
	fmt.Println(v.Write([]byte("price: \xe2\x82")), v.Complete())
	fmt.Println(v.Write([]byte("\xac")), v.Complete())

	// A surrogate half is refused at its second byte, before the rest
	// of the fragment arrives.
	v.Reset()
	fmt.Println(v.Write([]byte("\xed\xa0")))
	// Output:
	// true false
	// true true
	// false
}

func ExampleMask() {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	payload := []byte("Hello")
	// Mask in two pieces: the offset carries the key position over.
	pos := frames.Mask(key, 0, payload[:2])
	frames.Mask(key, pos, payload[2:])
	fmt.Printf("% x\n", payload)
	// Output:
	// 7f 9f 4d 51 58
}
