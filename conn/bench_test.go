package conn

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// benchPair is a loopback pair whose server echoes every message, and
// releases it once sent.
func benchPair(b *testing.B) *Conn {
	srv := make(chan *Conn, 1)
	p := newPairB(b, srv)
	go func() {
		s := <-srv
		ctx := context.Background()
		for {
			m, err := s.Receive(ctx)
			if err != nil {
				return
			}
			err = s.Send(ctx, m.Data, m.Opcode)
			m.Release()
			if err != nil {
				return
			}
		}
	}()
	return p
}

// BenchmarkRoundTrip measures one message out and its echo back, one in
// flight: the latency of the three-actor pipeline on both ends. The echo
// releases what it receives; the client keeps the echoes (the allocation
// per op is the received message itself) or, in the release variants,
// releases them too (nothing is allocated).
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		for _, release := range []bool{false, true} {
			if release && size < 256 {
				continue // messages this small are allocated to size, not pooled
			}
			name := fmt.Sprintf("%dB", size)
			if release {
				name += "/release"
			}
			b.Run(name, func(b *testing.B) {
				c := benchPair(b)
				msg := make([]byte, size)
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
						b.Fatal(err)
					}
					m, err := c.Receive(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if release {
						m.Release()
					}
				}
			})
		}
	}
}

// BenchmarkPipelined keeps 64 messages in flight: the writer's batching
// and the reader's buffering at work. Both ends release what they receive.
func BenchmarkPipelined(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			c := benchPair(b)
			msg := make([]byte, size)
			ctx := context.Background()
			const window = 64
			b.SetBytes(int64(size))
			b.ReportAllocs()
			sent, received := 0, 0
			for b.Loop() {
				for sent-received < window {
					if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
						b.Fatal(err)
					}
					sent++
				}
				m, err := c.Receive(ctx)
				if err != nil {
					b.Fatal(err)
				}
				m.Release()
				received++
			}
			for received < sent {
				c.Receive(ctx)
				received++
			}
		})
	}
}

// BenchmarkSend measures queueing one message in the writer's mailbox and
// the writer's write, against a peer that only discards the bytes, so that
// allocs/op counts the sender's allocations alone: sending allocates
// nothing.
func BenchmarkSend(b *testing.B) {
	c := sinkPair(b)
	msg := make([]byte, 16)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSendAllocatesNothing pins what BenchmarkSend shows: once a
// connection is warm, a Send allocates nothing.
func TestSendAllocatesNothing(t *testing.T) {
	c := sinkPair(t)
	msg := make([]byte, 16)
	ctx := context.Background()
	send := func() {
		if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 {
		send() // warm the pools
	}
	if n := testing.AllocsPerRun(1000, send); n != 0 {
		t.Errorf("Send allocates %v times per message, want 0", n)
	}
}

// sinkPair is a client connected to a server that accepts the handshake
// and then discards every byte it receives, without decoding (or
// allocating) anything. The client is closed when b ends; the server never
// answers its close, so the close timeout is short.
func sinkPair(b testing.TB) *Conn {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		req, err := handshake.CheckRequest(r)
		if err != nil {
			return
		}
		if handshake.WriteResponse(nc, req.Key, "", nil, nil) != nil {
			return
		}
		io.Copy(io.Discard, br) // io.Discard reads into a pooled buffer
	}()
	c, err := Dial(context.Background(), "ws://"+ln.Addr().String()+"/", WithCloseTimeout(10*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Close(0, "")
		ln.Close()
		<-done
	})
	return c
}
