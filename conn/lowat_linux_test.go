package conn

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
)

// rcvLowat returns the receive low-water mark of nc's socket.
func rcvLowat(t *testing.T, nc net.Conn) int {
	t.Helper()
	rc, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVLOWAT)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		t.Fatal(serr)
	}
	return n
}

// awaitLowat waits (at most 5 s) until nc's receive low-water mark is want.
func awaitLowat(t *testing.T, nc net.Conn, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for got := rcvLowat(t, nc); got != want; got = rcvLowat(t, nc) {
		if time.Now().After(deadline) {
			t.Fatalf("SO_RCVLOWAT is %d, want %d", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestReadOwedWaitsForAllItIsOwed(t *testing.T) {
	a, b := tcpPair(t)
	in := newInbuf(b, nil, 4096)
	payload := patterned(3 << 20)
	type result struct {
		n   int
		err error
	}
	read := func(p []byte) chan result {
		done := make(chan result, 1)
		go func() {
			n, err := in.readOwed(p)
			done <- result{n, err}
		}()
		return done
	}

	// The first 100 KiB arrive, then the reader waits for the rest: for
	// lowatMax bytes of it, since that is less.
	got := make([]byte, len(payload))
	if _, err := a.Write(payload[:100<<10]); err != nil {
		t.Fatal(err)
	}
	off := 0
	for off < 100<<10 {
		r := <-read(got[off:])
		if r.err != nil {
			t.Fatal(r.err)
		}
		off += r.n
	}
	done := read(got[off:])
	awaitLowat(t, b, lowatMax)
	select {
	case r := <-done:
		t.Fatalf("read returned %d bytes (%v) with none sent", r.n, r.err)
	case <-time.After(20 * time.Millisecond):
	}
	// Less than the mark arrives: the reader sleeps on.
	if _, err := a.Write(payload[off : off+lowatMax/2]); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("read woke for %d bytes, short of the mark", r.n)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := a.Write(payload[off+lowatMax/2:]); err != nil {
		t.Fatal(err)
	}
	for {
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		off += r.n
		if off == len(payload) {
			break
		}
		done = read(got[off:])
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("payload corrupted")
	}

	// A short owed read and an ordinary read wait for the first byte.
	for _, owed := range []bool{true, false} {
		p := make([]byte, 8<<10)
		done := make(chan error, 1)
		go func() {
			_, err := in.read(p, owed)
			done <- err
		}()
		awaitLowat(t, b, 1)
		if _, err := a.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// A client reading a large message waits for it in large pieces, then
// waits for the next frame's first byte: a small message right behind a
// large one is not held back by the mark the large one set.
func TestReaderSetsTheLowWaterMarkBackAfterALargeMessage(t *testing.T) {
	server := make(chan net.Conn, 1)
	release := make(chan struct{})
	url := rawServer(t, nil, func(nc net.Conn, _ *bufio.Reader) {
		server <- nc
		<-release
	})
	var client net.Conn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		client = nc
		return nc, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, WithDialer(dial), WithReadLimit(4<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(release) // the server hangs up, so Close returns at once
		c.Close(frames.CloseNormal, "")
	}()
	nc := <-server

	large := patterned(2 << 20)
	wire := serverFrame(frames.OpBinary, string(large))
	half := len(wire) / 2
	if _, err := nc.Write(wire[:half]); err != nil {
		t.Fatal(err)
	}
	awaitLowat(t, client, lowatMax)
	if _, err := nc.Write(append(wire[half:], serverFrame(frames.OpText, "next")...)); err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{large, []byte("next")} {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Data, want) {
			t.Fatalf("got a message of %d bytes, want %d", len(m.Data), len(want))
		}
		m.Release()
	}
	awaitLowat(t, client, 1)
	if _, err := nc.Write(serverFrame(frames.OpText, "last")); err != nil {
		t.Fatal(err)
	}
	m, err := c.Receive(ctx)
	if err != nil || string(m.Data) != "last" {
		t.Fatalf("got %q, %v; want \"last\"", m.Data, err)
	}
}
