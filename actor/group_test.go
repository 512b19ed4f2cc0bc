package actor

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitCtx returns ctx's cause once ctx is done; the caller bounds it with the
// test's own deadline through the group it runs in.
func waitCtx(ctx context.Context) error {
	<-ctx.Done()
	return context.Cause(ctx)
}

func TestFirstErrorCancelsOthersAndWins(t *testing.T) {
	errFirst := errors.New("first")
	errLater := errors.New("later")
	var sawCause [2]error
	g := Start(context.Background(),
		func(ctx context.Context) error { return errFirst },
		func(ctx context.Context) error { sawCause[0] = waitCtx(ctx); return errLater },
		func(ctx context.Context) error { sawCause[1] = waitCtx(ctx); return ctx.Err() },
	)
	if err := g.Wait(); err != errFirst {
		t.Fatalf("Wait() = %v, want %v", err, errFirst)
	}
	for i, c := range sawCause {
		if c != errFirst {
			t.Errorf("fn %d saw cause %v, want %v", i+1, c, errFirst)
		}
	}
	if c := context.Cause(g.Context()); c != errFirst {
		t.Errorf("context.Cause(g.Context()) = %v, want %v", c, errFirst)
	}
}

func TestNilReturnDoesNotCancelOthers(t *testing.T) {
	release := make(chan struct{})
	var cancelledEarly atomic.Bool
	g := Start(context.Background(),
		func(ctx context.Context) error { return nil },
		func(ctx context.Context) error {
			select {
			case <-ctx.Done():
				cancelledEarly.Store(true)
			case <-release:
			}
			return nil
		},
	)
	// Give the first function ample opportunity to (wrongly) cancel.
	time.Sleep(20 * time.Millisecond)
	select {
	case <-g.Done():
		t.Fatal("Done closed while a function was still running")
	default:
	}
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v, want nil", err)
	}
	if cancelledEarly.Load() {
		t.Fatal("a nil return cancelled the other function")
	}
}

func TestAllNilLeavesErrNilAndCancelsContextAtEnd(t *testing.T) {
	g := Start(context.Background(),
		func(ctx context.Context) error { return nil },
		func(ctx context.Context) error { return nil },
	)
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v, want nil", err)
	}
	if g.Context().Err() == nil {
		t.Fatal("Context not cancelled after the last function returned")
	}
}

func TestCancel(t *testing.T) {
	errCause := errors.New("shutting down")
	errFn := errors.New("fn error")
	tests := []struct {
		name  string
		cause error
		want  error
	}{
		{"cause becomes the error", errCause, errCause},
		{"nil cause means context.Canceled", nil, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Start(context.Background(),
				func(ctx context.Context) error { <-ctx.Done(); return errFn },
				func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
			)
			g.Cancel(tt.cause)
			err := g.Wait()
			if err != tt.want {
				t.Fatalf("Wait() = %v, want %v", err, tt.want)
			}
			if c := context.Cause(g.Context()); c != err {
				t.Fatalf("context.Cause = %v, want the group's error %v", c, err)
			}
		})
	}
}

func TestCancelCauseWinsOverLaterErrors(t *testing.T) {
	errCause := errors.New("stop")
	g := Start(context.Background(),
		func(ctx context.Context) error { <-ctx.Done(); return errors.New("after cancel") },
	)
	g.Cancel(errCause)
	g.Cancel(errors.New("second cancel"))
	if err := g.Wait(); err != errCause {
		t.Fatalf("Wait() = %v, want %v", err, errCause)
	}
}

func TestCancelAfterDoneChangesNothing(t *testing.T) {
	g := Start(context.Background(), func(ctx context.Context) error { return nil })
	if err := g.Wait(); err != nil {
		t.Fatalf("Wait() = %v", err)
	}
	g.Cancel(errors.New("too late"))
	if err := g.Err(); err != nil {
		t.Fatalf("Err() after late Cancel = %v, want nil", err)
	}
}

