package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/wsactor/wsactor/actor"
)

// ChildState is where a child is in its life.
type ChildState int

const (
	// StateStopped: the child is not running and not scheduled to run (the
	// supervisor is not being served, or it has been stopped).
	StateStopped ChildState = iota
	// StateStarting: the child is about to be started for the first time.
	StateStarting
	// StateRunning: the child's Serve is running.
	StateRunning
	// StateBackoff: the child is waiting out its backoff delay before a
	// restart.
	StateBackoff
	// StateStopping: the supervisor has cancelled the child's context and
	// is waiting for it to return.
	StateStopping
)

// String returns "stopped", "starting", "running", "backoff" or "stopping".
func (s ChildState) String() string {
	switch s {
	case StateStopped:
		return "stopped"
	case StateStarting:
		return "starting"
	case StateRunning:
		return "running"
	case StateBackoff:
		return "backoff"
	case StateStopping:
		return "stopping"
	}
	return fmt.Sprintf("ChildState(%d)", int(s))
}

// ChildInfo is a snapshot of one child, as returned by Children.
type ChildInfo struct {
	Name     string
	State    ChildState
	Restarts int   // restarts since Serve began, including one waiting in backoff
	LastErr  error // what the child's last run returned; nil before its first exit
}

// child is the supervisor's record of one Spec. Its fields are guarded by
// the supervisor's mu.
type child struct {
	spec      Spec
	state     ChildState
	restarts  int       // restarts since Serve began
	attempt   int       // consecutive restarts, for the backoff
	lastErr   error     // what the last run returned
	inst      *instance // the running instance, if any
	due       time.Time // when to start, in StateStarting and StateBackoff
	removed   bool      // no longer one of the supervisor's children
	seq       uint64    // position in start order
	pendingAt int       // 1 + its index in the supervisor's pending list; 0 if not there
}

// stopReason records why the supervisor cancelled an instance.
type stopReason int

const (
	stopNone         stopReason = iota // not cancelled: its exit is a failure or a completion
	stopBySupervisor                   // shutdown or a sibling's restart
	stopRemoved                        // Remove
)

// instance is one run of a child's Service in its own goroutine.
type instance struct {
	child     *child
	gen       uint64 // the Serve it belongs to
	cancel    context.CancelCauseFunc
	done      chan struct{} // closed when Serve has returned
	err       error         // what Serve returned; set before done is closed
	started   time.Time
	stop      stopReason // guarded by the supervisor's mu
	abandoned bool       // given up on as stuck; guarded by the supervisor's mu
}

// restartable reports whether a child that returned err is to be restarted.
func (c *child) restartable(err error) bool {
	if errors.Is(err, ErrStop) {
		return false
	}
	switch c.spec.Restart {
	case Permanent:
		return true
	case Transient:
		return err != nil
	}
	return false
}

// active reports whether the child is running or scheduled to run.
func (c *child) active() bool {
	return c.inst != nil || c.state == StateStarting || c.state == StateBackoff
}

// setStateLocked moves c to state st and keeps s.pending, the set of
// children waiting to start, up to date.
func (s *Supervisor) setStateLocked(c *child, st ChildState) {
	c.state = st
	waiting := st == StateStarting || st == StateBackoff
	switch {
	case waiting && c.pendingAt == 0:
		s.pending = append(s.pending, c)
		c.pendingAt = len(s.pending)
	case !waiting && c.pendingAt != 0:
		last := s.pending[len(s.pending)-1]
		s.pending[c.pendingAt-1], last.pendingAt = last, c.pendingAt
		s.pending[len(s.pending)-1] = nil
		s.pending = s.pending[:len(s.pending)-1]
		c.pendingAt = 0
	}
}

// shutdownTimeout returns the child's effective shutdown timeout.
func (s *Supervisor) shutdownTimeout(c *child) time.Duration {
	if c.spec.ShutdownTimeout > 0 {
		return c.spec.ShutdownTimeout
	}
	return s.opts.ShutdownTimeout
}

// startLocked starts a new instance of c with a context derived from base.
func (s *Supervisor) startLocked(base context.Context, c *child) {
	ctx, cancel := context.WithCancelCause(base)
	inst := &instance{
		child:   c,
		gen:     s.gen,
		cancel:  cancel,
		done:    make(chan struct{}),
		started: time.Now(),
	}
	c.inst = inst
	s.setStateLocked(c, StateRunning)
	go s.run(ctx, inst, c.spec.Service)
}

// run is the goroutine of one instance. It never blocks after Serve has
// returned, so an instance that outlives its supervisor still ends cleanly.
func (s *Supervisor) run(ctx context.Context, inst *instance, svc Service) {
	err := errGoexit
	defer func() {
		inst.cancel(context.Canceled)
		inst.err = err
		close(inst.done)
		s.mu.Lock()
		if s.serving && inst.gen == s.gen {
			s.exited = append(s.exited, inst)
		}
		s.mu.Unlock()
		s.signal()
	}()
	err = actor.Run(ctx, svc.Serve)
}

