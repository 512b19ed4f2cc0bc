package libs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wsactor/wsactor/bench/internal/wire"
)

// startServer serves the named library on a loopback port until the test
// ends.
func startServer(t *testing.T, name string, hub bool) string {
	t.Helper()
	s, err := NewServer(name, hub)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve = %v after Close, want nil", err)
		}
	})
	return l.Addr().String()
}

// dialWire connects the benchmark's own client (raw TCP when ws is false).
func dialWire(t *testing.T, addr string, ws bool) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if ws {
		early, err := wire.ClientHandshake(nc, addr, "/")
		if err != nil {
			t.Fatal(err)
		}
		if len(early) > 0 {
			t.Fatalf("%d bytes before any message", len(early))
		}
	}
	return nc
}

// expectMessages reads n messages of size bytes from a WebSocket server
// (or n*frame bytes from a raw one).
func expectMessages(t *testing.T, nc net.Conn, ws bool, n, size, frame int) {
	t.Helper()
	if !ws {
		if _, err := io.CopyN(io.Discard, nc, int64(n*frame)); err != nil {
			t.Fatalf("reading %d raw bytes: %v", n*frame, err)
		}
		return
	}
	c := wire.NewCounter(size)
	buf := make([]byte, 64<<10)
	for got := 0; got < n; {
		m, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("after %d of %d messages: %v", got, n, err)
		}
		k, err := c.Feed(buf[:m])
		if err != nil {
			t.Fatal(err)
		}
		got += k
	}
}

func TestServersEchoSmallAndLargeMessages(t *testing.T) {
	for _, name := range append(ServerNames, "minimal") {
		t.Run(name, func(t *testing.T) {
			ws := name != "raw"
			nc := dialWire(t, startServer(t, name, false), ws)
			key := [4]byte{1, 2, 3, 4}
			for _, size := range []int{0, 16, 1 << 10, 1 << 20} {
				payload := bytes.Repeat([]byte{0x5A}, size)
				frame := wire.AppendFrame(nil, wire.OpBinary, payload, true, key)
				var batch []byte
				for range 10 {
					batch = append(batch, frame...)
				}
				go nc.Write(batch)
				expectMessages(t, nc, ws, 10, size, len(frame))
			}
		})
	}
}

func TestServersBroadcastToEveryConnectionInHubMode(t *testing.T) {
	for _, name := range ServerNames {
		t.Run(name, func(t *testing.T) {
			ws := name != "raw"
			s, err := NewServer(name, true)
			if err != nil {
				t.Fatal(err)
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go s.Serve(l)
			defer s.Close()
			const conns = 5
			ping := wire.AppendFrame(nil, wire.OpBinary, []byte("hi"), true, [4]byte{})
			var ncs []net.Conn
			for range conns {
				nc := dialWire(t, l.Addr().String(), ws)
				// One echo shows the server holds the connection.
				nc.Write(ping)
				expectMessages(t, nc, ws, 1, 2, len(ping))
				ncs = append(ncs, nc)
			}
			msg := bytes.Repeat([]byte{7}, 1024)
			if got := s.Broadcast(msg); got != conns {
				t.Fatalf("Broadcast reached %d connections, want %d", got, conns)
			}
			for _, nc := range ncs {
				expectMessages(t, nc, ws, 1, len(msg), len(msg))
			}
		})
	}
}

func TestClientsExchangeMessagesWithTheMinimalServer(t *testing.T) {
	for _, name := range ClientNames {
		t.Run(name, func(t *testing.T) {
			addr := startServer(t, "minimal", false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, name, addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sizes := []int{16, 1 << 10, 1 << 20, 16}
			for _, size := range sizes[:2] {
				if err := c.Send(make([]byte, size)); err != nil {
					t.Fatal(err)
				}
			}
			// Each reply sends the next size, from within the callback.
			var got []int
			err = c.Run(func(n int) bool {
				got = append(got, n)
				if i := len(got) + 1; i < len(sizes) {
					if err := c.Send(make([]byte, sizes[i])); err != nil {
						t.Error(err)
						return false
					}
				}
				return len(got) < len(sizes)
			})
			if err != nil {
				t.Fatalf("Run = %v", err)
			}
			for i := range sizes {
				if got[i] != sizes[i] {
					t.Fatalf("received sizes %v, want %v", got, sizes)
				}
			}
		})
	}
}

// The load generator stops receiving before it closes its clients, with
// up to a window of echoes still on their way: Close must not wait behind
// them for a close timeout. A wsactor Close that does returns the timeout
// as an error after seconds.
func TestClientsCloseWithEchoesUnread(t *testing.T) {
	for _, name := range ClientNames {
		t.Run(name, func(t *testing.T) {
			addr := startServer(t, "minimal", false)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := Dial(ctx, name, addr)
			if err != nil {
				t.Fatal(err)
			}
			for range 64 {
				if err := c.Send(make([]byte, 1<<10)); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(50 * time.Millisecond) // the echoes arrive, unread
			if err := c.Close(); err != nil {
				t.Fatalf("Close with echoes unread = %v", err)
			}
		})
	}
}

func TestUnknownLibrariesAreErrors(t *testing.T) {
	if _, err := NewServer("nope", false); !errors.Is(err, ErrUnknown) {
		t.Errorf("NewServer = %v, want ErrUnknown", err)
	}
	if _, err := Dial(context.Background(), "raw", "127.0.0.1:1"); !errors.Is(err, ErrUnknown) {
		t.Errorf("Dial = %v, want ErrUnknown", err)
	}
}

func TestReadAllReusesAndGrowsItsBuffer(t *testing.T) {
	buf := make([]byte, 0, 8)
	got, err := readAll(buf, bytes.NewReader([]byte("0123456789")))
	if err != nil || string(got) != "0123456789" {
		t.Fatalf("readAll = %q, %v", got, err)
	}
	small, _ := readAll(got, bytes.NewReader([]byte("ab")))
	if string(small) != "ab" || &small[0] != &got[0] {
		t.Fatalf("readAll did not reuse its buffer: %q", small)
	}
}