func TestParentCancellationReachesFunctions(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	g := Start(parent, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	cancel()
	if err := g.Wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait() = %v, want context.Canceled", err)
	}
}

func TestPanicFailsGroupWithStack(t *testing.T) {
	g := Start(context.Background(),
		func(ctx context.Context) error { panic("boom") },
		func(ctx context.Context) error { <-ctx.Done(); return nil },
	)
	err := g.Wait()
	var pe *PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Wait() = %T %v, want *PanicError", err, err)
	}
	if pe.Value != "boom" {
		t.Errorf("Value = %v, want boom", pe.Value)
	}
	if len(pe.Stack) == 0 {
		t.Error("Stack is empty")
	}
}

func TestGoexitEndsFunctionWithError(t *testing.T) {
	g := Start(context.Background(),
		func(ctx context.Context) error { runtime.Goexit(); return nil },
		func(ctx context.Context) error { <-ctx.Done(); return nil },
	)
	if err := g.Wait(); err != errGoexit {
		t.Fatalf("Wait() = %v, want %v", err, errGoexit)
	}
}

func TestDoneClosesOnlyAfterAllReturned(t *testing.T) {
	const n = 5
	var returned atomic.Int32
	releases := make([]chan struct{}, n)
	fns := make([]func(context.Context) error, n)
	for i := range fns {
		releases[i] = make(chan struct{})
		fns[i] = func(ctx context.Context) error {
			<-releases[i]
			returned.Add(1)
			return errors.New("each fails")
		}
	}
	g := Start(context.Background(), fns...)
	for i := range n {
		close(releases[i])
		if i < n-1 {
			select {
			case <-g.Done():
				t.Fatalf("Done closed after %d of %d functions were released", i+1, n)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	<-g.Done()
	if got := returned.Load(); got != n {
		t.Fatalf("Done closed with %d of %d functions returned", got, n)
	}
}

func TestErrIsNilUntilDone(t *testing.T) {
	release := make(chan struct{})
	g := Start(context.Background(),
		func(ctx context.Context) error { return errors.New("fail") },
		func(ctx context.Context) error { <-release; return nil },
	)
	<-g.Context().Done() // the first function has failed
	if err := g.Err(); err != nil {
		t.Fatalf("Err() before Done = %v, want nil", err)
	}
	close(release)
	if err := g.Wait(); err == nil {
		t.Fatal("Wait() = nil, want the error")
	}
}

func TestStartWithNoFunctionsIsDone(t *testing.T) {
	g := Start(context.Background())
	select {
	case <-g.Done():
	default:
		t.Fatal("Done not closed for an empty group")
	}
	if err := g.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil", err)
	}
}

func TestStartRunsExactlyOneGoroutinePerFunction(t *testing.T) {
	goleak.VerifyNone(t) // let goroutines of earlier tests finish first
	for _, n := range []int{1, 3, 8} {
		before := runtime.NumGoroutine()
		started := make(chan struct{}, n)
		release := make(chan struct{})
		fns := make([]func(context.Context) error, n)
		for i := range fns {
			fns[i] = func(ctx context.Context) error {
				started <- struct{}{}
				<-release
				return nil
			}
		}
		g := Start(context.Background(), fns...)
		for range n {
			<-started
		}
		if got := runtime.NumGoroutine() - before; got != n {
			t.Errorf("Start with %d fns added %d goroutines", n, got)
		}
		close(release)
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		goleak.VerifyNone(t)
	}
}

func BenchmarkStartWait3(b *testing.B) {
	ctx := context.Background()
	fn := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := Start(ctx, fn, fn, fn).Wait(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartWait3FirstErrorCancels(b *testing.B) {
	ctx := context.Background()
	errFail := errors.New("fail")
	fail := func(context.Context) error { return errFail }
	block := func(ctx context.Context) error { <-ctx.Done(); return nil }
	b.ReportAllocs()
	for b.Loop() {
		if err := Start(ctx, fail, block, block).Wait(); err != errFail {
			b.Fatal(err)
		}
	}
}
