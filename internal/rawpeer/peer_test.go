package rawpeer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// The examples of RFC 6455 section 5.7.
func TestEncodeMatchesRFC6455Examples(t *testing.T) {
	hello := []byte("Hello")
	cases := []struct {
		name string
		f    frames.Frame
		want []byte
	}{
		{"unmasked text", frames.Frame{Fin: true, Opcode: frames.OpText, Payload: hello},
			[]byte{0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}},
		{"masked text", frames.Frame{Fin: true, Opcode: frames.OpText, Masked: true, Key: [4]byte{0x37, 0xfa, 0x21, 0x3d}, Payload: hello},
			[]byte{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}},
		{"first fragment", frames.Frame{Opcode: frames.OpText, Payload: []byte("Hel")},
			[]byte{0x01, 0x03, 0x48, 0x65, 0x6c}},
		{"last fragment", frames.Frame{Fin: true, Payload: []byte("lo")},
			[]byte{0x80, 0x02, 0x6c, 0x6f}},
		{"unmasked ping", frames.Frame{Fin: true, Opcode: frames.OpPing, Payload: hello},
			[]byte{0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}},
		{"256 bytes binary", frames.Frame{Fin: true, Opcode: frames.OpBinary, Payload: make([]byte, 256)},
			append([]byte{0x82, 0x7E, 0x01, 0x00}, make([]byte, 256)...)},
		{"65536 bytes binary", frames.Frame{Fin: true, Opcode: frames.OpBinary, Payload: make([]byte, 65536)},
			append([]byte{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}, make([]byte, 65536)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Clone(tc.f.Payload)
			if got := Encode(tc.f); !bytes.Equal(got, tc.want) {
				t.Errorf("Encode = % x, want % x", got[:min(len(got), 16)], tc.want[:min(len(tc.want), 16)])
			}
			if !bytes.Equal(tc.f.Payload, payload) {
				t.Error("Encode modified the payload")
			}
		})
	}
}

// Encode writes what it is given, including what RFC 6455 forbids.
func TestEncodeKeepsInvalidFrames(t *testing.T) {
	cases := []struct {
		name string
		f    frames.Frame
		want []byte
	}{
		{"all reserved bits", frames.Frame{Fin: true, RSV1: true, RSV2: true, RSV3: true, Opcode: frames.OpText},
			[]byte{0xF1, 0x00}},
		{"reserved opcode 0xB", frames.Frame{Fin: true, Opcode: 0xB, Payload: []byte{1}},
			[]byte{0x8B, 0x01, 0x01}},
		{"fragmented ping", frames.Frame{Opcode: frames.OpPing},
			[]byte{0x09, 0x00}},
		{"126-byte ping", frames.Frame{Fin: true, Opcode: frames.OpPing, Payload: make([]byte, 126)},
			append([]byte{0x89, 0x7E, 0x00, 0x7E}, make([]byte, 126)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Encode(tc.f); !bytes.Equal(got, tc.want) {
				t.Errorf("Encode = % x, want % x", got, tc.want)
			}
		})
	}
}

func TestFrameMasksOnlyForClients(t *testing.T) {
	client, server := pair(t)
	if !client.IsClient() || server.IsClient() {
		t.Fatalf("IsClient: client %t, server %t", client.IsClient(), server.IsClient())
	}
	if f := client.Frame(true, frames.OpText, nil); !f.Masked {
		t.Error("a client's frame is not masked")
	}
	if f := server.Frame(true, frames.OpText, nil); f.Masked {
		t.Error("a server's frame is masked")
	}
	a, b := client.Frame(true, frames.OpText, nil), client.Frame(true, frames.OpText, nil)
	c := client.Frame(true, frames.OpText, nil)
	if a.Key == b.Key && b.Key == c.Key {
		t.Errorf("three frames share the masking key %x", a.Key)
	}
}

func TestHandshakeCarriesRequestAndResponse(t *testing.T) {
	client, server := pair(t)
	if got := server.Request.Header.Get("Sec-WebSocket-Key"); got == "" || got != client.Request.Header.Get("Sec-WebSocket-Key") {
		t.Errorf("server saw key %q, client sent %q", got, client.Request.Header.Get("Sec-WebSocket-Key"))
	}
	if client.Response == nil || client.Response.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("client's response: %v", client.Response)
	}
	if server.Response != nil {
		t.Errorf("server has a response: %v", server.Response)
	}
}

