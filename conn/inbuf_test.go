package conn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	a, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b = <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// pipePair returns both ends of a net.Pipe, which is read through its Read
// method rather than its descriptor.
func pipePair(t *testing.T) (a, b net.Conn) {
	a, b = net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// testFrames encodes masked frames of many sizes (every header length).
func testFrames(t *testing.T) ([]frames.Frame, []byte) {
	var fs []frames.Frame
	var wire []byte
	for i, n := range []int{0, 1, 125, 126, 1000, 65535, 65536, 200000} {
		f := frames.Frame{Fin: i%2 == 0, Opcode: frames.OpBinary, Masked: true, Key: [4]byte{1, 2, 3, byte(i)}, Payload: patterned(n)}
		b, err := frames.AppendFrame(nil, f)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
		wire = append(wire, b...)
	}
	return fs, wire
}

// readFrames reads len(want) frames from b as the reader does: a header,
// then the payload in reads of at most chunk bytes.
func readFrames(t *testing.T, b *inbuf, want []frames.Frame, chunk int) {
	t.Helper()
	for i, f := range want {
		h, err := b.readHeader()
		if err != nil {
			t.Fatalf("frame %d: readHeader: %v", i, err)
		}
		if h != f.Header() {
			t.Fatalf("frame %d: header %+v, want %+v", i, h, f.Header())
		}
		got := make([]byte, 0, h.Length)
		for int64(len(got)) < h.Length {
			p := got[len(got):min(cap(got), len(got)+chunk)]
			n, err := b.Read(p)
			if err != nil {
				t.Fatalf("frame %d: Read: %v", i, err)
			}
			got = got[:len(got)+n]
		}
		frames.Mask(h.Key, 0, got)
		if !bytes.Equal(got, f.Payload) {
			t.Fatalf("frame %d: payload differs", i)
		}
	}
}

func TestInbufReadsFramesWhateverTheReadsBring(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pair  func(*testing.T) (net.Conn, net.Conn)
		write int // the peer's write size
		chunk int // the size of the reader's payload reads
		size  int // the buffer's size
	}{
		{"tcp, byte by byte", tcpPair, 1, 1 << 20, 4096},
		{"tcp, odd writes", tcpPair, 1000, 777, 4096},
		{"tcp, one write", tcpPair, 1 << 30, 1 << 20, 64 << 10},
		{"tcp, tiny buffer", tcpPair, 333, 100, 16},
		{"pipe, odd writes", pipePair, 1000, 777, 4096},
		{"pipe, one write", pipePair, 1 << 30, 5000, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.pair(t)
			fs, wire := testFrames(t)
			go func() {
				for p := wire; len(p) > 0; {
					n := min(tc.write, len(p))
					if _, err := a.Write(p[:n]); err != nil {
						return
					}
					p = p[n:]
				}
			}()
			ib := newInbuf(b, nil, tc.size)
			defer ib.close()
			readFrames(t, ib, fs, tc.chunk)
		})
	}
}

func TestInbufReadsEarlyBytesFirst(t *testing.T) {
	a, b := tcpPair(t)
	fs, wire := testFrames(t)
	split := 70000 // inside a frame
	go a.Write(wire[split:])
	ib := newInbuf(b, wire[:split], 4096)
	defer ib.close()
	readFrames(t, ib, fs, 1<<20)
}

func TestInbufHoldsNoBufferWhenAllIsConsumed(t *testing.T) {
	for name, pair := range map[string]func(*testing.T) (net.Conn, net.Conn){"tcp": tcpPair, "pipe": pipePair} {
		t.Run(name, func(t *testing.T) {
			a, b := pair(t)
			fs, wire := testFrames(t)
			go a.Write(wire)
			ib := newInbuf(b, nil, 4096)
			defer ib.close()
			readFrames(t, ib, fs, 1000)
			if ib.buf != nil {
				t.Fatalf("the buffer is held with %d bytes unread", ib.w-ib.r)
			}
			// Waiting for the next frame, and giving up on a deadline,
			// leaves no buffer either.
			b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
			if _, err := ib.readHeader(); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("readHeader with nothing to read = %v, want a deadline error", err)
			}
			if ib.buf != nil {
				t.Fatal("the buffer is held after a read that found nothing")
			}
		})
	}
}

func TestInbufReportsTheEndOfTheStream(t *testing.T) {
	for _, tc := range []struct {
		name string
		sent []byte
		want error
	}{
		{"before a header", nil, io.EOF},
		{"inside a header", []byte{0x82, 0xfe, 0x01}, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tcpPair(t)
			a.Write(tc.sent)
			a.Close()
			ib := newInbuf(b, nil, 4096)
			defer ib.close()
			if _, err := ib.readHeader(); err != tc.want {
				t.Fatalf("readHeader = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestInbufRejectsLengthWithTopBitSet(t *testing.T) {
	a, b := tcpPair(t)
	a.Write([]byte{0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0})
	ib := newInbuf(b, nil, 4096)
	defer ib.close()
	if _, err := ib.readHeader(); !errors.Is(err, frames.ErrLengthOverflow) {
		t.Fatalf("readHeader = %v, want ErrLengthOverflow", err)
	}
}

// readSizes is a source that records how much each Read asked for.
type readSizes struct {
	src   io.Reader
	sizes []int
}

func (r *readSizes) Read(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.src.Read(p)
}

func TestInbufReadsLittleAfterAPayloadReadStraightIntoAMessage(t *testing.T) {
	const size = 64 << 10
	payload := patterned(3 * size)
	var wire []byte
	for range 2 {
		b, err := frames.AppendFrame(nil, frames.Frame{Fin: true, Opcode: frames.OpBinary, Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, b...)
	}
	src := &readSizes{src: bytes.NewReader(wire)}
	b := &inbuf{src: src, size: size}
	for i := range 2 {
		h, err := b.readHeader()
		if err != nil || h.Length != int64(len(payload)) {
			t.Fatalf("frame %d: header %+v, %v", i, h, err)
		}
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(b, got); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("frame %d: payload differs (%v)", i, err)
		}
	}
	// Reads: the first header with a full buffer, then straight into the
	// message, then the second header: at most afterDirect bytes, which
	// is all that is copied into the second message.
	direct := slices.IndexFunc(src.sizes, func(n int) bool { return n > size })
	if direct < 0 || direct+1 >= len(src.sizes) {
		t.Fatalf("reads asked for %v: none went straight into the message", src.sizes)
	}
	if next := src.sizes[direct+1]; next > afterDirect {
		t.Errorf("reads asked for %v: the one after the payload read straight into the message asked for %d bytes, want at most %d", src.sizes, next, afterDirect)
	}
	if src.sizes[0] != size {
		t.Errorf("the first read asked for %d bytes, want the whole buffer (%d)", src.sizes[0], size)
	}
}
