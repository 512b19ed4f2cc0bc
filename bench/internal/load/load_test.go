package load

import (
	"cmp"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/bench/internal/libs"
)

func serve(t *testing.T, name string, hub bool) (libs.Server, string) {
	t.Helper()
	s, err := libs.NewServer(name, hub)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Serve(l)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return s, l.Addr().String()
}

func short(conns, window, size int) Load {
	return Load{Conns: conns, Window: window, Size: size, Warmup: 20 * time.Millisecond, Duration: 100 * time.Millisecond}
}

func TestRunMeasuresEveryShapeAgainstWebSocketAndRawServers(t *testing.T) {
	shapes := []struct {
		name string
		load Load
	}{
		{"ping-pong", short(1, 1, 16)},
		{"pipelined", short(4, 64, 1024)},
		{"large", Load{Conns: 1, Window: 1, Size: 1 << 20, Duration: 200 * time.Millisecond, MinMessages: 3}},
	}
	for _, server := range []string{"gorilla", "raw"} {
		_, addr := serve(t, server, false)
		for _, shape := range shapes {
			t.Run(server+"/"+shape.name, func(t *testing.T) {
				res, err := Run(context.Background(), Target{Addr: addr, WS: server != "raw"}, shape.load)
				if err != nil {
					t.Fatal(err)
				}
				if res.Messages < int64(max(1, shape.load.MinMessages)) || res.Rate <= 0 {
					t.Fatalf("measured %d messages at %.0f/s", res.Messages, res.Rate)
				}
				if shape.load.Window == 1 && len(res.Latencies) != int(res.Messages) {
					t.Fatalf("%d latencies for %d round trips", len(res.Latencies), res.Messages)
				}
			})
		}
	}
}

func TestRunClientMeasuresALibraryClient(t *testing.T) {
	_, addr := serve(t, "minimal", false)
	for _, load := range []Load{short(1, 1, 16), short(2, 64, 16)} {
		res, err := RunClient(context.Background(), "gorilla", addr, load)
		if err != nil {
			t.Fatal(err)
		}
		if res.Messages == 0 || res.Rate <= 0 {
			t.Fatalf("measured %d messages at %.0f/s", res.Messages, res.Rate)
		}
	}
}

func TestRunFailsWithErrStuckWhenTheServerStopsAnswering(t *testing.T) {
	defer func(g time.Duration) { grace = g }(grace)
	grace = 50 * time.Millisecond
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept()
		if err == nil {
			accepted <- nc
		}
	}()
	// A raw "server" that reads everything and answers nothing.
	go func() {
		nc := <-accepted
		defer nc.Close()
		io.Copy(io.Discard, nc)
	}()
	_, err = Run(context.Background(), Target{Addr: l.Addr().String()}, short(1, 1, 16))
	if !errors.Is(err, ErrStuck) {
		t.Fatalf("Run = %v, want ErrStuck", err)
	}
}

func TestPoolBroadcastTimesTheLastArrival(t *testing.T) {
	for _, server := range []string{"wsactor", "raw"} {
		t.Run(server, func(t *testing.T) {
			s, addr := serve(t, server, true)
			target := Target{Addr: addr, WS: server != "raw"}
			p, err := Open(context.Background(), target, 50, 8)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if p.Len() != 50 {
				t.Fatalf("pool holds %d connections", p.Len())
			}
			for range 2 {
				d, err := p.Broadcast(context.Background(), 1024, func() error {
					if n := s.Broadcast(make([]byte, 1024)); n != 50 {
						t.Errorf("server broadcast to %d connections", n)
					}
					return nil
				})
				if err != nil || d <= 0 {
					t.Fatalf("Broadcast = %v, %v", d, err)
				}
			}
		})
	}
}

func TestPoolBroadcastReportsATriggerThatFails(t *testing.T) {
	_, addr := serve(t, "raw", true)
	p, err := Open(context.Background(), Target{Addr: addr}, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	boom := errors.New("boom")
	if _, err := p.Broadcast(context.Background(), 8, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Broadcast = %v, want the trigger's error", err)
	}
}

func TestPercentilePicksFromTheSortedLatencies(t *testing.T) {
	r := Result{Latencies: []time.Duration{5, 1, 4, 2, 3}}
	if r.Percentile(0) != 1 || r.Percentile(0.5) != 3 || r.Percentile(1) != 5 {
		t.Fatalf("percentiles %v %v %v", r.Percentile(0), r.Percentile(0.5), r.Percentile(1))
	}
	if (Result{}).Percentile(0.5) != 0 {
		t.Fatal("percentile of nothing is not 0")
	}
}

func TestRunInterleavedMeasuresEveryTargetInTheSameWindow(t *testing.T) {
	var targets []Target
	for _, server := range []string{"wsactor", "gorilla", "raw"} {
		_, addr := serve(t, server, false)
		targets = append(targets, Target{Addr: addr, WS: server != "raw"})
	}
	res, err := RunInterleaved(context.Background(), targets, short(1, 1, 16))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(targets) {
		t.Fatalf("%d results for %d targets", len(res), len(targets))
	}
	checkTurns(t, res)
	for i, r := range res {
		if len(r.Latencies) != int(r.Messages) {
			t.Fatalf("target %d: %d messages, %d latencies", i, r.Messages, len(r.Latencies))
		}
	}
}

// A 16 MiB round trip takes longer than a turn's slice: each turn still
// counts one, and a raw echo, which answers before the message is all
// written, does not deadlock the generator.
func TestRunInterleavedCountsRoundTripsLongerThanATurn(t *testing.T) {
	var targets []Target
	for _, server := range []string{"wsactor", "gobwas", "raw"} {
		_, addr := serve(t, server, false)
		targets = append(targets, Target{Addr: addr, WS: server != "raw"})
	}
	l := Load{Conns: 1, Window: 1, Size: 16 << 20, Duration: 200 * time.Millisecond, MinMessages: 2}
	res, err := RunInterleaved(context.Background(), targets, l)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Messages < int64(l.MinMessages) || len(r.Latencies) != int(r.Messages) {
			t.Errorf("target %d: %d round trips, %d latencies; want %d at least", i, r.Messages, len(r.Latencies), l.MinMessages)
		}
	}
}

