package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// DefaultDialTimeout bounds each dial of a Client whose
// ClientOptions.DialTimeout is zero.
const DefaultDialTimeout = 10 * time.Second

// ClientState is where a Client is in its cycle of dialling, serving a
// connection and waiting to dial again.
type ClientState int

const (
	// ClientStopped: Serve is not running; it has not been called or it
	// has returned. It is the zero ClientState.
	ClientStopped ClientState = iota
	// ClientDialing: the client is dialling the server and performing the
	// opening handshake.
	ClientDialing
	// ClientConnected: a connection is open and the handler runs on it.
	ClientConnected
	// ClientBackoff: the last dial or connection failed; the client waits
	// out its backoff delay before it dials again.
	ClientBackoff
)

// String returns "stopped", "dialing", "connected" or "backoff".
func (s ClientState) String() string {
	switch s {
	case ClientStopped:
		return "stopped"
	case ClientDialing:
		return "dialing"
	case ClientConnected:
		return "connected"
	case ClientBackoff:
		return "backoff"
	}
	return fmt.Sprintf("ClientState(%d)", int(s))
}

// ClientStatus is a snapshot of a Client, as returned by Watch.
type ClientStatus struct {
	// State is where the client is.
	State ClientState
	// Failures counts the dials that failed and the connections that
	// ended before running for Backoff.ResetAfter, one after the other. It
	// goes back to 0 when a connection ends after running that long, and
	// it sets the backoff delay: Backoff.Next(Failures-1).
	Failures int
	// Err is what ended the last dial or connection (the handler's error,
	// or how the connection closed if the handler returned nil); nil until
	// one has ended. Once Serve has returned, Err is what it returned.
	Err error
	// Delay is, in ClientBackoff, how long the client waits before it
	// dials again; 0 in the other states.
	Delay time.Duration
}

// ClientOptions configures a Client. The zero ClientOptions dials with
// conn's defaults, DefaultBackoff and DefaultDialTimeout, retries what
// Retryable says and logs to slog.Default().
type ClientOptions struct {
	// ConnOptions configure every connection the client dials: request
	// headers, subprotocols, TLS, limits, keep-alive. A conn.WithContext
	// among them has no effect: the client's connections live until
	// Serve's context ends.
	ConnOptions []conn.Option
	// Backoff is the delay policy between dials; the zero Backoff means
	// DefaultBackoff. A connection that ran for at least Backoff.ResetAfter
	// counts as healthy: the next delay starts from Backoff.Min again.
	Backoff Backoff
	// DialTimeout bounds each dial, opening handshake included. Zero means
	// DefaultDialTimeout; negative means no bound but Serve's context.
	DialTimeout time.Duration
	// Retry decides whether the client dials again after err ended a dial
	// or a connection; when it returns false, Serve returns. Nil means
	// Retryable. Retry is called from the goroutine running Serve.
	Retry func(err error) bool
	// Logger receives a record when the client connects, when a dial or a
	// connection fails (with the error and the backoff delay), when it
	// gives up and when it stops, with attributes "url" (without its query,
	// which may hold credentials), "err", "failures" and "backoff". Nil
	// means slog.Default().
	Logger *slog.Logger
}

// Client is a reconnecting WebSocket client: a Service that dials a URL,
// runs a Handler on the connection and, when the connection ends or the
// dial fails, dials again after a backoff delay, until its context ends or
// an error is not worth retrying (see Retryable). Create one with
// NewClient; its methods are safe for concurrent use.
type Client struct {
	url     string
	logURL  string
	handler Handler
	opts    ClientOptions
	log     *slog.Logger

	mu      sync.Mutex
	serving bool
	status  ClientStatus
	changed chan struct{} // closed at the next change of status
}

// NewClient returns a Client that dials url (ws, wss, http or https) with
// opts.ConnOptions and runs handler on each connection. Nothing is dialled
// until Serve.
func NewClient(url string, handler Handler, opts ClientOptions) *Client {
	if opts.Backoff == (Backoff{}) {
		opts.Backoff = DefaultBackoff
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.Retry == nil {
		opts.Retry = Retryable
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Client{
		url:     url,
		logURL:  logURL(url),
		handler: handler,
		opts:    opts,
		log:     opts.Logger,
		changed: make(chan struct{}),
	}
}

// logURL returns u without its user information, query and fragment, for
// logs and errors.
func logURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path}).String()
}

// State returns the client's current state.
func (cl *Client) State() ClientState {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.status.State
}

// Watch returns the client's current status and a channel that is closed
// at its next change, so that a watcher can select on changes alongside
// other channels:
//
//	for {
//		st, changed := client.Watch()
//		show(st)
//		select {
//		case <-changed:
//		case <-ctx.Done():
//			return
//		}
//	}
//
// A watcher sees the latest status, not every step: changes that happen
// while it is busy are folded into the next status it reads. Every step is
// logged (see ClientOptions.Logger).
func (cl *Client) Watch() (ClientStatus, <-chan struct{}) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.status, cl.changed
}

// setStatus records st and wakes the watchers.
func (cl *Client) setStatus(st ClientStatus) {
	cl.mu.Lock()
	cl.status = st
	close(cl.changed)
	cl.changed = make(chan struct{})
	cl.mu.Unlock()
}

