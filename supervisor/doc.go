// Package supervisor brings Erlang/OTP-style supervision trees to Go: it runs
// services, watches them fail, and restarts them by policy, so that a
// WebSocket client that loses its server, or a handler that hits a bug,
// recovers without the rest of the program noticing.
//
// A Service is anything with a Serve(ctx) error method; Func adapts a plain
// function. A Supervisor runs a list of children, each described by a Spec:
// a name, a Service and a Restart policy. A Supervisor is itself a Service,
// so supervisors nest: a supervisor that gives up fails to its parent, which
// applies its own policy, and so on up the tree.
//
// # Restarting
//
// When a child's Serve returns, its Restart policy decides whether it runs
// again: Permanent children always do, Transient children only after a
// failure (a non-nil error or a panic), Temporary children never. An error
// wrapping ErrStop ends a child for good whatever its policy. A child that
// will not run again is forgotten: Children no longer lists it and its name
// can be added again.
//
// A panic in a child is recovered (see actor.Run) and handled like an error:
// the child's error is then an *actor.PanicError carrying the panic value
// and stack, and the log record of its exit has the stack as an attribute.
//
// The supervisor's Strategy decides which siblings restart with a child:
// OneForOne restarts only that child; OneForAll stops every other child and
// restarts them all; RestForOne stops and restarts the children that come
// after it in start order. Start order is the order of New's arguments and
// then of Add calls. Siblings are stopped in reverse start order and all are
// started again in start order.
//
// Before a restart the supervisor waits for a Backoff delay, which grows
// exponentially with consecutive restarts of the same child, with jitter, and
// is reset once the child has run well for Backoff.ResetAfter. The restart
// intensity (Options.MaxRestarts within Options.Period) bounds how often
// children may restart; beyond it the supervisor stops everything and Serve
// returns an *IntensityError naming the child and carrying its error, which
// a parent supervisor sees as that child's failure.
//
// # Stopping
//
// When Serve's context is cancelled, the supervisor stops its children in
// reverse start order, one at a time: it cancels the child's context and
// waits for its Serve to return, for at most the child's shutdown timeout.
// Go cannot kill a goroutine, so a child that does not return in time is
// reported as stuck (a ChildStuck event, and a *StuckError joined to Serve's
// error) and left running; the supervisor does not wait for it forever. Such
// stuck children are the only goroutines of a supervisor that can outlive
// Serve. The same timeout applies when a sibling's restart or Remove stops a
// child: a stuck child is then abandoned and, if it is to be restarted, a new
// instance starts while the old one may still be running.
//
// Each child runs in one goroutine of its own, with a context that carries
// the values of Serve's context but is cancelled by the supervisor; the
// supervisor's own loop runs in the goroutine that calls Serve.
//
// # Observing
//
// Every event (a child started, exited, restarting or stuck, the intensity
// exceeded, the supervisor stopped) is logged through log/slog with
// structured attributes and passed to the optional Options.OnEvent hook.
// Children returns a snapshot of the children's states and restart counts.
package supervisor
