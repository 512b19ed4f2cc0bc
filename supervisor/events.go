package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wsactor/wsactor/actor"
)

// EventKind says what happened in a supervisor.
type EventKind int

const (
	// ChildStarted: a child's Service was started, for the first time or
	// after a restart (Event.Restarts tells which).
	ChildStarted EventKind = iota + 1
	// ChildExited: a child's Serve returned (Event.Err is what it returned),
	// on its own or because the supervisor or Remove stopped it.
	ChildExited
	// ChildRestarting: the supervisor will start the child again after
	// Event.Backoff. Err is the child's own error when the child itself
	// exited; it is nil for a sibling restarted with it under OneForAll or
	// RestForOne.
	ChildRestarting
	// IntensityExceeded: a child's exit made the supervisor go over its
	// restart intensity; the supervisor stops all children and fails with an
	// IntensityError. Restarts is the count within the period.
	IntensityExceeded
	// ChildStuck: a child did not return within its shutdown timeout after
	// its context was cancelled; the supervisor no longer waits for it.
	ChildStuck
	// SupervisorStopped: Serve is about to return Event.Err; all children
	// have stopped or been reported stuck.
	SupervisorStopped
)

var eventKindNames = [...]string{
	ChildStarted:      "child started",
	ChildExited:       "child exited",
	ChildRestarting:   "child restarting",
	IntensityExceeded: "intensity exceeded",
	ChildStuck:        "child stuck",
	SupervisorStopped: "supervisor stopped",
}

// String returns a short lower-case description such as "child started".
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing that happened in a supervisor, as given to
// Options.OnEvent and logged through Options.Logger.
type Event struct {
	// Kind says what happened.
	Kind EventKind
	// Supervisor is the name of the supervisor.
	Supervisor string
	// Child is the name of the child concerned; empty for SupervisorStopped.
	Child string
	// Err is the error of the event, as documented for each kind.
	Err error
	// Restarts is the child's restart count since Serve began (for
	// IntensityExceeded: the restarts within the period).
	Restarts int
	// Backoff is the delay before the restart, for ChildRestarting.
	Backoff time.Duration
}

// String formats the event for people, e.g.
// `supervisor "app": child "db" restarting (restarts 2, backoff 200ms): boom`.
func (e Event) String() string {
	var s string
	switch e.Kind {
	case ChildStarted, ChildExited, ChildStuck:
		s = fmt.Sprintf("supervisor %q: child %q %s", e.Supervisor, e.Child, e.Kind.String()[len("child "):])
	case ChildRestarting:
		s = fmt.Sprintf("supervisor %q: child %q restarting (restarts %d, backoff %v)",
			e.Supervisor, e.Child, e.Restarts, e.Backoff)
	case IntensityExceeded:
		s = fmt.Sprintf("supervisor %q: intensity exceeded by child %q (%d restarts)",
			e.Supervisor, e.Child, e.Restarts)
	case SupervisorStopped:
		s = fmt.Sprintf("supervisor %q: stopped", e.Supervisor)
	default:
		s = fmt.Sprintf("supervisor %q: %v", e.Supervisor, e.Kind)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// emit logs ev through the supervisor's logger at level and passes it to the
// OnEvent hook. It is called only from the goroutine running Serve, never
// with s.mu held, so the hook may call the supervisor's methods.
func (s *Supervisor) emit(ctx context.Context, level slog.Level, ev Event) {
	ev.Supervisor = s.name
	if s.log.Enabled(ctx, level) {
		attrs := make([]slog.Attr, 0, 6)
		attrs = append(attrs, slog.String("supervisor", ev.Supervisor))
		if ev.Child != "" {
			attrs = append(attrs, slog.String("child", ev.Child))
		}
		if ev.Kind == ChildRestarting || ev.Kind == ChildStarted || ev.Kind == IntensityExceeded {
			attrs = append(attrs, slog.Int("restarts", ev.Restarts))
		}
		if ev.Kind == ChildRestarting {
			attrs = append(attrs, slog.Duration("backoff", ev.Backoff))
		}
		if ev.Err != nil {
			attrs = append(attrs, slog.Any("err", ev.Err))
			var pe *actor.PanicError
			if errors.As(ev.Err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
		}
		s.log.LogAttrs(ctx, level, "supervisor: "+ev.Kind.String(), attrs...)
	}
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(ev)
	}
}
