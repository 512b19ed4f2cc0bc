package supervisor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsactor/wsactor/actor"
)

// trace renders events as "kind child" lines for comparison.
func trace(evs []Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = strings.TrimSpace(ev.Kind.String() + " " + ev.Child)
	}
	return out
}

func equalTrace(t *testing.T, got []Event, want []string) {
	t.Helper()
	g := trace(got)
	if strings.Join(g, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n  %s\nwant:\n  %s", strings.Join(g, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestStrategyRestartsTheRightSiblingsInOrder(t *testing.T) {
	initial := []string{"child started a", "child started b", "child started c", "child exited b"}
	shutdown := []string{"child exited c", "child exited b", "child exited a", "supervisor stopped"}
	tests := []struct {
		strategy Strategy
		restart  []string // events between b's exit and the shutdown
	}{
		{OneForOne, []string{
			"child restarting b",
			"child started b",
		}},
		{OneForAll, []string{
			"child exited c", "child exited a", // stopped in reverse start order
			"child restarting b", "child restarting a", "child restarting c",
			"child started a", "child started b", "child started c", // started in start order
		}},
		{RestForOne, []string{
			"child exited c",
			"child restarting b", "child restarting c",
			"child started b", "child started c",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.strategy.String(), func(t *testing.T) {
			rec := newRecorder()
			opts := testOptions(rec)
			opts.Strategy = tt.strategy
			s := New("sup", opts,
				Spec{Name: "a", Service: blocker()},
				Spec{Name: "b", Service: script(fail(errBoom))},
				Spec{Name: "c", Service: blocker()},
			)
			sv := serve(t, s)
			starts := 3
			for _, l := range tt.restart {
				if strings.HasPrefix(l, "child started") {
					starts++
				}
			}
			rec.waitFor(t, "restarts", func(evs []Event) bool {
				n := 0
				for _, ev := range evs {
					if ev.Kind == ChildStarted {
						n++
					}
				}
				return n == starts
			})
			if err := sv.stop(t); !errors.Is(err, context.Canceled) {
				t.Fatalf("Serve() = %v, want context.Canceled", err)
			}
			want := append(append(append([]string{}, initial...), tt.restart...), shutdown...)
			equalTrace(t, rec.snapshot(), want)
		})
	}
}

func TestOneForAllForgetsTemporaryAndRestartsTransientSiblings(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	opts.Strategy = OneForAll
	s := New("sup", opts,
		Spec{Name: "temp", Service: blocker(), Restart: Temporary},
		Spec{Name: "trans", Service: blocker(), Restart: Transient},
		Spec{Name: "b", Service: script(fail(errBoom))},
	)
	sv := serve(t, s)
	rec.waitFor(t, "b restarted", has(ChildStarted, "b", 2))
	rec.waitFor(t, "trans restarted", has(ChildStarted, "trans", 2))
	var names []string
	for _, c := range s.Children() {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "trans,b" {
		t.Fatalf("Children() = %s, want trans,b (temporary forgotten)", got)
	}
	if n := count(rec.snapshot(), ChildStarted, "temp"); n != 1 {
		t.Fatalf("temporary sibling started %d times, want 1", n)
	}
	sv.stop(t)
}

func TestIntensityExceededStopsChildrenAndNamesChildAndCause(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	opts.MaxRestarts, opts.Period = 2, time.Minute
	s := New("sup", opts,
		Spec{Name: "steady", Service: blocker()},
		Spec{Name: "flaky", Service: Func(func(context.Context) error { return errBoom })},
	)
	err := serve(t, s).wait(t)

	var ie *IntensityError
	if !errors.As(err, &ie) {
		t.Fatalf("Serve() = %v, want *IntensityError", err)
	}
	if ie.Supervisor != "sup" || ie.Child != "flaky" || ie.Restarts != 3 || ie.Period != time.Minute {
		t.Errorf("IntensityError = %+v", *ie)
	}
	if !errors.Is(err, errBoom) {
		t.Errorf("errors.Is(err, errBoom) = false for %v", err)
	}
	for _, want := range []string{`"sup"`, `"flaky"`, "boom", "3 restarts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	evs := rec.snapshot()
	tail := trace(evs[len(evs)-3:])
	want := []string{"intensity exceeded flaky", "child exited steady", "supervisor stopped"}
	if strings.Join(tail, "|") != strings.Join(want, "|") {
		t.Fatalf("last events %q, want %q", tail, want)
	}
	if n := count(evs, ChildStarted, "flaky"); n != 3 {
		t.Errorf("flaky started %d times, want 3 (first run and 2 restarts)", n)
	}
}

func TestRestartsOlderThanPeriodDoNotCount(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	opts.MaxRestarts, opts.Period = 1, 20*time.Millisecond
	s := New("sup", opts, Spec{Name: "slowfail", Service: Func(func(ctx context.Context) error {
		time.Sleep(30 * time.Millisecond) // always more than Period between restarts
		return errBoom
	})})
	sv := serve(t, s)
	rec.waitFor(t, "five restarts", has(ChildStarted, "slowfail", 6))
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v, want context.Canceled", err)
	}
}

func TestNegativeMaxRestartsNeverGivesUp(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec), Spec{Name: "f", Service: Func(func(context.Context) error { return errBoom })})
	sv := serve(t, s)
	rec.waitFor(t, "many restarts", has(ChildStarted, "f", 50))
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v, want context.Canceled", err)
	}
}

