package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// quiet discards the logs of tests that do not look at them.
var quiet = slog.New(slog.DiscardHandler)

// newHub serves a hub with handler on loopback and returns it with its
// ws:// URL. The test's cleanup shuts the hub down before the server.
func newHub(t *testing.T, handler Handler, opts HubOptions) (*Hub, string) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	h := NewHub(handler, opts)
	ts := newServer(t, h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return h, wsURL(ts)
}

// greet is a hub handler that sends "hi" (so that a client knows the hub
// holds its connection) and then waits for the connection to end or the
// hub to shut down.
func greet(ctx context.Context, c *conn.Conn) error {
	if err := c.SendText(ctx, "hi"); err != nil {
		return err
	}
	select {
	case <-c.Done():
		return c.Err()
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// join dials the hub and waits for its greeting.
func join(t *testing.T, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	c := dial(t, url, opts...)
	if m := receive(t, c); m.String() != "hi" {
		t.Fatalf("greeting = %q", m.Data)
	}
	return c
}

// upgradeRequest is a valid WebSocket upgrade request for ServeHTTP.
func upgradeRequest() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Key", handshake.NewKey())
	r.Header.Set("Sec-WebSocket-Version", "13")
	return r
}

func TestHubRefusesConnectionsPastItsLimitWith503BeforeHijacking(t *testing.T) {
	const limit = 3
	logs := &logCapture{}
	h, url := newHub(t, greet, HubOptions{MaxConns: limit, Logger: logs.logger()})
	var clients []*conn.Conn
	for range limit {
		clients = append(clients, join(t, url))
	}

	_, err := conn.Dial(testCtx(t), url)
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Dial past the limit = %v, want a 503 refusal", err)
	}
	// A ResponseRecorder cannot be hijacked: had the hub tried to accept,
	// the answer would be a 500. It answers 503 without trying.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, upgradeRequest())
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ServeHTTP past the limit answered %d, want 503", rec.Code)
	}
	if n := h.Len(); n != limit {
		t.Errorf("Len = %d, want %d", n, limit)
	}
	if recs := logs.find("at capacity"); len(recs) != 2 || recs[0].level != slog.LevelWarn {
		t.Errorf("refusals logged as %v, want 2 warnings", recs)
	}

	// A connection that leaves frees its place.
	clients[0].Close(0, "")
	eventually(t, "the hub to let the first connection go", func() bool { return h.Len() == limit-1 })
	join(t, url)
}

func TestHubWithRoomTriesToAcceptTheRequest(t *testing.T) {
	h := NewHub(greet, HubOptions{MaxConns: 1, Logger: quiet})
	defer h.Shutdown(context.Background())
	// The contrast to the test above: below the limit the hub hijacks,
	// which a ResponseRecorder refuses.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, upgradeRequest())
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("ServeHTTP answered %d, want the 500 of a failed hijack", rec.Code)
	}
	// The failed attempt gave its place back.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, upgradeRequest())
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("second ServeHTTP answered %d, want 500 again, not 503", rec.Code)
	}
}

func TestHubAnswersABadHandshakeWithItsStatus(t *testing.T) {
	h, url := newHub(t, greet, HubOptions{MaxConns: 1})
	resp, err := http.Get("http" + url[len("ws"):])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired && resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain GET answered %d, want the handshake's refusal", resp.StatusCode)
	}
	join(t, url) // the refused request did not keep the only place
	if h.Len() != 1 {
		t.Errorf("Len = %d, want 1", h.Len())
	}
}

func TestHubShutdownClosesEveryConnectionWithGoingAwayWithinItsDeadline(t *testing.T) {
	logs := &logCapture{}
	causes := make(chan error, 8)
	h, url := newHub(t, func(ctx context.Context, c *conn.Conn) error {
		err := greet(ctx, c)
		causes <- context.Cause(ctx)
		return err
	}, HubOptions{Logger: logs.logger()})
	const n = 8
	var clients []*conn.Conn
	for range n {
		clients = append(clients, join(t, url))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := h.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v, past its deadline", d)
	}
	for i, c := range clients {
		if ce := closeCode(t, c); ce.Code != frames.CloseGoingAway {
			t.Errorf("client %d closed with %d, want 1001", i, ce.Code)
		}
	}
	for range n {
		if cause := <-causes; !errors.Is(cause, ErrHubClosed) {
			t.Errorf("handler context cause = %v, want ErrHubClosed", cause)
		}
	}
	if h.Len() != 0 {
		t.Errorf("Len after Shutdown = %d", h.Len())
	}
	// A shut down hub refuses new connections, without hijacking them.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, upgradeRequest())
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("ServeHTTP after Shutdown answered %d, want 503", rec.Code)
	}
	if recs := logs.find("hub shutting down"); len(recs) != 1 || recs[0].attrs["conns"].Int64() != n {
		t.Errorf("shutdown logged as %v", recs)
	}
}

func TestHubShutdownGivesUpOnAHandlerThatDoesNotReturn(t *testing.T) {
	release := make(chan struct{})
	h, url := newHub(t, func(ctx context.Context, c *conn.Conn) error {
		c.SendText(ctx, "hi")
		<-release // ignores its context and its connection
		return nil
	}, HubOptions{})
	c := join(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown took %v with a 50ms deadline", d)
	}
	// The connection was closed all the same.
	if ce := closeCode(t, c); ce.Code != frames.CloseGoingAway {
		t.Errorf("client closed with %d, want 1001", ce.Code)
	}
	close(release)
	// The cleanup's Shutdown now succeeds.
}