// Frames go both ways intact, each masked as its direction requires, in one
// write, chopped into single bytes, or many at once.
func TestFramesCrossBothWays(t *testing.T) {
	client, server := pair(t)
	payload := []byte("a payload long enough to show masking: 0123456789")
	for _, dir := range []struct {
		name     string
		from, to *Peer
	}{{"client to server", client, server}, {"server to client", server, client}} {
		for _, chunk := range []int{0, 1, 7} {
			t.Run(fmt.Sprintf("%s chunk %d", dir.name, chunk), func(t *testing.T) {
				sent := dir.from.Frame(true, frames.OpBinary, payload)
				if err := dir.from.WriteChopped(testCtx(t), Encode(sent), chunk); err != nil {
					t.Fatal(err)
				}
				got, err := dir.to.ReadFrame(testCtx(t))
				if err != nil {
					t.Fatal(err)
				}
				if got.Masked != dir.from.IsClient() || got.Opcode != frames.OpBinary || !got.Fin || !bytes.Equal(got.Payload, payload) {
					t.Errorf("got %+v", got)
				}
			})
		}
	}
	t.Run("three frames in one write", func(t *testing.T) {
		err := client.WriteFrames(testCtx(t),
			client.Frame(false, frames.OpText, []byte("ab")),
			client.Frame(true, frames.OpPing, []byte("p")),
			client.Frame(true, frames.OpContinuation, []byte("c")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []frames.Opcode{frames.OpText, frames.OpPing, frames.OpContinuation} {
			f, err := server.ReadFrame(testCtx(t))
			if err != nil || f.Opcode != want {
				t.Fatalf("got %s, %v; want %s", f.Opcode, err, want)
			}
		}
	})
}

func TestReadFrameRejectsWrongMasking(t *testing.T) {
	client, server := pair(t)
	unmasked := frames.Frame{Fin: true, Opcode: frames.OpText, Payload: []byte("x")}
	masked := unmasked
	masked.Masked, masked.Key = true, [4]byte{1, 2, 3, 4}
	if err := client.WriteFrames(testCtx(t), unmasked); err != nil {
		t.Fatal(err)
	}
	if _, err := server.ReadFrame(testCtx(t)); !errors.Is(err, ErrMasking) {
		t.Errorf("server reading an unmasked frame: %v, want ErrMasking", err)
	}
	if err := server.WriteFrames(testCtx(t), masked); err != nil {
		t.Fatal(err)
	}
	if _, err := client.ReadFrame(testCtx(t)); !errors.Is(err, ErrMasking) {
		t.Errorf("client reading a masked frame: %v, want ErrMasking", err)
	}
}

func TestReadMessageAssemblesFragments(t *testing.T) {
	client, server := pair(t)
	err := server.WriteFrames(testCtx(t),
		server.Frame(false, frames.OpText, []byte("Hel")),
		server.Frame(false, frames.OpContinuation, nil),
		server.Frame(true, frames.OpContinuation, []byte("lo")),
		server.Frame(true, frames.OpBinary, nil))
	if err != nil {
		t.Fatal(err)
	}
	op, data, err := client.ReadMessage(testCtx(t))
	if err != nil || op != frames.OpText || string(data) != "Hello" {
		t.Errorf("first message: %s %q, %v", op, data, err)
	}
	op, data, err = client.ReadMessage(testCtx(t))
	if err != nil || op != frames.OpBinary || data == nil || len(data) != 0 {
		t.Errorf("second message: %s %q (nil %t), %v", op, data, data == nil, err)
	}
}

func TestReadMessageRejectsOtherFrames(t *testing.T) {
	cases := []struct {
		name string
		fs   []frames.Frame
	}{
		{"pong", []frames.Frame{{Fin: true, Opcode: frames.OpPong}}},
		{"close", []frames.Frame{{Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xe8}}}},
		{"ping between fragments", []frames.Frame{{Opcode: frames.OpText}, {Fin: true, Opcode: frames.OpPing}}},
		{"continuation first", []frames.Frame{{Fin: true, Opcode: frames.OpContinuation}}},
		{"text inside a message", []frames.Frame{{Opcode: frames.OpText}, {Fin: true, Opcode: frames.OpText}}},
		{"reserved opcode", []frames.Frame{{Fin: true, Opcode: 3}}},
		{"reserved bit", []frames.Frame{{Fin: true, RSV2: true, Opcode: frames.OpBinary}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := pair(t)
			if err := server.WriteFrames(testCtx(t), tc.fs...); err != nil {
				t.Fatal(err)
			}
			if _, _, err := client.ReadMessage(testCtx(t)); !errors.Is(err, ErrUnexpectedFrame) {
				t.Errorf("ReadMessage: %v, want ErrUnexpectedFrame", err)
			}
		})
	}
}

func TestReadClose(t *testing.T) {
	cases := []struct {
		name       string
		f          frames.Frame
		wantCode   frames.CloseCode
		wantReason string
		wantErr    error
	}{
		{"code and reason", frames.Frame{Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xe9, 'b', 'y', 'e'}}, 1001, "bye", nil},
		{"empty", frames.Frame{Fin: true, Opcode: frames.OpClose}, frames.CloseNoStatus, "", nil},
		{"one byte", frames.Frame{Fin: true, Opcode: frames.OpClose, Payload: []byte{3}}, 0, "", frames.ErrInvalidClosePayload},
		{"invalid code", frames.Frame{Fin: true, Opcode: frames.OpClose, Payload: []byte{0x03, 0xed}}, 1005, "", frames.ErrInvalidCloseCode},
		{"text frame", frames.Frame{Fin: true, Opcode: frames.OpText}, 0, "", ErrUnexpectedFrame},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := pair(t)
			if err := server.WriteFrames(testCtx(t), tc.f); err != nil {
				t.Fatal(err)
			}
			code, reason, err := client.ReadClose(testCtx(t))
			if code != tc.wantCode || reason != tc.wantReason || !errors.Is(err, tc.wantErr) {
				t.Errorf("ReadClose = %d %q %v, want %d %q %v", code, reason, err, tc.wantCode, tc.wantReason, tc.wantErr)
			}
		})
	}
}

