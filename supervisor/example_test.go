package supervisor_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wsactor/wsactor/supervisor"
)

// A worker that fails twice and then finishes its job. As a Transient child
// it is restarted after each failure and left alone once it returns nil.
func ExampleSupervisor() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	attempts := 0
	worker := supervisor.Func(func(ctx context.Context) error {
		attempts++
		if attempts < 3 {
			return fmt.Errorf("attempt %d failed", attempts)
		}
		return nil
	})

	s := supervisor.New("app", supervisor.Options{
		Backoff: supervisor.Backoff{Min: time.Millisecond, Max: time.Millisecond},
		Logger:  slog.New(slog.DiscardHandler),
		OnEvent: func(ev supervisor.Event) {
			fmt.Println(ev)
			if ev.Kind == supervisor.ChildExited && ev.Err == nil {
				cancel() // the job is done: shut down
			}
		},
	}, supervisor.Spec{Name: "worker", Service: worker, Restart: supervisor.Transient})

	err := s.Serve(ctx)
	fmt.Println("Serve:", err)
	// Output:
	// supervisor "app": child "worker" started
	// supervisor "app": child "worker" exited: attempt 1 failed
	// supervisor "app": child "worker" restarting (restarts 1, backoff 1ms): attempt 1 failed
	// supervisor "app": child "worker" started
	// supervisor "app": child "worker" exited: attempt 2 failed
	// supervisor "app": child "worker" restarting (restarts 2, backoff 1ms): attempt 2 failed
	// supervisor "app": child "worker" started
	// supervisor "app": child "worker" exited
	// supervisor "app": stopped: context canceled
	// Serve: context canceled
}

// Supervisors nest. When the inner supervisor exceeds its restart intensity
// it fails, and its parent sees that as the failure of one child.
func ExampleSupervisor_nested() {
	quiet := slog.New(slog.DiscardHandler)
	fast := supervisor.Backoff{Min: time.Millisecond, Max: time.Millisecond}
	errDB := errors.New("database unreachable")

	inner := supervisor.New("storage", supervisor.Options{MaxRestarts: 2, Backoff: fast, Logger: quiet},
		supervisor.Spec{Name: "db", Service: supervisor.Func(func(context.Context) error { return errDB })},
	)
	root := supervisor.New("root", supervisor.Options{MaxRestarts: 1, Backoff: fast, Logger: quiet},
		supervisor.Spec{Name: "storage", Service: inner},
	)

	err := root.Serve(context.Background())
	var ie *supervisor.IntensityError
	if errors.As(err, &ie) {
		fmt.Println("root gave up on child:", ie.Child)
	}
	fmt.Println("root cause is the database:", errors.Is(err, errDB))
	// Output:
	// root gave up on child: storage
	// root cause is the database: true
}

// Children can be added to and removed from a running supervisor.
func ExampleSupervisor_Add() {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string)
	s := supervisor.New("hub", supervisor.Options{
		Logger: slog.New(slog.DiscardHandler),
		OnEvent: func(ev supervisor.Event) {
			if ev.Kind == supervisor.ChildStarted {
				started <- ev.Child
			}
		},
	})
	done := make(chan error)
	go func() { done <- s.Serve(ctx) }()

	session := supervisor.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})
	for _, name := range []string{"alice", "bob"} {
		if err := s.Add(supervisor.Spec{Name: name, Service: session, Restart: supervisor.Temporary}); err != nil {
			fmt.Println(err)
		}
		fmt.Println("started", <-started)
	}
	fmt.Println(s.Add(supervisor.Spec{Name: "bob", Service: session}))
	if err := s.Remove(ctx, "alice"); err != nil {
		fmt.Println(err)
	}
	for _, c := range s.Children() {
		fmt.Println(c.Name, c.State)
	}
	cancel()
	fmt.Println(<-done)
	// Output:
	// started alice
	// started bob
	// supervisor "hub": child "bob": supervisor: duplicate child name
	// bob running
	// context canceled
}

func ExampleBackoff_Next() {
	b := supervisor.Backoff{Min: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}
	for attempt := range 6 {
		fmt.Println(b.Next(attempt))
	}
	// Output:
	// 100ms
	// 200ms
	// 400ms
	// 800ms
	// 1.6s
	// 2s
}