func TestHubRecoversAHandlerPanicAndKeepsServing(t *testing.T) {
	logs := &logCapture{}
	h, url := newHub(t, func(ctx context.Context, c *conn.Conn) error {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		if m.String() == "boom" {
			panic("handler bug")
		}
		return greet(ctx, c)
	}, HubOptions{Logger: logs.logger()})
	bad := dial(t, url)
	if err := bad.SendText(testCtx(t), "boom"); err != nil {
		t.Fatal(err)
	}
	if ce := closeCode(t, bad); ce.Code != frames.CloseInternalError || ce.Reason != "internal error" {
		t.Fatalf("panicking handler's client closed with %d %q, want 1011 \"internal error\"", ce.Code, ce.Reason)
	}
	good := dial(t, url)
	if err := good.SendText(testCtx(t), "hello"); err != nil {
		t.Fatal(err)
	}
	receive(t, good)
	if got := h.Broadcast(prepared(t, "still here")); got != 1 {
		t.Fatalf("Broadcast after the panic reached %d, want 1", got)
	}
	if m := receive(t, good); m.String() != "still here" {
		t.Fatalf("received %q", m.Data)
	}
	recs := logs.find("handler panicked")
	if len(recs) != 1 || recs[0].level != slog.LevelError || recs[0].attrs["stack"].String() == "" {
		t.Errorf("panic logged as %v, want one ERROR record with a stack", recs)
	}
}

func TestHubClosesWhatTheHandlerLeavesOpen(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		code frames.CloseCode
	}{
		{"nil", nil, frames.CloseNormal},
		{"stop", ErrStop, frames.CloseNormal},
		{"error", errors.New("bad input"), frames.CloseInternalError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, url := newHub(t, func(ctx context.Context, c *conn.Conn) error { return tt.err }, HubOptions{})
			if ce := closeCode(t, dial(t, url)); ce.Code != tt.code {
				t.Errorf("closed with %d, want %d", ce.Code, tt.code)
			}
		})
	}
}

type userKey struct{}

func TestHubHandlerContextCarriesTheRequestsValues(t *testing.T) {
	h := NewHub(func(ctx context.Context, c *conn.Conn) error {
		user, _ := ctx.Value(userKey{}).(string)
		if err := c.SendText(ctx, user); err != nil {
			return err
		}
		return awaitClose(c)
	}, HubOptions{Logger: quiet})
	defer h.Shutdown(context.Background())
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
	url := wsURL(newServer(t, auth))
	if m := receive(t, dial(t, url+"?user=ada")); m.String() != "ada" {
		t.Errorf("handler saw user %q, want ada", m.Data)
	}
}

func TestHubServesAsASupervisorChildAndReopensWhenRestarted(t *testing.T) {
	h := NewHub(greet, HubOptions{Logger: quiet, ShutdownTimeout: waitLimit})
	url := wsURL(newServer(t, h))
	rec := newRecorder()
	s := New("app", testOptions(rec), Spec{Name: "hub", Service: h})
	sv := serve(t, s)
	rec.waitFor(t, "the hub to start", has(ChildStarted, "hub", 1))
	c := join(t, url)
	if err := h.Serve(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Serve = %v, want ErrRunning", err)
	}
	if err := sv.stop(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("supervisor Serve = %v", err)
	}
	if ce := closeCode(t, c); ce.Code != frames.CloseGoingAway {
		t.Errorf("client closed with %d when the supervisor stopped, want 1001", ce.Code)
	}

	// Served again, the hub accepts connections again.
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- h.Serve(ctx) }()
	eventually(t, "the hub to reopen", func() bool {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, upgradeRequest())
		return rec.Code != http.StatusServiceUnavailable
	})
	c = join(t, url)
	// Shutdown while Serve runs: Serve returns with ErrStop, so that a
	// supervisor would not open the hub again.
	if err := h.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-result; !errors.Is(err, ErrHubClosed) || !errors.Is(err, ErrStop) {
		t.Errorf("Serve after Shutdown = %v, want ErrHubClosed and ErrStop", err)
	}
	closeCode(t, c)
}

func TestHubWithoutAHandlerAnswers500(t *testing.T) {
	h := NewHub(nil, HubOptions{Logger: quiet})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, upgradeRequest())
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("ServeHTTP answered %d, want 500", rec.Code)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestHubAcceptsConcurrentUpgrades(t *testing.T) {
	h, url := newHub(t, greet, HubOptions{ConnOptions: []conn.Option{conn.WithReadLimit(1 << 20)}})
	const n = 16
	errs := make(chan error, n)
	conns := make(chan *conn.Conn, n)
	for range n {
		go func() {
			c, err := conn.Dial(testCtx(t), url)
			if err == nil {
				_, err = c.Receive(testCtx(t))
				conns <- c
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(conns)
	for c := range conns {
		defer c.Close(0, "")
	}
	if got := h.Len(); got != n {
		t.Errorf("Len = %d, want %d", got, n)
	}
}
