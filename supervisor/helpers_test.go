package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitLimit bounds every wait in these tests; nothing should come near it.
const waitLimit = 5 * time.Second

var errBoom = errors.New("boom")

// recorder collects events in order.
type recorder struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

func newRecorder() *recorder { return &recorder{notify: make(chan struct{}, 1)} }

func (r *recorder) record(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitFor waits until cond holds for the events so far and returns them.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]Event) bool) []Event {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		evs := r.snapshot()
		if cond(evs) {
			return evs
		}
		select {
		case <-r.notify:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; events:\n%s", what, formatEvents(evs))
		}
	}
}

// count returns how many events match kind and child.
func count(evs []Event, kind EventKind, child string) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == kind && ev.Child == child {
			n++
		}
	}
	return n
}

// has returns a condition: at least n events of kind for child.
func has(kind EventKind, child string, n int) func([]Event) bool {
	return func(evs []Event) bool { return count(evs, kind, child) >= n }
}

func formatEvents(evs []Event) string {
	var s string
	for _, ev := range evs {
		s += "  " + ev.String() + "\n"
	}
	return s
}

// testOptions returns options for fast tests: quiet logging, millisecond
// backoff without jitter, events recorded by rec.
func testOptions(rec *recorder) Options {
	return Options{
		MaxRestarts: -1,
		Backoff:     Backoff{Min: time.Millisecond, Max: time.Millisecond, Multiplier: 1, ResetAfter: time.Hour},
		Logger:      slog.New(slog.DiscardHandler),
		OnEvent:     rec.record,
	}
}

// serving is a Serve call running in the background.
type serving struct {
	cancel context.CancelFunc
	result chan error
}

// serve runs s.Serve in a goroutine; the test's cleanup stops it.
func serve(t *testing.T, s *Supervisor) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	sv := &serving{cancel: cancel, result: make(chan error, 1)}
	go func() { sv.result <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-sv.result:
		case <-time.After(waitLimit):
			t.Error("Serve did not return after cancel")
		}
	})
	return sv
}

// stop cancels Serve and returns its error.
func (sv *serving) stop(t *testing.T) error {
	t.Helper()
	sv.cancel()
	return sv.wait(t)
}

// wait waits for Serve to return by itself and returns its error.
func (sv *serving) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-sv.result:
		sv.result <- err // for the cleanup
		return err
	case <-time.After(waitLimit):
		t.Fatal("Serve did not return")
		return nil
	}
}

// blocker is a service that runs until its context is cancelled.
func blocker() Service {
	return Func(func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
}

// script is a service whose n-th run (from 0) returns results[n] at once;
// runs beyond the script block until cancelled.
func script(results ...func() error) Service {
	var mu sync.Mutex
	run := 0
	return Func(func(ctx context.Context) error {
		mu.Lock()
		n := run
		run++
		mu.Unlock()
		if n < len(results) {
			return results[n]()
		}
		<-ctx.Done()
		return ctx.Err()
	})
}

func fail(err error) func() error { return func() error { return err } }

// stuck is a service that ignores cancellation until release is closed; it
// closes exited when it returns.
type stuck struct {
	release, exited chan struct{}
}

func newStuck() *stuck { return &stuck{release: make(chan struct{}), exited: make(chan struct{})} }

func (s *stuck) Serve(ctx context.Context) error {
	defer close(s.exited)
	<-s.release
	return nil
}

// finish lets the stuck service return and waits until it has.
func (s *stuck) finish(t *testing.T) {
	t.Helper()
	close(s.release)
	select {
	case <-s.exited:
	case <-time.After(waitLimit):
		t.Fatal("stuck service did not exit after release")
	}
}
