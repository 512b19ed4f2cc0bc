// Package actor is the small concurrency kernel of wsactor: a Group of linked
// goroutines that are started together and live and die together.
//
// A WebSocket connection in wsactor is three actors (a reader, a writer and a
// controller) that must share one fate: when any of them fails, the others
// must stop, and the connection is over only when all three have returned.
// Group gives exactly that and nothing more:
//
//   - Start runs one goroutine per function, each with a context derived
//     from the parent.
//   - The first function to return a non-nil error, or to panic, cancels the
//     shared context with that error as its cause (see [context.Cause]), and
//     that error becomes the group's error. Later errors are dropped.
//   - A function that returns nil does not disturb the others.
//   - [Group.Done] is closed by the last function to return, so a group costs
//     exactly one goroutine per function and no watcher goroutine.
//
// A panic in a function is recovered and turned into a [*PanicError] that
// carries the panic value and the stack of the panicking goroutine, so a bug
// in one actor fails its group instead of crashing the program. [Run] offers
// the same recovery for a single function; package supervisor uses it to run
// its children.
//
// The package knows nothing of WebSockets and imports only the standard
// library. It does not use golang.org/x/sync/errgroup because
// errgroup.Group.Wait must be called from some goroutine to learn that all
// functions have returned; Group instead lets the last function to return
// close Done, so a caller can select on it alongside other channels without
// a goroutine of its own.
package actor