func TestNestedSupervisorFailureEscalatesToParent(t *testing.T) {
	rec := newRecorder()
	innerOpts := testOptions(rec)
	innerOpts.MaxRestarts, innerOpts.Period = 1, time.Minute
	inner := New("inner", innerOpts, Spec{Name: "worker", Service: Func(func(context.Context) error { return errBoom })})

	outerOpts := testOptions(rec)
	outerOpts.MaxRestarts, outerOpts.Period = 1, time.Minute
	outer := New("outer", outerOpts,
		Spec{Name: "sibling", Service: blocker()},
		Spec{Name: "inner", Service: inner},
	)
	err := serve(t, outer).wait(t)

	var outerErr *IntensityError
	if !errors.As(err, &outerErr) || outerErr.Supervisor != "outer" || outerErr.Child != "inner" {
		t.Fatalf("Serve() = %v, want the outer IntensityError naming inner", err)
	}
	var innerErr *IntensityError
	if !errors.As(outerErr.Err, &innerErr) || innerErr.Supervisor != "inner" || innerErr.Child != "worker" {
		t.Fatalf("outer error wraps %v, want the inner IntensityError naming worker", outerErr.Err)
	}
	if !errors.Is(err, errBoom) {
		t.Fatal("the root cause is not visible through the tree")
	}
	if n := count(rec.snapshot(), ChildStarted, "inner"); n != 2 {
		t.Errorf("inner supervisor started %d times, want 2", n)
	}
}

func TestNestedSupervisorShutsDownWithParent(t *testing.T) {
	rec := newRecorder()
	inner := New("inner", testOptions(rec), Spec{Name: "leaf", Service: blocker()})
	outer := New("outer", testOptions(rec), Spec{Name: "inner", Service: inner})
	sv := serve(t, outer)
	rec.waitFor(t, "leaf started", has(ChildStarted, "leaf", 1))
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v", err)
	}
	var tail []string
	for _, ev := range rec.snapshot() {
		if ev.Kind == ChildExited || ev.Kind == SupervisorStopped {
			tail = append(tail, ev.Supervisor+": "+ev.Kind.String()+" "+ev.Child)
		}
	}
	want := []string{
		"inner: child exited leaf",
		"inner: supervisor stopped ",
		"outer: child exited inner",
		"outer: supervisor stopped ",
	}
	if strings.Join(tail, "|") != strings.Join(want, "|") {
		t.Fatalf("shutdown events %q, want %q", tail, want)
	}
}

func TestShutdownStopsInReverseOrderAndReportsStuckChild(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	st := newStuck()
	var order []string
	ordered := func(name string) Service {
		return Func(func(ctx context.Context) error {
			<-ctx.Done()
			order = append(order, name) // the supervisor stops one child at a time
			return nil
		})
	}
	s := New("sup", opts,
		Spec{Name: "a", Service: ordered("a")},
		Spec{Name: "b", Service: st, ShutdownTimeout: 20 * time.Millisecond},
		Spec{Name: "c", Service: ordered("c")},
	)
	sv := serve(t, s)
	rec.waitFor(t, "all started", has(ChildStarted, "c", 1))
	err := sv.stop(t)
	defer st.finish(t)

	if !errors.Is(err, context.Canceled) {
		t.Errorf("Serve() = %v, want it to wrap context.Canceled", err)
	}
	var se *StuckError
	if !errors.As(err, &se) || se.Supervisor != "sup" || strings.Join(se.Children, ",") != "b" {
		t.Fatalf("Serve() = %v, want a StuckError naming b", err)
	}
	if got := strings.Join(order, ","); got != "c,a" {
		t.Errorf("stop order %s, want c,a", got)
	}
	evs := rec.snapshot()
	equalTrace(t, evs[3:], []string{"child exited c", "child stuck b", "child exited a", "supervisor stopped"})
	if stopped := evs[len(evs)-1]; !errors.As(stopped.Err, &se) {
		t.Errorf("SupervisorStopped event error %v, want the StuckError", stopped.Err)
	}
}

func TestShutdownDoesNotWaitForBackoff(t *testing.T) {
	rec := newRecorder()
	opts := testOptions(rec)
	opts.Backoff = Backoff{Min: time.Hour, Max: time.Hour}
	s := New("sup", opts, Spec{Name: "f", Service: script(fail(errBoom))})
	sv := serve(t, s)
	rec.waitFor(t, "restart scheduled", has(ChildRestarting, "f", 1))
	if got := s.Children()[0].State; got != StateBackoff {
		t.Fatalf("state during backoff = %v, want backoff", got)
	}
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v", err)
	}
	if got := s.Children()[0].State; got != StateStopped {
		t.Fatalf("state after Serve = %v, want stopped", got)
	}
}