// signal wakes the Serve loop without blocking.
func (s *Supervisor) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stopChild cancels c's running instance, whose stop reason the caller has
// set, and waits for it until c's shutdown timeout. It reports the exit, or
// abandons the instance as stuck. It is called only by the Serve loop.
func (s *Supervisor) stopChild(ctx context.Context, c *child, cause error) {
	s.mu.Lock()
	inst := c.inst
	s.mu.Unlock()
	if inst == nil {
		return
	}
	inst.cancel(cause)
	t := time.NewTimer(s.shutdownTimeout(c))
	defer t.Stop()
	select {
	case <-inst.done:
		s.mu.Lock()
		if c.inst == inst {
			c.inst, c.lastErr = nil, inst.err
			s.setStateLocked(c, StateStopped)
		}
		restarts := c.restarts
		s.mu.Unlock()
		s.emit(ctx, slog.LevelInfo, Event{Kind: ChildExited, Child: c.spec.Name, Err: inst.err, Restarts: restarts})
	case <-t.C:
		s.mu.Lock()
		s.abandonLocked(inst)
		if c.inst == inst {
			c.inst = nil
			s.setStateLocked(c, StateStopped)
		}
		s.mu.Unlock()
		s.emit(ctx, slog.LevelError, Event{Kind: ChildStuck, Child: c.spec.Name,
			Err: &StuckError{Supervisor: s.name, Children: []string{c.spec.Name}}})
	}
}

// abandonLocked records inst as given up on, so that shutdown reports it if
// it is still running then.
func (s *Supervisor) abandonLocked(inst *instance) {
	if !inst.abandoned {
		inst.abandoned = true
		s.abandoned = append(s.abandoned, inst)
	}
}

// forgetLocked removes c from the supervisor's children.
func (s *Supervisor) forgetLocked(c *child) {
	c.removed = true
	s.setStateLocked(c, StateStopped)
	delete(s.byName, c.spec.Name)
	for i, x := range s.children {
		if x == c {
			s.children = append(s.children[:i:i], s.children[i+1:]...)
			return
		}
	}
}

// validate checks a Spec.
func (s *Supervisor) validate(spec Spec) error {
	var problem string
	switch {
	case spec.Name == "":
		problem = "empty name"
	case spec.Service == nil:
		problem = "nil Service"
	case spec.Restart < Permanent || spec.Restart > Temporary:
		problem = "unknown restart policy " + spec.Restart.String()
	default:
		if f, ok := spec.Service.(Func); ok && f == nil {
			problem = "nil Func"
		}
	}
	if problem != "" {
		return fmt.Errorf("supervisor %q: child %q: %s: %w", s.name, spec.Name, problem, ErrInvalid)
	}
	return nil
}

// Add adds a child. A running supervisor starts it promptly, after its
// current children; otherwise it starts with the others when Serve is
// called. Add fails with an error wrapping ErrDuplicateChild if a current
// child has the same name, or ErrInvalid for an invalid spec.
func (s *Supervisor) Add(spec Spec) error {
	if err := s.validate(spec); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName[spec.Name] != nil {
		return fmt.Errorf("supervisor %q: child %q: %w", s.name, spec.Name, ErrDuplicateChild)
	}
	s.seq++
	c := &child{spec: spec, seq: s.seq}
	s.children = append(s.children, c)
	s.byName[spec.Name] = c
	if s.running {
		c.due = time.Now()
		s.setStateLocked(c, StateStarting)
		s.signal()
	}
	return nil
}

// Remove stops the named child and forgets it. It cancels the child's
// context and waits for it to return, at most for the child's shutdown
// timeout and until ctx is done. If the child does not return in time, Remove
// returns a *StuckError naming it (or ctx's error, wrapped, if ctx ended
// first); the child is forgotten all the same and its goroutine is left to
// end by itself. Remove fails with an error wrapping ErrUnknownChild if no
// current child has that name.
func (s *Supervisor) Remove(ctx context.Context, name string) error {
	s.mu.Lock()
	c := s.byName[name]
	if c == nil {
		s.mu.Unlock()
		return fmt.Errorf("supervisor %q: child %q: %w", s.name, name, ErrUnknownChild)
	}
	s.forgetLocked(c)
	inst := c.inst
	if inst == nil {
		s.mu.Unlock()
		return nil
	}
	if inst.stop == stopNone {
		inst.stop = stopRemoved
	}
	s.mu.Unlock()

	inst.cancel(fmt.Errorf("supervisor %q: child %q removed", s.name, name))
	t := time.NewTimer(s.shutdownTimeout(c))
	defer t.Stop()
	select {
	case <-inst.done:
		return nil
	case <-t.C:
		err := &StuckError{Supervisor: s.name, Children: []string{name}}
		s.mu.Lock()
		s.abandonLocked(inst)
		if s.serving {
			s.events = append(s.events, Event{Kind: ChildStuck, Supervisor: s.name, Child: name, Err: err})
		}
		s.mu.Unlock()
		s.signal()
		return err
	case <-ctx.Done():
		s.mu.Lock()
		s.abandonLocked(inst)
		s.mu.Unlock()
		return fmt.Errorf("supervisor %q: removing child %q: %w", s.name, name, ctx.Err())
	}
}

// Children returns a snapshot of the supervisor's current children in start
// order. Children that have finished for good (a Temporary child that
// returned, a Transient child that returned nil, a child that returned
// ErrStop) and removed children are not listed.
func (s *Supervisor) Children() []ChildInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChildInfo, len(s.children))
	for i, c := range s.children {
		out[i] = ChildInfo{Name: c.spec.Name, State: c.state, Restarts: c.restarts, LastErr: c.lastErr}
	}
	return out
}