func TestExpectEOF(t *testing.T) {
	t.Run("after the other end closes", func(t *testing.T) {
		client, server := pair(t)
		server.Close()
		if err := client.ExpectEOF(testCtx(t)); err != nil {
			t.Errorf("ExpectEOF: %v", err)
		}
	})
	t.Run("a frame arrives first", func(t *testing.T) {
		client, server := pair(t)
		if err := server.WriteFrames(testCtx(t), server.Frame(true, frames.OpPing, nil)); err != nil {
			t.Fatal(err)
		}
		if err := client.ExpectEOF(testCtx(t)); !errors.Is(err, ErrUnexpectedFrame) {
			t.Errorf("ExpectEOF: %v, want ErrUnexpectedFrame", err)
		}
	})
	t.Run("the connection stays open", func(t *testing.T) {
		client, _ := pair(t)
		ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
		defer cancel()
		if err := client.ExpectEOF(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ExpectEOF: %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestExpectOpen(t *testing.T) {
	t.Run("quiet", func(t *testing.T) {
		client, _ := pair(t)
		start := time.Now()
		if err := client.ExpectOpen(testCtx(t), 50*time.Millisecond); err != nil {
			t.Errorf("ExpectOpen: %v", err)
		}
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("ExpectOpen returned after %v, before its 50ms", d)
		}
	})
	t.Run("closed", func(t *testing.T) {
		client, server := pair(t)
		server.Close()
		if err := client.ExpectOpen(testCtx(t), time.Second); !errors.Is(err, ErrClosedEarly) {
			t.Errorf("ExpectOpen: %v, want ErrClosedEarly", err)
		}
	})
	t.Run("bytes arrive and stay unread", func(t *testing.T) {
		client, server := pair(t)
		if err := server.WriteFrames(testCtx(t), server.Frame(true, frames.OpText, []byte("hi"))); err != nil {
			t.Fatal(err)
		}
		if err := client.ExpectOpen(testCtx(t), time.Second); !errors.Is(err, ErrUnexpectedFrame) {
			t.Errorf("ExpectOpen: %v, want ErrUnexpectedFrame", err)
		}
		if op, data, err := client.ReadMessage(testCtx(t)); err != nil || op != frames.OpText || string(data) != "hi" {
			t.Errorf("ReadMessage after ExpectOpen: %s %q %v", op, data, err)
		}
	})
	t.Run("context ends first", func(t *testing.T) {
		client, _ := pair(t)
		ctx, cancel := context.WithTimeout(testCtx(t), 20*time.Millisecond)
		defer cancel()
		if err := client.ExpectOpen(ctx, time.Second); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ExpectOpen: %v, want context.DeadlineExceeded", err)
		}
	})
}

func TestWriteFailsWhenContextEnds(t *testing.T) {
	client, _ := pair(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	if err := client.Write(ctx, []byte{0x81, 0x80, 0, 0, 0, 0}); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: %v, want context.Canceled", err)
	}
}
