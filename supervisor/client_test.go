package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// dialCounter is a test server that numbers the requests it gets (from 1),
// notes when each arrived, and answers request i with serve(i, w, r).
type dialCounter struct {
	mu    sync.Mutex
	times []time.Time
	serve func(i int, w http.ResponseWriter, r *http.Request)
	url   string
}

func newDialCounter(t *testing.T, serve func(i int, w http.ResponseWriter, r *http.Request)) *dialCounter {
	d := &dialCounter{serve: serve}
	d.url = wsURL(newServer(t, d))
	return d
}

func (d *dialCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.times = append(d.times, time.Now())
	i := len(d.times)
	d.mu.Unlock()
	d.serve(i, w, r)
}

// dials returns the number of requests so far.
func (d *dialCounter) dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.times)
}

// gaps returns the time between consecutive requests.
func (d *dialCounter) gaps() []time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(d.times); i++ {
		out = append(out, d.times[i].Sub(d.times[i-1]))
	}
	return out
}

// fastBackoff is a backoff without jitter for quick tests: 1 ms, doubling
// up to 4 ms.
var fastBackoff = Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond, Multiplier: 2, ResetAfter: time.Hour}

// serveClient runs cl.Serve in the background and returns its result
// channel; the test's cleanup cancels it and waits.
func serveClient(t *testing.T, cl *Client) (context.CancelFunc, chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- cl.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-result:
			result <- err
		case <-time.After(waitLimit):
			t.Error("Client.Serve did not return after cancel")
		}
	})
	return cancel, result
}

// serveResult waits for Serve's result.
func serveResult(t *testing.T, result chan error) error {
	t.Helper()
	select {
	case err := <-result:
		result <- err // for the cleanup
		return err
	case <-time.After(waitLimit):
		t.Fatal("Client.Serve did not return")
		return nil
	}
}

// readUntilClosed is a handler that receives until the connection ends and
// returns that error.
func readUntilClosed(ctx context.Context, c *conn.Conn) error {
	for {
		if _, err := c.Receive(ctx); err != nil {
			return err
		}
	}
}

func TestClientRedialsAServerThatDropsItWithExponentialBackoff(t *testing.T) {
	const want = 7
	logs := &logCapture{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if i == want {
			cancel()
		}
		dropUpgrade(w, r)
	})
	b := Backoff{Min: 2 * time.Millisecond, Max: 16 * time.Millisecond, Multiplier: 2, ResetAfter: time.Hour}
	cl := NewClient(srv.url, readUntilClosed, ClientOptions{Backoff: b, Logger: logs.logger()})
	if err := cl.Serve(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
	if got := srv.dials(); got != want {
		t.Fatalf("server saw %d dials, want %d (no dial after the context ended)", got, want)
	}

	// Every connection was dropped (1006): each redial waited one more step
	// of the backoff, and the server saw the waits.
	ended := logs.find("client disconnected")
	wantDelays := []time.Duration{2, 4, 8, 16, 16, 16}
	if len(ended) < len(wantDelays) {
		t.Fatalf("%d disconnections logged, want at least %d", len(ended), len(wantDelays))
	}
	gaps := srv.gaps()
	for i, w := range wantDelays {
		w *= time.Millisecond
		rec := ended[i]
		if got := rec.attrs["backoff"].Duration(); got != w {
			t.Errorf("delay %d = %v, want %v", i, got, w)
		}
		if got := rec.attrs["failures"].Int64(); got != int64(i+1) {
			t.Errorf("failures after disconnection %d = %d, want %d", i, got, i+1)
		}
		var ce *conn.CloseError
		if err, _ := rec.attrs["err"].Any().(error); !errors.As(err, &ce) || ce.Code != frames.CloseAbnormal {
			t.Errorf("disconnection %d: err = %v, want a 1006 *conn.CloseError", i, rec.attrs["err"])
		}
		if gaps[i] < w {
			t.Errorf("dial %d came %v after the previous one, before its delay of %v", i+2, gaps[i], w)
		}
	}
	if st, _ := cl.Watch(); st.State != ClientStopped || !errors.Is(st.Err, context.Canceled) {
		t.Errorf("status after Serve = %+v, want stopped with context.Canceled", st)
	}
}

