package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestRestartPolicy(t *testing.T) {
	outcomes := []struct {
		name string
		run  func() error
	}{
		{"nil", fail(nil)},
		{"error", fail(errBoom)},
		{"panic", func() error { panic("kaboom") }},
		{"goexit", func() error { runtime.Goexit(); return nil }},
		{"ErrStop", fail(fmt.Errorf("done here: %w", ErrStop))},
	}
	// restarted[policy][outcome]
	restarted := map[Restart]map[string]bool{
		Permanent: {"nil": true, "error": true, "panic": true, "goexit": true, "ErrStop": false},
		Transient: {"nil": false, "error": true, "panic": true, "goexit": true, "ErrStop": false},
		Temporary: {"nil": false, "error": false, "panic": false, "goexit": false, "ErrStop": false},
	}
	for _, policy := range []Restart{Permanent, Transient, Temporary} {
		for _, out := range outcomes {
			t.Run(policy.String()+"/"+out.name, func(t *testing.T) {
				rec := newRecorder()
				s := New("sup", testOptions(rec), Spec{Name: "x", Service: script(out.run), Restart: policy})
				sv := serve(t, s)
				rec.waitFor(t, "first exit", has(ChildExited, "x", 1))
				// The decision is made before the exit event is emitted.
				kept := len(s.Children()) == 1
				want := restarted[policy][out.name]
				if kept != want {
					t.Fatalf("child kept = %v, want %v", kept, want)
				}
				if want {
					rec.waitFor(t, "restart", has(ChildStarted, "x", 2))
				}
				sv.stop(t)
				if !want && count(rec.snapshot(), ChildStarted, "x") != 1 {
					t.Fatal("child started again")
				}
			})
		}
	}
}

func TestChildrenSnapshotCountsRestarts(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec),
		Spec{Name: "steady", Service: blocker()},
		Spec{Name: "flaky", Service: script(fail(errBoom), fail(errBoom), fail(errBoom))},
	)
	if s.Name() != "sup" {
		t.Fatalf("Name() = %q", s.Name())
	}
	before := s.Children()
	if len(before) != 2 || before[0].State != StateStopped || before[1].Name != "flaky" {
		t.Fatalf("Children() before Serve = %+v", before)
	}
	sv := serve(t, s)
	rec.waitFor(t, "third restart", func(evs []Event) bool {
		for _, ev := range evs {
			if ev.Kind == ChildStarted && ev.Child == "flaky" && ev.Restarts == 3 {
				return true
			}
		}
		return false
	})
	got := s.Children()
	want := []ChildInfo{
		{Name: "steady", State: StateRunning, Restarts: 0},
		{Name: "flaky", State: StateRunning, Restarts: 3, LastErr: errBoom},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Children()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	sv.stop(t)
	for _, c := range s.Children() {
		if c.State != StateStopped || !errors.Is(c.LastErr, context.Canceled) {
			t.Errorf("after Serve: %+v, want stopped with context.Canceled", c)
		}
	}
}

func TestAddAndRemoveWhileRunning(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec))
	sv := serve(t, s)

	cancelled := make(chan error, 1)
	err := s.Add(Spec{Name: "a", Service: Func(func(ctx context.Context) error {
		<-ctx.Done()
		cancelled <- context.Cause(ctx)
		return nil
	})})
	if err != nil {
		t.Fatalf("Add() = %v", err)
	}
	rec.waitFor(t, "a started", has(ChildStarted, "a", 1))
	if err := s.Add(Spec{Name: "a", Service: blocker()}); !errors.Is(err, ErrDuplicateChild) {
		t.Fatalf("Add(duplicate) = %v, want ErrDuplicateChild", err)
	}
	if err := s.Add(Spec{Name: "", Service: blocker()}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Add(empty name) = %v, want ErrInvalid", err)
	}

	if err := s.Remove(context.Background(), "a"); err != nil {
		t.Fatalf("Remove() = %v", err)
	}
	if cause := <-cancelled; cause == nil {
		t.Fatal("removed child's context had no cause")
	}
	if n := len(s.Children()); n != 0 {
		t.Fatalf("%d children after Remove, want 0", n)
	}
	rec.waitFor(t, "a's exit reported", has(ChildExited, "a", 1))
	if err := s.Remove(context.Background(), "a"); !errors.Is(err, ErrUnknownChild) {
		t.Fatalf("second Remove() = %v, want ErrUnknownChild", err)
	}

	// The name is free again, and the supervisor keeps supervising.
	if err := s.Add(Spec{Name: "a", Service: script(fail(errBoom))}); err != nil {
		t.Fatalf("Add() again = %v", err)
	}
	rec.waitFor(t, "new a restarted", has(ChildStarted, "a", 3))
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v", err)
	}
}

func TestAddAndRemoveBeforeServe(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec), Spec{Name: "a", Service: blocker()})
	if err := s.Add(Spec{Name: "b", Service: blocker()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(Spec{Name: "c", Service: blocker()}); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	sv := serve(t, s)
	rec.waitFor(t, "c started", has(ChildStarted, "c", 1))
	sv.stop(t)
	equalTrace(t, rec.snapshot(), []string{
		"child started a", "child started c",
		"child exited c", "child exited a", "supervisor stopped",
	})
}

func TestRemoveReportsStuckChild(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec))
	sv := serve(t, s)
	st := newStuck()
	if err := s.Add(Spec{Name: "st", Service: st, ShutdownTimeout: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	rec.waitFor(t, "started", has(ChildStarted, "st", 1))

	err := s.Remove(context.Background(), "st")
	var se *StuckError
	if !errors.As(err, &se) || len(se.Children) != 1 || se.Children[0] != "st" {
		t.Fatalf("Remove() = %v, want a StuckError naming st", err)
	}
	rec.waitFor(t, "stuck event", has(ChildStuck, "st", 1))
	st.finish(t)
	rec.waitFor(t, "late exit", has(ChildExited, "st", 1))
	if err := sv.stop(t); !errors.Is(err, context.Canceled) || errors.As(err, &se) {
		t.Fatalf("Serve() = %v, want context.Canceled and no StuckError (the child has ended)", err)
	}
}

func TestRemoveGivesUpWhenContextEnds(t *testing.T) {
	rec := newRecorder()
	st := newStuck()
	s := New("sup", testOptions(rec), Spec{Name: "st", Service: st, ShutdownTimeout: time.Hour})
	sv := serve(t, s)
	rec.waitFor(t, "started", has(ChildStarted, "st", 1))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := s.Remove(ctx, "st"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Remove() = %v, want context.DeadlineExceeded", err)
	}
	// The child is still running: shutdown reports it.
	err := sv.stop(t)
	var se *StuckError
	if !errors.As(err, &se) || se.Children[0] != "st" {
		t.Fatalf("Serve() = %v, want a StuckError naming st", err)
	}
	st.finish(t)
}
