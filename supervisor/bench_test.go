package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
)

// BenchmarkRestart measures one failure and immediate restart of a child
// under OneForOne (the exit, the policy decision and a new goroutine), alone
// and among 1000 idle siblings, to show that the cost does not grow with
// the number of children.
func BenchmarkRestart(b *testing.B) {
	for _, siblings := range []int{0, 1000} {
		b.Run("siblings="+strconv.Itoa(siblings), func(b *testing.B) {
			benchmarkRestart(b, siblings)
		})
	}
}

func benchmarkRestart(b *testing.B, siblings int) {
	done := make(chan struct{})
	runs := 0
	n := b.N
	svc := Func(func(ctx context.Context) error {
		runs++ // runs are sequential: each starts after the previous exited
		if runs <= n {
			return errBoom
		}
		close(done)
		<-ctx.Done()
		return nil
	})
	specs := []Spec{{Name: "x", Service: svc}}
	for i := range siblings {
		specs = append(specs, Spec{Name: "idle" + strconv.Itoa(i), Service: blocker()})
	}
	s := New("bench", Options{
		MaxRestarts: -1,
		Backoff:     Backoff{Multiplier: 1}, // no delay
		Logger:      slog.New(slog.DiscardHandler),
	}, specs...)
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() { result <- s.Serve(ctx) }()
	<-done
	b.StopTimer()
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
}

// BenchmarkAddRemove measures adding a child to a running supervisor,
// waiting for it to start, and removing it again.
func BenchmarkAddRemove(b *testing.B) {
	started := make(chan struct{})
	s := New("bench", Options{Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- s.Serve(ctx) }()
	svc := Func(func(ctx context.Context) error {
		started <- struct{}{}
		<-ctx.Done()
		return nil
	})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		name := strconv.Itoa(i)
		i++
		if err := s.Add(Spec{Name: name, Service: svc, Restart: Temporary}); err != nil {
			b.Fatal(err)
		}
		<-started
		if err := s.Remove(ctx, name); err != nil {
			b.Fatal(err)
		}
	}
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		b.Fatal(err)
	}
}
