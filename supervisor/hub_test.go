package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
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

func TestHubBroadcastReachesEveryConnectionExactlyOnceInOrder(t *testing.T) {
	h, url := newHub(t, greet, HubOptions{})
	const n = 20
	var clients []*conn.Conn
	for range n {
		clients = append(clients, join(t, url))
	}
	words := []string{"one", "two", "three", "end"}
	for _, w := range words {
		if got := h.Broadcast(prepared(t, w)); got != n {
			t.Fatalf("Broadcast(%q) reached %d connections, want %d", w, got, n)
		}
	}
	for i, c := range clients {
		for _, w := range words {
			if m := receive(t, c); m.String() != w {
				t.Fatalf("client %d received %q, want %q", i, m.Data, w)
			}
		}
	}
	// Nothing more is on its way: a message sent now is the next one.
	if got := h.Broadcast(prepared(t, "last")); got != n {
		t.Fatalf("Broadcast reached %d", got)
	}
	for i, c := range clients {
		if m := receive(t, c); m.String() != "last" {
			t.Fatalf("client %d received %q after the end, want \"last\"", i, m.Data)
		}
	}
	if got := h.Broadcast(nil); got != 0 {
		t.Errorf("Broadcast(nil) = %d", got)
	}
}

func TestHubBroadcastFuncReachesOnlyTheSelection(t *testing.T) {
	// Each client says its number first; the handler keeps it beside the
	// connection, as an application keeps its own state per connection.
	var ids sync.Map // *conn.Conn -> int
	h, url := newHub(t, func(ctx context.Context, c *conn.Conn) error {
		m, err := c.Receive(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.Atoi(m.String())
		if err != nil {
			return err
		}
		ids.Store(c, id)
		defer ids.Delete(c)
		return greet(ctx, c)
	}, HubOptions{})
	const n = 10
	var clients []*conn.Conn
	for i := range n {
		c := dial(t, url)
		if err := c.SendText(testCtx(t), strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
		receive(t, c) // the greeting
		clients = append(clients, c)
	}
	even := func(c *conn.Conn) bool {
		id, ok := ids.Load(c)
		return ok && id.(int)%2 == 0
	}
	if got := h.BroadcastFunc(prepared(t, "even"), even); got != n/2 {
		t.Fatalf("BroadcastFunc reached %d connections, want %d", got, n/2)
	}
	if got := h.Broadcast(prepared(t, "all")); got != n {
		t.Fatalf("Broadcast reached %d connections, want %d", got, n)
	}
	for i, c := range clients {
		want := "all"
		if i%2 == 0 {
			if m := receive(t, c); m.String() != "even" {
				t.Fatalf("client %d received %q, want \"even\"", i, m.Data)
			}
		}
		if m := receive(t, c); m.String() != want {
			t.Fatalf("client %d received %q, want %q", i, m.Data, want)
		}
	}
}

// slowSetup is a hub with a small send buffer, a fast client that reads
// everything and a slow client that reads nothing until the test says.
type slowSetup struct {
	h       *Hub
	slow    *conn.Conn
	sent    int64 // broadcasts so far
	fastGot atomic.Int64
	notify  chan struct{}
}

// newSlowSetup builds a slowSetup with policy and broadcasts 64 KiB
// messages until one misses the slow client, and returns how many reached
// it before.
func newSlowSetup(t *testing.T, policy SlowPolicy, logs *logCapture) (*slowSetup, int) {
	t.Helper()
	h, url := newHub(t, greet, HubOptions{
		SlowConsumer: policy,
		ConnOptions:  []conn.Option{conn.WithSendBuffer(64 << 10), conn.WithCloseTimeout(waitLimit)},
		Logger:       logs.logger(),
	})
	s := &slowSetup{h: h, notify: make(chan struct{}, 1)}
	fast := join(t, url)
	s.slow = join(t, url, conn.WithReceiveQueue(1, 1))
	go func() {
		for {
			if _, err := fast.Receive(context.Background()); err != nil {
				return // closed by the test's cleanup
			}
			s.fastGot.Add(1)
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}()
	pm, err := conn.NewPreparedMessage(frames.OpBinary, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		switch sent := s.broadcast(t, pm); sent {
		case 2:
		case 1:
			return s, i
		default:
			t.Fatalf("broadcast %d reached %d connections, the fast one included", i, sent)
		}
	}
	t.Fatal("the slow client's queue never filled")
	return nil, 0
}

// broadcast broadcasts pm and waits until the fast client has it, so that
// the fast client's queue is empty at each broadcast. It returns how many
// connections the broadcast reached.
func (s *slowSetup) broadcast(t *testing.T, pm *conn.PreparedMessage) int {
	t.Helper()
	sent := s.h.Broadcast(pm)
	s.sent++
	timeout := time.After(waitLimit)
	for s.fastGot.Load() < s.sent {
		select {
		case <-s.notify:
		case <-timeout:
			t.Fatalf("broadcast %d: the fast client was held up", s.sent)
		}
	}
	return sent
}

func TestHubClosesASlowConsumerWithoutHoldingUpTheOthers(t *testing.T) {
	for _, tt := range []struct {
		policy SlowPolicy
		code   frames.CloseCode
	}{
		{SlowTryAgainLater, frames.CloseTryAgainLater},
		{SlowPolicyViolation, frames.ClosePolicyViolation},
	} {
		t.Run(tt.policy.String(), func(t *testing.T) {
			logs := &logCapture{}
			s, reached := newSlowSetup(t, tt.policy, logs)
			h, slow := s.h, s.slow
			// The slow client reads at last: what reached it, then the close.
			received := 0
			ctx := testCtx(t)
			var err error
			for {
				if _, err = slow.Receive(ctx); err != nil {
					break
				}
				received++
			}
			ce := asClose(err)
			if ce.Code != tt.code || ce.Reason != "slow consumer" {
				t.Fatalf("slow client ended with %v, want %d \"slow consumer\"", err, tt.code)
			}
			if received != reached {
				t.Errorf("slow client received %d messages, want the %d queued before its close", received, reached)
			}
			eventually(t, "the hub to let the slow consumer go", func() bool { return h.Len() == 1 })
			if recs := logs.find("closing a slow consumer"); len(recs) != 1 || recs[0].attrs["code"].Int64() != int64(tt.code) {
				t.Errorf("slow consumer logged as %v, want one record with code %d", recs, tt.code)
			}
		})
	}
}

func TestHubDropsMessagesForASlowConsumerUnderSlowDrop(t *testing.T) {
	s, reached := newSlowSetup(t, SlowDrop, &logCapture{})
	h, slow := s.h, s.slow
	pm, err := conn.NewPreparedMessage(frames.OpBinary, make([]byte, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	// The queue empties only as fast as TCP takes its bytes: a broadcast
	// may reach the slow client again, or miss it again.
	drops := 1
	for range 20 {
		switch got := s.broadcast(t, pm); got {
		case 1:
			drops++
		case 2:
			reached++
		default:
			t.Fatalf("Broadcast reached %d connections, the fast one included", got)
		}
	}
	// Once the slow client reads, it gets what was queued (not the
	// dropped messages) and the connection stays open for later ones.
	received := make(chan int)
	go func() {
		n := 0
		for {
			m, err := slow.Receive(context.Background())
			if err != nil || m.Opcode == frames.OpText {
				received <- n
				return
			}
			n++
		}
	}()
	marker := prepared(t, "caught up")
	deadline := time.Now().Add(waitLimit)
	for s.broadcast(t, marker) != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the slow client's queue never had room again")
		}
		time.Sleep(time.Millisecond)
	}
	if n := <-received; n != reached {
		t.Errorf("slow client received %d binary messages, want the %d queued for it (%d dropped)", n, reached, drops)
	}
	if slow.State() != conn.Open || h.Len() != 2 {
		t.Errorf("after the drops: client %v, hub holds %d; want open, 2", slow.State(), h.Len())
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

func TestSlowPolicyString(t *testing.T) {
	for p, want := range map[SlowPolicy]string{
		SlowTryAgainLater: "try-again-later", SlowPolicyViolation: "policy-violation", SlowDrop: "drop", 9: "SlowPolicy(9)",
	} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(p), got, want)
		}
	}
	if got := fmt.Sprint(ClientBackoff); got != "backoff" {
		t.Errorf("ClientBackoff prints as %q", got)
	}
}
