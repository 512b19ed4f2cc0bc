package conn

import (
	"context"
	"fmt"
	"testing"

	"github.com/wsactor/wsactor/frames"
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