func TestChildContextCarriesValuesAndStopCause(t *testing.T) {
	type key struct{}
	rec := newRecorder()
	got := make(chan string, 1)
	s := New("sup", testOptions(rec), Spec{Name: "v", Service: Func(func(ctx context.Context) error {
		<-ctx.Done()
		got <- fmt.Sprint(ctx.Value(key{}), " ", context.Cause(ctx))
		return nil
	})})
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "value"))
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	rec.waitFor(t, "started", has(ChildStarted, "v", 1))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve() = %v", err)
	}
	if g := <-got; g != "value context canceled" {
		t.Fatalf("child saw %q, want the value and the shutdown cause", g)
	}
}

func TestServe(t *testing.T) {
	t.Run("returns at once for a cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		started := false
		s := New("sup", testOptions(newRecorder()), Spec{Name: "x", Service: Func(func(context.Context) error {
			started = true
			return nil
		})})
		if err := s.Serve(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve() = %v", err)
		}
		if started {
			t.Fatal("a child started under a cancelled context")
		}
	})
	t.Run("refuses a second concurrent Serve", func(t *testing.T) {
		rec := newRecorder()
		s := New("sup", testOptions(rec), Spec{Name: "x", Service: blocker()})
		sv := serve(t, s)
		rec.waitFor(t, "started", has(ChildStarted, "x", 1))
		if err := s.Serve(context.Background()); !errors.Is(err, ErrRunning) {
			t.Fatalf("second Serve() = %v, want ErrRunning", err)
		}
		sv.stop(t)
	})
	t.Run("can serve again after returning", func(t *testing.T) {
		rec := newRecorder()
		var runs atomic.Int32
		failThenBlock := Func(func(ctx context.Context) error {
			if runs.Add(1)%2 == 1 { // the first run of each Serve fails
				return errBoom
			}
			<-ctx.Done()
			return nil
		})
		s := New("sup", testOptions(rec), Spec{Name: "x", Service: failThenBlock})
		for i := range 2 {
			sv := serve(t, s)
			rec.waitFor(t, "running again", has(ChildStarted, "x", 2*(i+1)))
			if r := s.Children()[0].Restarts; r != 1 {
				t.Fatalf("run %d: Restarts = %d, want 1 (counts start afresh)", i, r)
			}
			sv.stop(t)
		}
	})
	t.Run("reports invalid configuration", func(t *testing.T) {
		tests := []struct {
			name string
			s    *Supervisor
			want error
		}{
			{"empty name", New("s", Options{}, Spec{Service: blocker()}), ErrInvalid},
			{"nil service", New("s", Options{}, Spec{Name: "x"}), ErrInvalid},
			{"nil func", New("s", Options{}, Spec{Name: "x", Service: Func(nil)}), ErrInvalid},
			{"unknown restart", New("s", Options{}, Spec{Name: "x", Service: blocker(), Restart: 7}), ErrInvalid},
			{"unknown strategy", New("s", Options{Strategy: 9}), ErrInvalid},
			{"duplicate", New("s", Options{}, Spec{Name: "x", Service: blocker()}, Spec{Name: "x", Service: blocker()}), ErrDuplicateChild},
		}
		for _, tt := range tests {
			if err := tt.s.Serve(context.Background()); !errors.Is(err, tt.want) {
				t.Errorf("%s: Serve() = %v, want %v", tt.name, err, tt.want)
			}
		}
	})
}

func TestPanickingChildIsRecoveredAndRestarted(t *testing.T) {
	rec := newRecorder()
	s := New("sup", testOptions(rec), Spec{Name: "p", Service: script(func() error { panic("kaboom") })})
	sv := serve(t, s)
	evs := rec.waitFor(t, "restart after panic", has(ChildStarted, "p", 2))
	sv.stop(t)
	for _, ev := range evs {
		if ev.Kind != ChildExited {
			continue
		}
		var pe *actor.PanicError
		if !errors.As(ev.Err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "supervisor") {
			t.Fatalf("exit error %v, want a PanicError with value and stack", ev.Err)
		}
		return
	}
	t.Fatal("no exit event")
}

func TestManyChildrenStartInOrderAndStopInReverse(t *testing.T) {
	const n = 50
	rec := newRecorder()
	var specs []Spec
	for i := range n {
		specs = append(specs, Spec{Name: fmt.Sprint(i), Service: blocker()})
	}
	s := New("sup", testOptions(rec), specs...)
	sv := serve(t, s)
	rec.waitFor(t, "all started", has(ChildStarted, fmt.Sprint(n-1), 1))
	sv.stop(t)
	var want []string
	for i := range n {
		want = append(want, "child started "+fmt.Sprint(i))
	}
	for i := n - 1; i >= 0; i-- {
		want = append(want, "child exited "+fmt.Sprint(i))
	}
	equalTrace(t, rec.snapshot(), append(want, "supervisor stopped"))
}
