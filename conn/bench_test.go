package conn

import (
	"context"
	"fmt"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// benchPair is a loopback pair whose server echoes every message.
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
			if s.Send(ctx, m.Data, m.Opcode) != nil {
				return
			}
		}
	}()
	return p
}

// BenchmarkRoundTrip measures one message out and its echo back, one in
// flight: the latency of the three-actor pipeline on both ends.
func BenchmarkRoundTrip(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			c := benchPair(b)
			msg := make([]byte, size)
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Receive(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPipelined keeps 64 messages in flight: the writer's batching
// and the reader's buffering at work.
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
				if _, err := c.Receive(ctx); err != nil {
					b.Fatal(err)
				}
				received++
			}
			for received < sent {
				c.Receive(ctx)
				received++
			}
		})
	}
}

// BenchmarkSend measures queueing one message in the writer's mailbox.
// Sending allocates nothing.
func BenchmarkSend(b *testing.B) {
	c := benchPair(b)
	msg := make([]byte, 16)
	ctx := context.Background()
	drain := make(chan struct{})
	go func() {
		defer close(drain)
		for range c.In() {
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Send(ctx, msg, frames.OpBinary); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Close(0, "")
	<-drain
}
