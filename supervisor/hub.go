package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/wsactor/wsactor/actor"
	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

var (
	// ErrHubClosed is the cause of a hub handler's context cancellation
	// when the hub shuts down, and is wrapped in the error Hub.Serve
	// returns when Shutdown was called while it ran.
	ErrHubClosed = errors.New("supervisor: hub closed")

	// ErrSlowConsumer is the cause of a hub handler's context cancellation
	// when the hub closes its connection for not keeping up with
	// broadcasts.
	ErrSlowConsumer = errors.New("supervisor: slow consumer")
)

// HubOptions configures a Hub. The zero HubOptions takes any number of
// connections with conn's defaults, closes slow consumers with 1013 and
// logs to slog.Default().
type HubOptions struct {
	// MaxConns is the most connections the hub serves at once; past it an
	// upgrade request is refused with 503 Service Unavailable before any
	// WebSocket is made. Zero or negative means no limit.
	MaxConns int
	// Accept is what the hub answers handshakes with: response headers and
	// the subprotocols it speaks.
	Accept conn.AcceptOptions
	// ConnOptions configure every connection the hub accepts: origin
	// patterns, limits, send buffer, keep-alive. A conn.WithContext among
	// them has no effect: the hub's connections live until its shutdown.
	ConnOptions []conn.Option
	// SlowConsumer says what a broadcast does with a connection whose send
	// queue is full. The zero value closes it with 1013 Try Again Later.
	SlowConsumer SlowPolicy
	// ShutdownTimeout is how long Serve waits, once its context ends, for
	// the connections to close and their handlers to return. Zero or
	// negative means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logger receives a record when a connection is refused, when a
	// handler fails or panics (with "stack"), when a slow consumer is
	// closed and when the hub shuts down, with attributes such as "remote"
	// and "err". Nil means slog.Default().
	Logger *slog.Logger
}

// Hub serves many WebSocket server connections: it is an http.Handler that
// upgrades each request and runs a Handler on the connection, limits how
// many connections it holds, broadcasts messages encoded once to all of
// them or to a selection, applies a policy to slow consumers and, on
// shutdown, closes every connection with 1001 Going Away. It is also a
// Service, so that it can be a child of a Supervisor. Create one with
// NewHub; its methods are safe for concurrent use.
//
// The hub supervises its handlers: a panic is recovered and logged with its
// stack, and that connection alone is closed with 1011 Internal Error. A
// connection is never restarted (a server cannot call its client back), so
// each handler runs once, in the goroutine of the ServeHTTP call that
// accepted the connection, and adds no goroutine of its own.
type Hub struct {
	handler Handler
	opts    HubOptions
	log     *slog.Logger
	sem     *semaphore.Weighted // nil without a limit

	mu      sync.Mutex
	members []*member
	active  int  // ServeHTTP calls past the limit, and slow-consumer closers
	closed  bool // Shutdown has begun: refuse new connections
	serving bool
	life    context.Context // cancelled by Shutdown
	cancel  context.CancelCauseFunc
	idle    chan struct{} // closed once closed and active is 0
	// connOpts are HubOptions.ConnOptions and WithContext(life): the
	// options of every connection of this life. The slice is not
	// modified once made.
	connOpts []conn.Option

	bmu  sync.Mutex // serialises broadcasts
	snap []*member  // the broadcast's copy of members, reused; guarded by bmu
}

// member is one connection of the hub.
type member struct {
	c      *conn.Conn
	idx    int                     // index in Hub.members; guarded by Hub.mu
	cancel context.CancelCauseFunc // cancels the handler's context
	kicked atomic.Bool             // closed as a slow consumer
}

// NewHub returns a Hub that runs handler on each connection it accepts. It
// accepts connections at once, until Shutdown.
func NewHub(handler Handler, opts HubOptions) *Hub {
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Hub{
		handler: handler,
		opts:    opts,
		log:     opts.Logger,
	}
	if opts.MaxConns > 0 {
		h.sem = semaphore.NewWeighted(int64(opts.MaxConns))
	}
	h.open()
	return h
}

