// Package supervisor brings Erlang/OTP-style supervision trees to Go: it runs
// services, watches them fail, and restarts them by policy, so that a
// WebSocket client that loses its server, or a handler that hits a bug,
// recovers without the rest of the program noticing. On top of the tree it
// offers a reconnecting WebSocket Client and a Hub that serves many server
// connections.
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
//
// # A reconnecting client
//
// A Client is a Service that keeps a WebSocket client connected: it dials a
// URL with conn's options, runs a Handler (func(ctx, *conn.Conn) error) on
// the connection and, when the handler returns or the dial fails, dials
// again after a Backoff delay, until its context ends. The delay grows with
// each failure in a row and starts again from Backoff.Min once a connection
// has run for Backoff.ResetAfter; a 503 or 429 refusal's Retry-After is
// honoured up to Backoff.Max. Each dial, handshake included, is bounded by
// ClientOptions.DialTimeout.
//
// Not every failure is worth another dial. Retryable, the default of
// ClientOptions.Retry, retries network errors, timeouts, 5xx refusals and
// closes such as 1001 Going Away, 1006 (dropped), 1011 to 1014; it gives up
// on handshake refusals such as 401, 403 and 404, on servers that do not
// speak WebSocket, on closes that blame the client (1002, 1003, 1007 to
// 1010), and on a handler error wrapping ErrStop. Serve then returns the
// error wrapped with ErrStop, so that a parent supervisor does not restart
// the client either. When its context ends, Serve closes the connection
// with 1001 Going Away and returns once the closing handshake is over.
//
// A Client's state (stopped, dialing, connected, backoff) can be read with
// State, and watched with Watch, which returns the current ClientStatus
// (state, failures in a row, last error, backoff delay) and a channel that
// is closed at the next change, to use in a select. Every step is also
// logged through log/slog.
//
// # A hub for server connections
//
// A Hub is an http.Handler that upgrades requests with conn.Upgrade's
// rules and runs a Handler on each connection, in the goroutine of the
// ServeHTTP call, so that it costs no goroutine beyond the connection's
// own. The handler's context carries the request's values (what
// authentication middleware put there) but is cancelled only by the hub.
// The hub supervises its handlers: a panic is recovered, logged with its
// stack, and that connection alone is closed with 1011 Internal Error. A
// connection is never restarted: only its client can come back.
//
// HubOptions.MaxConns bounds how many connections the hub holds, with a
// golang.org/x/sync/semaphore; past it a request is refused with 503
// Service Unavailable before anything is hijacked.
//
// Broadcast sends a conn.PreparedMessage, encoded once, to every
// connection, and BroadcastFunc to those a function selects. Neither waits
// for a connection: each connection's writer sends the same frame bytes
// from its own queue, and a connection whose queue is full (conn's
// ErrSendQueueFull, a peer that does not read) is a slow consumer, handled
// by HubOptions.SlowConsumer: closed with 1013 Try Again Later (the
// default: the server casts off a client over a temporary condition, and a
// reconnecting client comes back), closed with 1008 Policy Violation, or
// left open with the message dropped. Broadcasts are serialised, so every
// connection receives them in the same order.
//
// Shutdown refuses new connections, cancels the handlers' contexts, closes
// every connection with 1001 Going Away and waits for all of them within
// its context's deadline. A Hub is also a Service: its Serve accepts
// connections until its context ends and then shuts down within
// HubOptions.ShutdownTimeout, so a hub can be a child of a Supervisor.
package supervisor