// Serve dials and serves connections until ctx ends or an error is not
// worth retrying. Each connection runs the handler with ctx; when the
// handler returns, the client closes the connection if it is still open
// (1000 if the handler returned nil or an error wrapping ErrStop, 1011 if
// it failed or panicked) and, unless ClientOptions.Retry says otherwise,
// dials again after the backoff delay. A 503 or 429 refusal whose Retry-After header asks for a longer
// wait than the delay is honoured, up to Backoff.Max.
//
// When ctx ends, the open connection is closed with 1001 Going Away and
// Serve returns ctx.Err() once the handler has returned and the closing
// handshake is over (bounded by the connection's close timeout). When an
// error is not worth retrying, Serve returns it; unless it wraps ErrStop
// already, it is wrapped together with ErrStop, so that a parent
// supervisor does not restart the client either, and errors.Is and
// errors.As still find the cause (a *handshake.StatusError for a refused
// handshake, a *conn.CloseError for a close).
//
// A Client can be served again after Serve returns. Serve returns an error
// wrapping ErrRunning if it is already being served, and one wrapping
// ErrInvalid and ErrStop if the handler is nil.
func (cl *Client) Serve(ctx context.Context) error {
	if cl.handler == nil {
		return fmt.Errorf("supervisor: client %s: nil Handler: %w (%w)", cl.logURL, ErrInvalid, ErrStop)
	}
	cl.mu.Lock()
	if cl.serving {
		cl.mu.Unlock()
		return fmt.Errorf("supervisor: client %s: %w", cl.logURL, ErrRunning)
	}
	cl.serving = true
	cl.mu.Unlock()

	err := cl.loop(ctx)

	cl.mu.Lock()
	cl.serving = false
	cl.mu.Unlock()
	cl.setStatus(ClientStatus{State: ClientStopped, Err: err})
	return err
}

// loop is Serve's cycle of dials, connections and delays.
func (cl *Client) loop(ctx context.Context) error {
	connOpts := append(slices.Clone(cl.opts.ConnOptions), conn.WithContext(ctx))
	urlAttr := slog.String("url", cl.logURL)
	var (
		failures int
		lastErr  error
		timer    *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			cl.log.LogAttrs(ctx, slog.LevelInfo, "supervisor: client stopped", urlAttr)
			return err
		}
		cl.setStatus(ClientStatus{State: ClientDialing, Failures: failures, Err: lastErr})
		c, err := cl.dial(ctx, connOpts)
		connected := err == nil
		var ran time.Duration
		if connected {
			cl.setStatus(ClientStatus{State: ClientConnected, Failures: failures, Err: lastErr})
			cl.log.LogAttrs(ctx, slog.LevelInfo, "supervisor: client connected", urlAttr,
				slog.Int("failures", failures))
			start := time.Now()
			err = cl.run(ctx, c)
			ran = time.Since(start)
		}
		lastErr = err
		if ctx.Err() != nil {
			continue // report the stop above
		}
		if !cl.opts.Retry(err) {
			if !errors.Is(err, ErrStop) {
				err = fmt.Errorf("supervisor: client %s: giving up: %w (%w)", cl.logURL, err, ErrStop)
			}
			cl.log.LogAttrs(ctx, slog.LevelError, "supervisor: client giving up", append([]slog.Attr{urlAttr}, errAttrs(err)...)...)
			return err
		}
		if connected && ran >= cl.opts.Backoff.resetAfter() {
			failures = 0
		}
		delay := cl.opts.Backoff.Next(failures)
		if wait := retryAfter(err, time.Now()); wait > delay {
			_, ceiling := cl.opts.Backoff.bounds()
			delay = min(wait, ceiling)
		}
		failures++
		cl.setStatus(ClientStatus{State: ClientBackoff, Failures: failures, Err: err, Delay: delay})
		msg, level := "supervisor: client dial failed", slog.LevelWarn
		if connected {
			msg = "supervisor: client disconnected"
			if cleanEnd(err) {
				level = slog.LevelInfo
			}
		}
		attrs := append([]slog.Attr{urlAttr, slog.Int("failures", failures), slog.Duration("backoff", delay)}, errAttrs(err)...)
		cl.log.LogAttrs(ctx, level, msg, attrs...)

		if timer == nil {
			timer = time.NewTimer(delay)
		} else {
			timer.Reset(delay)
		}
		select {
		case <-timer.C:
		case <-ctx.Done():
		}
	}
}

// dial makes one connection, bounded by the dial timeout.
func (cl *Client) dial(ctx context.Context, opts []conn.Option) (*conn.Conn, error) {
	if cl.opts.DialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cl.opts.DialTimeout)
		defer cancel()
	}
	return conn.Dial(ctx, cl.url, opts...)
}

// run runs the handler on c, closes c and returns why the connection
// ended: the handler's error, or c's own if the handler returned nil.
func (cl *Client) run(ctx context.Context, c *conn.Conn) error {
	err := runHandler(ctx, cl.handler, c)
	code, reason := closeFor(err)
	if ctx.Err() != nil {
		// c's context is ctx: the controller is already closing it with
		// 1001; this Close only waits.
		code, reason = frames.CloseGoingAway, "going away"
	}
	c.Close(code, reason)
	if err == nil {
		err = c.Err()
	}
	return err
}

// cleanEnd reports whether err is a connection's orderly end: a closing
// handshake with 1000, 1001 or no code.
func cleanEnd(err error) bool {
	var ce *conn.CloseError
	if !errors.As(err, &ce) || ce.Err != nil {
		return false
	}
	switch ce.Code {
	case frames.CloseNormal, frames.CloseGoingAway, frames.CloseNoStatus:
		return true
	}
	return false
}