// open starts a new life of the hub. It is called with h.mu held, or
// before h is shared.
func (h *Hub) open() {
	h.life, h.cancel = context.WithCancelCause(context.Background())
	h.connOpts = slices.Concat(h.opts.ConnOptions, []conn.Option{conn.WithContext(h.life)})
	h.idle = make(chan struct{})
	h.closed = false
}

// Len returns the number of connections the hub holds: accepted and not
// yet closed.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.members)
}

// ServeHTTP upgrades r to a WebSocket connection and runs the hub's
// handler on it; it returns once the handler has returned and the
// connection is closed. The handler's context carries r's context values
// (what middleware put there, such as an authenticated user) but not its
// cancellation: it is cancelled, with cause ErrHubClosed, when the hub
// shuts down, or with ErrSlowConsumer when the hub closes the connection
// for not keeping up.
//
// ServeHTTP answers 503 Service Unavailable, without hijacking the
// connection, when the hub holds MaxConns connections or is shut down, and
// the handshake's own refusal (400, 403, 426...) to a request that is not
// an acceptable WebSocket upgrade.
//
// When the handler returns, the connection is closed if it is still open:
// with 1000 if the handler returned nil (or an error wrapping ErrStop),
// 1011 Internal Error if it failed or panicked, 1001 Going Away if the hub
// is shutting down.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	remote := slog.String("remote", r.RemoteAddr)
	held := false // a place under MaxConns
	if h.sem != nil {
		if !h.sem.TryAcquire(1) {
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "supervisor: hub at capacity: connection refused",
				remote, slog.Int("max", h.opts.MaxConns))
			http.Error(w, "websocket: server at capacity", http.StatusServiceUnavailable)
			return
		}
		held = true
	}
	release := func() {
		if held {
			held = false
			h.sem.Release(1)
		}
	}
	defer release()
	life, connOpts, ok := h.enter()
	if !ok {
		http.Error(w, "websocket: server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.leave()
	if h.handler == nil {
		http.Error(w, "websocket: no handler", http.StatusInternalServerError)
		return
	}

	c, err := conn.NewFromRequest(w, r, connOpts...)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "supervisor: hub refused handshake", remote, slog.Any("err", err))
		handshake.WriteError(w, err)
		return
	}
	if err := c.Accept(r.Context(), h.opts.Accept); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "supervisor: hub accept failed", remote, slog.Any("err", err))
		return
	}

	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	m := &member{c: c, cancel: cancel}
	h.join(m)
	err = runHandler(ctx, h.handler, c)

	code, reason := closeFor(err)
	switch {
	case m.kicked.Load():
		code, reason = h.opts.SlowConsumer.code(), slowReason
	case life.Err() != nil, errors.Is(context.Cause(ctx), ErrHubClosed):
		code, reason = frames.CloseGoingAway, "going away"
	}
	h.logEnd(ctx, remote, err, context.Cause(ctx))
	c.Close(code, reason)
	cancel(nil)
	// The place is free before the member is gone, so that once Len
	// counts a connection out a new one is taken.
	release()
	h.drop(m)
}

// logEnd logs how a handler ended. An end caused by the connection's close,
// the hub's shutdown or a slow-consumer close (cause is the handler
// context's cause) is routine.
func (h *Hub) logEnd(ctx context.Context, remote slog.Attr, err, cause error) {
	level, msg := slog.LevelDebug, "supervisor: hub connection ended"
	var pe *actor.PanicError
	switch {
	case errors.As(err, &pe):
		level, msg = slog.LevelError, "supervisor: hub handler panicked"
	case err != nil && cause == nil && !errors.Is(err, conn.ErrClosed):
		level, msg = slog.LevelWarn, "supervisor: hub handler failed"
	}
	if h.log.Enabled(ctx, level) {
		h.log.LogAttrs(ctx, level, msg, append([]slog.Attr{remote}, errAttrs(err)...)...)
	}
}

