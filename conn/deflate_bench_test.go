package conn

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/wsactor/wsactor/frames"
)

// compressionModes are the configurations the compression benchmarks
// compare: none, permessage-deflate without and with context takeover.
var compressionModes = []struct {
	name string
	opts []Option
}{
	{"off", nil},
	{"deflate", []Option{WithCompression(CompressionOptions{})}},
	{"deflate+takeover", []Option{WithCompression(CompressionOptions{ContextTakeover: true})}},
}

// benchPayload is what a compression benchmark sends, in turn.
type benchPayload struct {
	name string
	op   frames.Opcode
	msgs [][]byte
	size int // the bytes of all msgs
}

// benchPayloads are 64 distinct JSON texts of about 1.3 KiB, compressible
// but not identical, and 64 messages of 1 KiB of random bytes.
func benchPayloads() []benchPayload {
	r := rand.New(rand.NewPCG(3, 4))
	json := benchPayload{name: "json", op: frames.OpText}
	random := benchPayload{name: "random", op: frames.OpBinary}
	for _, s := range jsonMessages(64) {
		json.msgs = append(json.msgs, []byte(s))
		json.size += len(s)
		b := make([]byte, 1024)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		random.msgs = append(random.msgs, b)
		random.size += len(b)
	}
	return []benchPayload{json, random}
}

// BenchmarkCompressedRoundTrip measures one message out and its echo back
// with each compression mode, and reports the bytes the client read off
// the wire per echo ("wire-B/msg") beside the payload's size.
func BenchmarkCompressedRoundTrip(b *testing.B) {
	for _, pl := range benchPayloads() {
		for _, mode := range compressionModes {
			b.Run(pl.name+"/"+mode.name, func(b *testing.B) {
				var cc *countingConn
				c := benchEchoPair(b, mode.opts, append([]Option{dialCounting(&cc, nil)}, mode.opts...))
				ctx := context.Background()
				b.SetBytes(int64(pl.size / len(pl.msgs)))
				b.ReportAllocs()
				start := cc.read.Load()
				i := 0
				for b.Loop() {
					i++
					if err := c.Send(ctx, pl.msgs[i%len(pl.msgs)], pl.op); err != nil {
						b.Fatal(err)
					}
					if _, err := c.Receive(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cc.read.Load()-start)/float64(b.N), "wire-B/msg")
			})
		}
	}
}

// BenchmarkCompressionMemory reports the heap a connected pair (client and
// server) holds once both have sent and received a few compressed
// messages, with each compression mode: the figure behind the memory
// stated on CompressionOptions.ContextTakeover. One iteration opens 20
// pairs.
func BenchmarkCompressionMemory(b *testing.B) {
	const pairs = 20
	msgs := jsonMessages(4)
	for _, mode := range compressionModes {
		b.Run(mode.name, func(b *testing.B) {
			var perPair float64
			for b.Loop() {
				b.StopTimer()
				before := heapInUse()
				b.StartTimer()
				var clients []*Conn
				for range pairs {
					c := benchEchoPair(b, mode.opts, mode.opts)
					for _, m := range msgs {
						if err := c.SendText(context.Background(), m); err != nil {
							b.Fatal(err)
						}
						if _, err := c.Receive(context.Background()); err != nil {
							b.Fatal(err)
						}
					}
					clients = append(clients, c)
				}
				b.StopTimer()
				perPair = float64(heapInUse()-before) / pairs
				for _, c := range clients {
					c.Close(0, "")
				}
				b.StartTimer()
			}
			b.ReportMetric(perPair, "heap-B/pair")
		})
	}
}

// heapInUse returns the bytes in use on the heap after a full collection.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// benchEchoPair dials a server, both with their options, whose end echoes
// every message; it returns the client.
func benchEchoPair(b *testing.B, serverOpts, clientOpts []Option) *Conn {
	b.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := Upgrade(w, r, AcceptOptions{}, serverOpts...)
		if err != nil {
			return
		}
		go func() {
			ctx := context.Background()
			for {
				m, err := s.Receive(ctx)
				if err != nil || s.Send(ctx, m.Data, m.Opcode) != nil {
					return
				}
			}
		}()
	}))
	c, err := Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http"), clientOpts...)
	if err != nil {
		b.Fatal(fmt.Errorf("dial: %w", err))
	}
	b.Cleanup(func() {
		c.Close(0, "")
		ts.Close()
	})
	return c
}