func TestClientBackoffWithJitterStaysWithinFloorAndCeiling(t *testing.T) {
	logs := &logCapture{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if i == 12 {
			cancel()
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	b := Backoff{Min: time.Millisecond, Max: 5 * time.Millisecond, Multiplier: 3, Jitter: 0.9, ResetAfter: time.Hour}
	cl := NewClient(srv.url, readUntilClosed, ClientOptions{Backoff: b, Logger: logs.logger()})
	cl.Serve(ctx)
	failed := logs.find("client dial failed")
	if len(failed) < 10 {
		t.Fatalf("%d failed dials logged, want at least 10", len(failed))
	}
	for i, rec := range failed {
		if d := rec.attrs["backoff"].Duration(); d < b.Min || d > b.Max {
			t.Errorf("delay %d = %v, outside [%v, %v]", i, d, b.Min, b.Max)
		}
	}
}

func TestClientClosesWithGoingAwayWhenItsContextEnds(t *testing.T) {
	closed := make(chan *conn.CloseError, 1)
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
			closed <- asClose(awaitClose(c))
		}
	})
	cl := NewClient(srv.url, readUntilClosed, ClientOptions{Backoff: fastBackoff, Logger: slog.New(slog.DiscardHandler)})
	cancel, result := serveClient(t, cl)
	waitClientState(t, cl, ClientConnected)
	start := time.Now()
	cancel()
	if err := serveResult(t, result); !errors.Is(err, context.Canceled) {
		t.Fatalf("Serve = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Serve took %v to return after cancel", d)
	}
	if ce := <-closed; ce.Code != frames.CloseGoingAway {
		t.Errorf("server saw close %d, want 1001", ce.Code)
	}
	if n := srv.dials(); n != 1 {
		t.Errorf("server saw %d dials, want 1", n)
	}
}

// waitClientState waits until cl is in state st, watching its changes.
func waitClientState(t *testing.T, cl *Client, st ClientState) ClientStatus {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		status, changed := cl.Watch()
		if status.State == st {
			return status
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("client never reached %v; last status %+v", st, status)
		}
	}
}

func TestClientStateCanBeWatched(t *testing.T) {
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		switch i {
		case 1:
			dropUpgrade(w, r)
		case 2:
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
				awaitClose(c)
			}
		}
	})
	cl := NewClient(srv.url, readUntilClosed, ClientOptions{
		Backoff: Backoff{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond, ResetAfter: time.Hour},
		Logger:  slog.New(slog.DiscardHandler),
	})
	if st := cl.State(); st != ClientStopped {
		t.Fatalf("State before Serve = %v, want stopped", st)
	}
	_, changed := cl.Watch()
	cancel, result := serveClient(t, cl)
	select {
	case <-changed:
	case <-time.After(waitLimit):
		t.Fatal("the watch channel was not closed when Serve began")
	}

	// The first connection is dropped: backoff, with the reason.
	st := waitClientState(t, cl, ClientBackoff)
	var ce *conn.CloseError
	if st.Failures != 1 || st.Delay != 50*time.Millisecond || !errors.As(st.Err, &ce) || ce.Code != frames.CloseAbnormal {
		t.Errorf("status after the drop = %+v, want backoff, 1 failure, 50ms, a 1006 close", st)
	}
	// The second dial hangs in the handshake until released.
	st = waitClientState(t, cl, ClientDialing)
	if st.Failures != 1 || st.Err == nil {
		t.Errorf("status while dialling again = %+v, want 1 failure and the last error", st)
	}
	releaseOnce.Do(func() { close(release) })
	st = waitClientState(t, cl, ClientBackoff)
	var se *handshake.StatusError
	if st.Failures != 2 || !errors.As(st.Err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status after the 503 = %+v, want backoff, 2 failures, the 503", st)
	}
	waitClientState(t, cl, ClientConnected)
	if st := cl.State(); st != ClientConnected {
		t.Errorf("State = %v, want connected", st)
	}
	cancel()
	serveResult(t, result)
	if st := cl.State(); st != ClientStopped {
		t.Errorf("State after Serve = %v, want stopped", st)
	}
}

func TestClientServeRefusesANilHandlerAndASecondServe(t *testing.T) {
	err := NewClient("ws://127.0.0.1:1/", nil, ClientOptions{}).Serve(context.Background())
	if !errors.Is(err, ErrInvalid) || !errors.Is(err, ErrStop) {
		t.Errorf("Serve with a nil handler = %v, want ErrInvalid and ErrStop", err)
	}

	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
			awaitClose(c)
		}
	})
	cl := NewClient(srv.url, readUntilClosed, ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	serveClient(t, cl)
	waitClientState(t, cl, ClientConnected)
	if err := cl.Serve(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Serve = %v, want ErrRunning", err)
	}
}

func TestClientLogsItsURLWithoutCredentials(t *testing.T) {
	if got := logURL("wss://user:secret@example.com:8443/feed?token=abc#x"); got != "wss://example.com:8443/feed" {
		t.Errorf("logURL = %q", got)
	}
	if got := logURL("::"); got != "(invalid URL)" {
		t.Errorf("logURL of garbage = %q", got)
	}
}

func TestClientStateString(t *testing.T) {
	for st, want := range map[ClientState]string{
		ClientStopped: "stopped", ClientDialing: "dialing", ClientConnected: "connected", ClientBackoff: "backoff", 7: "ClientState(7)",
	} {
		if got := st.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(st), got, want)
		}
	}
}
