package supervisor

import (
	"context"
	"fmt"
	"time"
)

// Service is anything a supervisor can run. Serve runs until the service is
// done or ctx is cancelled, and returns why it stopped. A service must return
// promptly once ctx is cancelled; one that does not is reported as stuck (see
// StuckError). A *Supervisor is a Service, so supervisors nest into trees.
type Service interface {
	Serve(ctx context.Context) error
}

// Func adapts an ordinary function to the Service interface.
type Func func(ctx context.Context) error

// Serve calls f(ctx).
func (f Func) Serve(ctx context.Context) error { return f(ctx) }

// Restart says when a child that has returned is started again, with the
// meaning of Erlang/OTP's restart types. Whatever the policy, a child whose
// error wraps ErrStop is not restarted.
type Restart int

const (
	// Permanent children are always restarted, whether they returned nil, an
	// error or panicked. It is the zero Restart.
	Permanent Restart = iota
	// Transient children are restarted only after a failure: a non-nil error
	// or a panic. A transient child that returns nil is done.
	Transient
	// Temporary children are never restarted, not even when a sibling's
	// restart stopped them under OneForAll or RestForOne.
	Temporary
)

// String returns "permanent", "transient" or "temporary".
func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("Restart(%d)", int(r))
}

// Spec describes one child of a supervisor.
type Spec struct {
	// Name identifies the child within its supervisor: it must be non-empty
	// and unique among the supervisor's current children. It appears in
	// events, logs and errors.
	Name string
	// Service is what the child runs. It must not be nil.
	Service Service
	// Restart is the child's restart policy; the zero value is Permanent.
	Restart Restart
	// ShutdownTimeout is how long the supervisor waits for the child to
	// return after cancelling its context before it reports the child as
	// stuck and stops waiting. Zero or negative means the supervisor's
	// Options.ShutdownTimeout. A child that is itself a supervisor needs
	// enough time to stop its own children.
	ShutdownTimeout time.Duration
}