// enter counts a ServeHTTP call and returns the hub's life and the options
// of its connections, unless the hub is shut down.
func (h *Hub) enter() (context.Context, []conn.Option, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, false
	}
	h.active++
	return h.life, h.connOpts, true
}

// leave ends what enter (or a slow-consumer closer) counted.
func (h *Hub) leave() {
	h.mu.Lock()
	h.active--
	h.signalIdleLocked()
	h.mu.Unlock()
}

// signalIdleLocked closes idle if the hub is shut down and nothing runs.
func (h *Hub) signalIdleLocked() {
	if h.closed && h.active == 0 {
		select {
		case <-h.idle:
		default:
			close(h.idle)
		}
	}
}

// join adds m to the members. A member that joins a hub shutting down has
// its handler's context cancelled at once.
func (h *Hub) join(m *member) {
	h.mu.Lock()
	m.idx = len(h.members)
	h.members = append(h.members, m)
	if h.closed {
		m.cancel(ErrHubClosed)
	}
	h.mu.Unlock()
}

// drop removes m from the members.
func (h *Hub) drop(m *member) {
	h.mu.Lock()
	last := len(h.members) - 1
	h.members[m.idx] = h.members[last]
	h.members[m.idx].idx = m.idx
	h.members[last] = nil
	h.members = h.members[:last]
	h.mu.Unlock()
}

// Shutdown stops the hub: it refuses new connections with 503, closes
// every connection with 1001 Going Away, cancels the handlers' contexts
// (cause ErrHubClosed) and waits until every handler has returned and every
// connection is closed, or until ctx ends. It returns nil when all are
// done, and otherwise an error wrapping ctx's error that counts those still
// running: their goroutines are left to end by themselves. Shutdown may be
// called more than once; each call waits.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		// The handlers learn of the shutdown before their connections
		// start closing.
		for _, m := range h.members {
			m.cancel(ErrHubClosed)
		}
		h.cancel(ErrHubClosed)
		h.log.LogAttrs(ctx, slog.LevelInfo, "supervisor: hub shutting down", slog.Int("conns", len(h.members)))
		h.signalIdleLocked()
	}
	idle := h.idle
	h.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	h.mu.Lock()
	left := h.active
	h.mu.Unlock()
	err := fmt.Errorf("supervisor: hub shutdown: %d connections did not finish: %w", left, ctx.Err())
	h.log.LogAttrs(ctx, slog.LevelError, "supervisor: hub shutdown incomplete", slog.Int("running", left), slog.Any("err", err))
	return err
}

// Serve runs the hub as a Service: the hub accepts connections (a hub that
// was shut down is opened again) until ctx ends, then shuts down as
// Shutdown does, waiting at most HubOptions.ShutdownTimeout, and returns
// ctx.Err(), joined with Shutdown's error if connections did not finish in
// time. If Shutdown is called while Serve runs, Serve returns at once an
// error wrapping ErrHubClosed and ErrStop, so that a parent supervisor does
// not open the hub again. Serve returns an error wrapping ErrRunning if it
// is already running.
func (h *Hub) Serve(ctx context.Context) error {
	h.mu.Lock()
	if h.serving {
		h.mu.Unlock()
		return fmt.Errorf("supervisor: hub: %w", ErrRunning)
	}
	h.serving = true
	if h.closed {
		h.open()
	}
	life := h.life
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.serving = false
		h.mu.Unlock()
	}()

	select {
	case <-ctx.Done():
	case <-life.Done():
		return fmt.Errorf("supervisor: hub: Shutdown called: %w (%w)", ErrHubClosed, ErrStop)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.ShutdownTimeout)
	defer cancel()
	if err := h.Shutdown(sctx); err != nil {
		return errors.Join(ctx.Err(), err)
	}
	return ctx.Err()
}