// slowEcho starts a raw TCP echo server that waits delay before it
// answers each read, and returns its address.
func slowEcho(t *testing.T, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer nc.Close()
				buf := make([]byte, 64<<10)
				for {
					n, err := nc.Read(buf)
					if err != nil {
						return
					}
					time.Sleep(delay)
					if _, err := nc.Write(buf[:n]); err != nil {
						return
					}
				}
			})
		}
	})
	return l.Addr().String()
}

// slowTurns is a load whose window (10 ms, no warm-up) ends long before a
// turn on a slowEcho of 40 ms can count a round trip (its second, at 80
// ms at the earliest).
var slowTurns = Load{Conns: 1, Window: 1, Size: 16, Duration: 10 * time.Millisecond}

func TestRunInterleavedWaitsForEveryTargetsTurn(t *testing.T) {
	_, fast := serve(t, "raw", false)
	targets := []Target{{Addr: fast}, {Addr: slowEcho(t, 40*time.Millisecond)}}
	res, err := RunInterleaved(context.Background(), targets, slowTurns)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Messages == 0 {
			t.Errorf("target %d: no round trip measured", i)
		}
	}
}

func TestRunClientsInterleavedWaitsForEveryClientsTurn(t *testing.T) {
	_, fast := serve(t, "raw", false)
	ctx := context.Background()
	var clients []Participant
	for _, addr := range []string{fast, slowEcho(t, 40*time.Millisecond)} {
		c, err := DialRaw(ctx, addr, slowTurns.Size)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	res, err := RunClientsInterleaved(ctx, clients, slowTurns)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Messages == 0 {
			t.Errorf("client %d: no round trip measured", i)
		}
	}
}

func TestRoundsChangeWhichTargetFollowsWhich(t *testing.T) {
	const n = 4
	r := newRounds(n)
	follows := map[[2]int]bool{}
	for range 500 {
		order := r.next()
		seen := make([]bool, n)
		for k, i := range order {
			if seen[i] {
				t.Fatalf("round %v takes target %d twice", order, i)
			}
			seen[i] = true
			if k > 0 {
				follows[[2]int{order[k-1], i}] = true
			}
		}
	}
	if len(follows) != n*(n-1) {
		t.Fatalf("in 500 rounds only %d of the %d orderings of two targets occurred: %v", len(follows), n*(n-1), follows)
	}
}

func TestRunClientsInterleavedMeasuresEveryClientInTheSameWindow(t *testing.T) {
	_, ws := serve(t, "minimal", false)
	_, raw := serve(t, "raw", false)
	ctx := context.Background()
	var clients []Participant
	for _, lib := range []string{"wsactor", "gorilla", "gobwas"} {
		c, err := libs.Dial(ctx, lib, ws)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	rc, err := DialRaw(ctx, raw, 16)
	if err != nil {
		t.Fatal(err)
	}
	clients = append(clients, rc)
	res, err := RunClientsInterleaved(ctx, clients, short(1, 1, 16))
	if err != nil {
		t.Fatal(err)
	}
	checkTurns(t, res)
}

// checkTurns checks that every connection of an interleaved run was
// measured, and for about as long as the others: a 100 ms window holds
// about 20 turns of 5 ms, so no connection's round trips can be under a
// tenth of the busiest's unless the turns were not shared.
func checkTurns(t *testing.T, res []Result) {
	t.Helper()
	busiest := slices.MaxFunc(res, func(a, b Result) int { return cmp.Compare(a.Messages, b.Messages) }).Messages
	for i, r := range res {
		if r.Messages == 0 || r.Rate <= 0 || r.Messages < busiest/10 {
			t.Fatalf("connection %d: %d round trips at %.0f/s, the busiest %d: not taken in turns", i, r.Messages, r.Rate, busiest)
		}
	}
}
