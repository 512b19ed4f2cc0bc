package supervisor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Strategy says which children a supervisor restarts when one of them exits
// and is to be restarted, with the meaning of Erlang/OTP's strategies.
type Strategy int

const (
	// OneForOne restarts only the child that exited. It is the zero Strategy.
	OneForOne Strategy = iota
	// OneForAll stops all other children (in reverse start order) and then
	// restarts all of them (in start order) with the one that exited.
	OneForAll
	// RestForOne stops the children that come after the one that exited in
	// start order (in reverse order), then restarts it and them in start
	// order. Children before it are not disturbed.
	RestForOne
)

// String returns "one-for-one", "one-for-all" or "rest-for-one".
func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one-for-one"
	case OneForAll:
		return "one-for-all"
	case RestForOne:
		return "rest-for-one"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// Defaults for the zero fields of Options.
const (
	DefaultMaxRestarts     = 3
	DefaultPeriod          = 5 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// Options configures a Supervisor. The zero Options is a one-for-one
// supervisor with the package defaults.
type Options struct {
	// Strategy decides which children restart together.
	Strategy Strategy
	// MaxRestarts and Period are the restart intensity: when a restart would
	// make more than MaxRestarts restarts within Period, the supervisor stops
	// all its children and fails with an IntensityError instead, so that its
	// own parent can deal with the problem. A restart that stops and starts
	// several children under OneForAll or RestForOne counts once.
	// MaxRestarts zero means DefaultMaxRestarts; negative means no limit.
	MaxRestarts int
	// Period zero means DefaultPeriod.
	Period time.Duration
	// Backoff is the delay policy before restarts; the zero Backoff means
	// DefaultBackoff.
	Backoff Backoff
	// ShutdownTimeout is how long to wait for each child to return once its
	// context is cancelled, unless its Spec says otherwise. Zero or negative
	// means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger receives every event as a structured record (attributes
	// "supervisor", "child", "err", "restarts", "backoff", and "stack" for
	// a panic). Nil means slog.Default().
	Logger *slog.Logger
	// OnEvent, if not nil, is called with every event, synchronously, from
	// the goroutine running Serve and never concurrently with itself. It
	// must not block for long: the supervisor waits for it. It may call the
	// supervisor's methods.
	OnEvent func(Event)
}

// withDefaults returns o with its zero fields replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.MaxRestarts == 0 {
		o.MaxRestarts = DefaultMaxRestarts
	}
	if o.Period <= 0 {
		o.Period = DefaultPeriod
	}
	if o.Backoff == (Backoff{}) {
		o.Backoff = DefaultBackoff
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Supervisor runs child services and restarts them according to their
// Restart policy, its Strategy and its restart intensity. Create one with
// New; its methods are safe for concurrent use.
type Supervisor struct {
	name    string
	opts    Options
	log     *slog.Logger
	initErr error         // the first invalid child or option given to New
	wake    chan struct{} // capacity 1: "look at exited, events and children"

	mu        sync.Mutex
	children  []*child          // in start order
	byName    map[string]*child // the children by name
	pending   []*child          // children in StateStarting or StateBackoff, any order
	seq       uint64            // the last child.seq given out
	running   bool              // Serve is running and not yet shutting down
	serving   bool              // Serve is running
	gen       uint64            // incremented by each Serve
	exited    []*instance       // returned instances waiting for the Serve loop
	events    []Event           // events raised outside the Serve loop
	abandoned []*instance       // instances given up on as stuck
	restarts  []time.Time       // restarts within the intensity period
}

// New returns a supervisor with the given name, options and initial
// children, which start in the order given when Serve is called. If a child
// is invalid or two share a name, or the Strategy is unknown, Serve returns
// that error (wrapping ErrInvalid or ErrDuplicateChild) without starting
// anything.
func New(name string, opts Options, children ...Spec) *Supervisor {
	s := &Supervisor{
		name:   name,
		opts:   opts.withDefaults(),
		wake:   make(chan struct{}, 1),
		byName: make(map[string]*child),
	}
	s.log = s.opts.Logger
	if opts.Strategy < OneForOne || opts.Strategy > RestForOne {
		s.initErr = fmt.Errorf("supervisor %q: unknown strategy %v: %w", name, opts.Strategy, ErrInvalid)
	}
	for _, spec := range children {
		if err := s.Add(spec); err != nil && s.initErr == nil {
			s.initErr = err
		}
	}
	return s
}

// Name returns the supervisor's name.
func (s *Supervisor) Name() string { return s.name }

// Serve starts the children in order and supervises them until ctx is
// cancelled or the restart intensity is exceeded. It then stops the children
// in reverse start order, each within its shutdown timeout, and returns:
// ctx.Err() after an orderly shutdown, or an *IntensityError. If children
// did not stop in time, a *StuckError is joined to that error (errors.Join)
// and their goroutines are left running: they are the only goroutines
// started by Serve that can outlive it.
//
// The children's contexts carry ctx's values but are cancelled by the
// supervisor, one by one, not by ctx directly.
//
// A Supervisor can be served again after Serve returns (this is how a parent
// supervisor restarts it); each Serve starts from fresh restart counts.
// Serve returns an error wrapping ErrRunning if it is already being served.
func (s *Supervisor) Serve(ctx context.Context) error {
	if s.initErr != nil {
		return s.initErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	base := context.WithoutCancel(ctx)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := s.step(ctx, base); err != nil {
			return s.shutdown(ctx, err)
		}
		if due, ok := s.nextDue(); ok {
			timer.Reset(time.Until(due))
		} else {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return s.shutdown(ctx, ctx.Err())
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// begin marks the supervisor as served and schedules every child to start.
func (s *Supervisor) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.serving {
		return fmt.Errorf("supervisor %q: %w", s.name, ErrRunning)
	}
	s.serving, s.running = true, true
	s.gen++
	s.exited, s.events, s.abandoned, s.restarts, s.pending = nil, nil, nil, nil, nil
	now := time.Now()
	for _, c := range s.children {
		*c = child{spec: c.spec, seq: c.seq, due: now}
		s.setStateLocked(c, StateStarting)
	}
	return nil
}

// step handles what happened since the last step: events raised by Remove,
// children that exited, and children due to start. It returns an
// *IntensityError when the supervisor must give up.
func (s *Supervisor) step(ctx, base context.Context) error {
	s.mu.Lock()
	events, exited := s.events, s.exited
	s.events, s.exited = nil, nil
	s.mu.Unlock()

	for _, ev := range events {
		s.emit(ctx, slog.LevelError, ev)
	}
	for _, inst := range exited {
		if err := s.handleExit(ctx, inst); err != nil {
			return err
		}
	}
	s.startDue(ctx, base)
	return nil
}

// handleExit applies the restart policy and strategy to an instance that
// returned.
func (s *Supervisor) handleExit(ctx context.Context, inst *instance) error {
	s.mu.Lock()
	c := inst.child
	exitEv := Event{Kind: ChildExited, Child: c.spec.Name, Err: inst.err, Restarts: c.restarts}
	switch {
	case inst.abandoned || inst.stop == stopRemoved:
		// Nobody else reports these exits.
		s.mu.Unlock()
		s.emit(ctx, slog.LevelInfo, exitEv)
		return nil
	case inst.stop != stopNone || c.inst != inst:
		// Stopped by the supervisor, which has reported it already.
		s.mu.Unlock()
		return nil
	}
	c.inst = nil
	c.lastErr = inst.err
	level := slog.LevelInfo
	if inst.err != nil {
		level = slog.LevelWarn
	}
	if !c.restartable(inst.err) {
		s.forgetLocked(c)
		s.mu.Unlock()
		s.emit(ctx, level, exitEv)
		return nil
	}

	now := time.Now()
	if n, ok := s.countRestartLocked(now); !ok {
		s.setStateLocked(c, StateStopped)
		s.mu.Unlock()
		s.emit(ctx, level, exitEv)
		s.emit(ctx, slog.LevelError, Event{Kind: IntensityExceeded, Child: c.spec.Name, Err: inst.err, Restarts: n})
		return &IntensityError{Supervisor: s.name, Child: c.spec.Name, Restarts: n, Period: s.opts.Period, Err: inst.err}
	}
	if now.Sub(inst.started) >= s.opts.Backoff.resetAfter() {
		c.attempt = 0
	}
	delay := s.opts.Backoff.Next(c.attempt)
	c.attempt++
	c.due = now.Add(delay)
	s.setStateLocked(c, StateBackoff)
	siblings := s.siblingsLocked(c)
	for _, sib := range siblings {
		s.setStateLocked(sib, StateStopping)
		if sib.inst != nil && sib.inst.stop == stopNone {
			sib.inst.stop = stopBySupervisor
		}
	}
	s.mu.Unlock()
	s.emit(ctx, level, exitEv)

	if len(siblings) > 0 {
		cause := fmt.Errorf("supervisor %q: restarting with sibling %q", s.name, c.spec.Name)
		for i := len(siblings) - 1; i >= 0; i-- {
			s.stopChild(ctx, siblings[i], cause)
		}
	}

	// Schedule the restarts; the Serve loop starts them in start order when
	// they are due.
	due := time.Now().Add(delay)
	var restarting []Event
	s.mu.Lock()
	for _, r := range append([]*child{c}, siblings...) {
		if r.removed {
			continue
		}
		if r != c && r.spec.Restart == Temporary {
			s.forgetLocked(r)
			continue
		}
		r.restarts++
		r.due = due
		s.setStateLocked(r, StateBackoff)
		ev := Event{Kind: ChildRestarting, Child: r.spec.Name, Restarts: r.restarts, Backoff: delay}
		if r == c {
			ev.Err = inst.err
		}
		restarting = append(restarting, ev)
	}
	s.mu.Unlock()
	for _, ev := range restarting {
		s.emit(ctx, slog.LevelInfo, ev)
	}
	return nil
}

// countRestartLocked records a restart at now and reports the number of
// restarts within the period and whether it is within the intensity.
func (s *Supervisor) countRestartLocked(now time.Time) (int, bool) {
	if s.opts.MaxRestarts < 0 {
		return 0, true
	}
	cutoff := now.Add(-s.opts.Period)
	kept := s.restarts[:0]
	for _, t := range s.restarts {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	s.restarts = append(kept, now)
	n := len(s.restarts)
	return n, n <= s.opts.MaxRestarts
}

// siblingsLocked returns, in start order, the children that the strategy
// restarts together with c, other than c itself.
func (s *Supervisor) siblingsLocked(c *child) []*child {
	if s.opts.Strategy == OneForOne {
		return nil
	}
	var out []*child
	after := false
	for _, sib := range s.children {
		if sib == c {
			after = true
			continue
		}
		if !sib.active() {
			continue
		}
		if after || s.opts.Strategy == OneForAll {
			out = append(out, sib)
		}
	}
	return out
}

// startDue starts, in start order, every child whose start time has come.
func (s *Supervisor) startDue(ctx, base context.Context) {
	now := time.Now()
	var due []*child
	var started []Event
	s.mu.Lock()
	for _, c := range s.pending {
		if !c.due.After(now) {
			due = append(due, c)
		}
	}
	slices.SortFunc(due, func(a, b *child) int { return cmp.Compare(a.seq, b.seq) })
	for _, c := range due {
		s.startLocked(base, c)
		started = append(started, Event{Kind: ChildStarted, Child: c.spec.Name, Restarts: c.restarts})
	}
	s.mu.Unlock()
	for _, ev := range started {
		s.emit(ctx, slog.LevelInfo, ev)
	}
}

// nextDue returns the earliest time a waiting child is due to start.
func (s *Supervisor) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	found := false
	for _, c := range s.pending {
		if !found || c.due.Before(next) {
			next, found = c.due, true
		}
	}
	return next, found
}

// shutdown stops all children in reverse start order and returns err, joined
// with a *StuckError if some did not stop in time.
func (s *Supervisor) shutdown(ctx context.Context, err error) error {
	s.mu.Lock()
	s.running = false
	children := append([]*child(nil), s.children...)
	for _, c := range children {
		if c.inst == nil {
			s.setStateLocked(c, StateStopped)
			continue
		}
		s.setStateLocked(c, StateStopping)
		if c.inst.stop == stopNone {
			c.inst.stop = stopBySupervisor
		}
	}
	s.mu.Unlock()

	for i := len(children) - 1; i >= 0; i-- {
		s.stopChild(ctx, children[i], err)
	}

	s.mu.Lock()
	var stuck []string
	for _, inst := range s.abandoned {
		select {
		case <-inst.done:
		default:
			stuck = append(stuck, inst.child.spec.Name)
		}
	}
	events := s.events
	s.abandoned, s.exited, s.events, s.restarts = nil, nil, nil, nil
	s.serving = false
	s.mu.Unlock()

	for _, ev := range events {
		s.emit(ctx, slog.LevelError, ev)
	}
	if len(stuck) > 0 {
		err = errors.Join(err, &StuckError{Supervisor: s.name, Children: stuck})
	}
	level := slog.LevelInfo
	if !errors.Is(err, ctx.Err()) || len(stuck) > 0 {
		level = slog.LevelError
	}
	s.emit(ctx, level, Event{Kind: SupervisorStopped, Err: err})
	return err
}
