package supervisor

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrStop, wrapped in the error a child returns (or panics with), tells
	// the supervisor that the child is done for good: it is not restarted,
	// whatever its Restart policy, and it is removed from the supervisor.
	ErrStop = errors.New("supervisor: stop")

	// ErrDuplicateChild is returned (wrapped) when a child is added under a
	// name that another current child of the supervisor already has.
	ErrDuplicateChild = errors.New("supervisor: duplicate child name")

	// ErrUnknownChild is returned (wrapped) by Remove for a name that is not
	// a current child of the supervisor.
	ErrUnknownChild = errors.New("supervisor: unknown child")

	// ErrInvalid is returned (wrapped) for an invalid Spec (an empty name, a
	// nil Service, an unknown Restart) or an unknown Strategy. When New is
	// given such a child or option, Serve returns the error.
	ErrInvalid = errors.New("supervisor: invalid argument")

	// ErrRunning is returned (wrapped) by Serve when the supervisor is
	// already being served by another call.
	ErrRunning = errors.New("supervisor: already running")
)

// errGoexit is a child's error when its Serve ended its goroutine with
// runtime.Goexit instead of returning.
var errGoexit = errors.New("supervisor: service called runtime.Goexit")

// IntensityError is the error a supervisor fails with when its children
// restart more than Options.MaxRestarts times within Options.Period. It names
// the child whose exit went over the limit and carries that child's error.
type IntensityError struct {
	// Supervisor is the name of the supervisor that gave up.
	Supervisor string
	// Child is the name of the child whose exit exceeded the intensity.
	Child string
	// Restarts is the number of restarts the supervisor counted within
	// Period, including the one it refused.
	Restarts int
	// Period is the window the restarts were counted in.
	Period time.Duration
	// Err is the child's last error; nil if it returned nil.
	Err error
}

// Error describes the supervisor, the child, the count and the child's error.
func (e *IntensityError) Error() string {
	cause := "returned nil"
	if e.Err != nil {
		cause = e.Err.Error()
	}
	return fmt.Sprintf("supervisor %q: %d restarts within %v, last by child %q: %s",
		e.Supervisor, e.Restarts, e.Period, e.Child, cause)
}

// Unwrap returns Err.
func (e *IntensityError) Unwrap() error { return e.Err }

// StuckError reports children that did not return within their shutdown
// timeout after the supervisor cancelled their context. Their goroutines are
// still running: the supervisor stopped waiting for them, but Go cannot stop
// a goroutine from outside.
type StuckError struct {
	// Supervisor is the name of the supervisor that stopped waiting.
	Supervisor string
	// Children are the names of the stuck children, in the order in which
	// the supervisor gave up on them.
	Children []string
}

// Error names the supervisor and the stuck children.
func (e *StuckError) Error() string {
	return fmt.Sprintf("supervisor %q: children did not stop in time: %s",
		e.Supervisor, strings.Join(e.Children, ", "))
}
