package actor

import (
	"context"
	"errors"
	"sync"
)

// errGoexit is the error of a function that ended its goroutine with
// runtime.Goexit (for instance through testing.T.FailNow) instead of
// returning.
var errGoexit = errors.New("actor: function called runtime.Goexit")

// Group is a set of linked goroutines started together that live and die
// together. It is created by Start; the zero Group is not usable.
//
// All methods are safe for concurrent use.
type Group struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}

	mu      sync.Mutex
	err     error // first error or Cancel cause
	running int   // functions that have not returned yet
}

// Start runs each fn in its own goroutine with a context derived from parent,
// and returns the Group they form.
//
// The first fn to return a non-nil error (or to panic, see PanicError)
// cancels the context of all with that error as its cause (context.Cause),
// and that error becomes the group's error. A fn that returns nil does not
// cancel the others. Start starts no goroutine other than one per fn: the
// last fn to return closes Done and then cancels the context, to release its
// resources. With no fns, the group is done at once.
func Start(parent context.Context, fns ...func(ctx context.Context) error) *Group {
	ctx, cancel := context.WithCancelCause(parent)
	g := &Group{
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		running: len(fns),
	}
	if len(fns) == 0 {
		close(g.done)
		cancel(context.Canceled)
		return g
	}
	for _, fn := range fns {
		go g.run(fn)
	}
	return g
}

// run is the body of one goroutine of the group.
func (g *Group) run(fn func(context.Context) error) {
	err := errGoexit
	defer func() { g.exit(err) }()
	err = Run(g.ctx, fn)
}

// exit records the result of one function and closes done after the last.
func (g *Group) exit(err error) {
	g.mu.Lock()
	if err != nil && g.err == nil {
		g.err = err
		g.cancel(err) // under mu, so that the cause always matches g.err
	}
	g.running--
	last := g.running == 0
	g.mu.Unlock()

	if last {
		close(g.done)
		g.cancel(context.Canceled)
	}
}

// Cancel cancels the context of every function in the group. If the group
// has no error yet, cause becomes its error and the context's cause; a nil
// cause means context.Canceled. Cancel does not wait for the functions to
// return (see Wait), and once Done is closed it changes nothing.
func (g *Group) Cancel(cause error) {
	if cause == nil {
		cause = context.Canceled
	}
	g.mu.Lock()
	if g.running == 0 {
		g.mu.Unlock()
		return
	}
	if g.err == nil {
		g.err = cause
		g.cancel(cause)
	}
	g.mu.Unlock()
}

// Done returns a channel that is closed once every function of the group has
// returned.
func (g *Group) Done() <-chan struct{} {
	return g.done
}

// Err returns the group's error once Done is closed: the first non-nil error
// a function returned (a *PanicError for a panic), or the cause given to the
// first Cancel if that came earlier. It returns nil if every function
// returned nil and Cancel was not called, and nil while Done is still open.
func (g *Group) Err() error {
	select {
	case <-g.done:
	default:
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Wait waits until Done is closed and returns Err.
func (g *Group) Wait() error {
	<-g.done
	return g.Err()
}

// Context returns the context the group's functions run with. It is
// cancelled by the first error, by Cancel, by the parent, or, at the latest,
// when the last function returns.
func (g *Group) Context() context.Context {
	return g.ctx
}
