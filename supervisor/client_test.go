package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
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

func TestClientGivesUpOnHandshakeRefusals(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
				http.Error(w, "go away", status)
			})
			logs := &logCapture{}
			cl := NewClient(srv.url, readUntilClosed, ClientOptions{Backoff: fastBackoff, Logger: logs.logger()})
			_, result := serveClient(t, cl)
			err := serveResult(t, result)
			var se *handshake.StatusError
			if !errors.As(err, &se) || se.StatusCode != status {
				t.Fatalf("Serve = %v, want a *handshake.StatusError with %d", err, status)
			}
			if !errors.Is(err, ErrStop) {
				t.Errorf("Serve = %v, want it to wrap ErrStop so that a supervisor does not restart it", err)
			}
			if n := srv.dials(); n != 1 {
				t.Errorf("server saw %d dials, want 1", n)
			}
			if st, _ := cl.Watch(); st.State != ClientStopped || st.Err != err {
				t.Errorf("status = %+v, want stopped with Serve's error", st)
			}
			if recs := logs.find("client giving up"); len(recs) != 1 || recs[0].level != slog.LevelError {
				t.Errorf("giving up logged %d times (%v), want once at ERROR", len(recs), recs)
			}
		})
	}
}

func TestClientRetriesServerErrorsAndHonoursRetryAfter(t *testing.T) {
	statuses := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusTooManyRequests, http.StatusRequestTimeout}
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if i <= len(statuses) {
			if statuses[i-1] == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(statuses[i-1])
			return
		}
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
		if err != nil {
			return
		}
		c.SendText(context.Background(), "welcome")
		awaitClose(c)
	})
	errDone := fmt.Errorf("got the welcome: %w", ErrStop)
	logs := &logCapture{}
	cl := NewClient(srv.url, func(ctx context.Context, c *conn.Conn) error {
		if m, err := c.Receive(ctx); err != nil || m.String() != "welcome" {
			return fmt.Errorf("Receive = %q, %v", m.Data, err)
		}
		return errDone
	}, ClientOptions{Backoff: fastBackoff, Logger: logs.logger()})
	_, result := serveClient(t, cl)
	if err := serveResult(t, result); err != errDone {
		t.Fatalf("Serve = %v, want the handler's %v", err, errDone)
	}
	if n := srv.dials(); n != len(statuses)+1 {
		t.Errorf("server saw %d dials, want %d", n, len(statuses)+1)
	}
	// Retry-After: 1 asks for a second; the client waits at most
	// Backoff.Max.
	failed := logs.find("client dial failed")
	if len(failed) != len(statuses) {
		t.Fatalf("%d failed dials logged, want %d", len(failed), len(statuses))
	}
	if d := failed[2].attrs["backoff"].Duration(); d != fastBackoff.Max {
		t.Errorf("delay after 503 with Retry-After = %v, want Backoff.Max %v", d, fastBackoff.Max)
	}
}

func TestClientRedialsAfterRetryableCloseCodes(t *testing.T) {
	codes := []frames.CloseCode{frames.CloseNormal, frames.CloseGoingAway, frames.CloseInternalError,
		frames.CloseServiceRestart, frames.CloseTryAgainLater, frames.CloseBadGateway, 4000}
	// The handler either returns the close as its error, or returns nil
	// (as a loop over Each does after 1000 and 1001) and lets the client
	// look at how the connection ended.
	for _, returnsNil := range []bool{false, true} {
		for _, code := range codes {
			t.Run(fmt.Sprintf("nil=%v/%d", returnsNil, code), func(t *testing.T) {
				srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
					c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
					if err != nil {
						return
					}
					if i == 1 {
						c.Close(code, "bye")
						return
					}
					c.SendText(context.Background(), "again")
					awaitClose(c)
				})
				var first *conn.CloseError
				cl := NewClient(srv.url, func(ctx context.Context, c *conn.Conn) error {
					m, err := c.Receive(ctx)
					if err == nil {
						return fmt.Errorf("second connection got %q: %w", m.Data, ErrStop)
					}
					first = asClose(err)
					if returnsNil {
						return nil
					}
					return err
				}, ClientOptions{Backoff: fastBackoff, Logger: slog.New(slog.DiscardHandler)})
				_, result := serveClient(t, cl)
				err := serveResult(t, result)
				if err == nil || err.Error() != `second connection got "again": supervisor: stop` {
					t.Fatalf("Serve = %v, want the second connection's stop", err)
				}
				if first.Code != code {
					t.Errorf("the first connection ended with %d, want %d", first.Code, code)
				}
				if n := srv.dials(); n != 2 {
					t.Errorf("server saw %d dials, want 2", n)
				}
			})
		}
	}
}

func TestClientGivesUpAfterCloseCodesThatBlameIt(t *testing.T) {
	for _, code := range []frames.CloseCode{frames.CloseProtocolError, frames.CloseUnsupportedData,
		frames.CloseInvalidPayload, frames.ClosePolicyViolation, frames.CloseMessageTooBig} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
				if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
					c.Close(code, "")
				}
			})
			cl := NewClient(srv.url, readUntilClosed, ClientOptions{Backoff: fastBackoff, Logger: slog.New(slog.DiscardHandler)})
			_, result := serveClient(t, cl)
			err := serveResult(t, result)
			var ce *conn.CloseError
			if !errors.As(err, &ce) || ce.Code != code || !errors.Is(err, ErrStop) {
				t.Fatalf("Serve = %v, want a %d *conn.CloseError wrapped with ErrStop", err, code)
			}
			if n := srv.dials(); n != 1 {
				t.Errorf("server saw %d dials, want 1", n)
			}
		})
	}
}

func TestClientStopsWhenTheHandlerReturnsErrStop(t *testing.T) {
	closed := make(chan *conn.CloseError, 1)
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
			closed <- asClose(awaitClose(c))
		}
	})
	errDone := fmt.Errorf("done: %w", ErrStop)
	cl := NewClient(srv.url, func(context.Context, *conn.Conn) error { return errDone },
		ClientOptions{Backoff: fastBackoff, Logger: slog.New(slog.DiscardHandler)})
	_, result := serveClient(t, cl)
	if err := serveResult(t, result); err != errDone {
		t.Fatalf("Serve = %v, want the handler's error itself", err)
	}
	if ce := <-closed; ce.Code != frames.CloseNormal {
		t.Errorf("server saw close %d, want 1000 for a handler that stopped", ce.Code)
	}
	if n := srv.dials(); n != 1 {
		t.Errorf("server saw %d dials, want 1", n)
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

func TestClientRecoversAHandlerPanicClosesWith1011AndRedials(t *testing.T) {
	closed := make(chan *conn.CloseError, 2)
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		if c, err := conn.Upgrade(w, r, conn.AcceptOptions{}); err == nil {
			closed <- asClose(awaitClose(c))
		}
	})
	logs := &logCapture{}
	runs := 0
	cl := NewClient(srv.url, func(ctx context.Context, c *conn.Conn) error {
		runs++
		if runs == 1 {
			panic("handler bug")
		}
		return ErrStop
	}, ClientOptions{Backoff: fastBackoff, Logger: logs.logger()})
	_, result := serveClient(t, cl)
	if err := serveResult(t, result); err != ErrStop {
		t.Fatalf("Serve = %v, want ErrStop", err)
	}
	if ce := <-closed; ce.Code != frames.CloseInternalError || ce.Reason != "internal error" {
		t.Errorf("server saw close %d %q after the panic, want 1011 \"internal error\"", ce.Code, ce.Reason)
	}
	if ce := <-closed; ce.Code != frames.CloseNormal {
		t.Errorf("server saw close %d after ErrStop, want 1000", ce.Code)
	}
	recs := logs.find("client disconnected")
	if len(recs) != 1 || recs[0].attrs["stack"].String() == "" {
		t.Fatalf("the panic's disconnection was logged as %v, want one record with a stack", recs)
	}
}

func TestClientRedialsWhenTheHandshakeTimesOut(t *testing.T) {
	// A listener that accepts TCP connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- nc
		}
	}()
	defer func() {
		l.Close()
		for nc := range accepted {
			nc.Close()
		}
	}()
	logs := &logCapture{}
	cl := NewClient("ws://"+l.Addr().String()+"/", readUntilClosed,
		ClientOptions{Backoff: fastBackoff, DialTimeout: 20 * time.Millisecond, Logger: logs.logger()})
	cancel, result := serveClient(t, cl)
	var held []net.Conn
	for range 3 {
		select {
		case nc := <-accepted:
			held = append(held, nc)
		case <-time.After(waitLimit):
			t.Fatal("the client did not dial again after its handshake timed out")
		}
	}
	cancel()
	serveResult(t, result)
	for _, nc := range held {
		nc.Close()
	}
	recs := logs.find("client dial failed")
	if len(recs) < 2 {
		t.Fatalf("%d failed dials logged, want at least 2", len(recs))
	}
	if err, _ := recs[0].attrs["err"].Any().(error); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial error = %v, want it to wrap context.DeadlineExceeded", err)
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

func TestClientWithABadURLGivesUpAtOnce(t *testing.T) {
	cl := NewClient("ftp://example.com/", readUntilClosed, ClientOptions{Logger: slog.New(slog.DiscardHandler)})
	err := cl.Serve(testCtx(t))
	if !errors.Is(err, handshake.ErrBadURI) || !errors.Is(err, ErrStop) {
		t.Errorf("Serve = %v, want ErrBadURI and ErrStop", err)
	}
}

func TestClientUnderASupervisorIsForgottenAfterARefusal(t *testing.T) {
	srv := newDialCounter(t, func(i int, w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	})
	rec := newRecorder()
	quiet := slog.New(slog.DiscardHandler)
	s := New("app", testOptions(rec), Spec{Name: "feed", Service: NewClient(srv.url, readUntilClosed, ClientOptions{Logger: quiet})})
	serve(t, s)
	evs := rec.waitFor(t, "the client's exit", has(ChildExited, "feed", 1))
	if n := count(evs, ChildRestarting, "feed"); n != 0 {
		t.Errorf("the supervisor restarted the client %d times after a 403", n)
	}
	if len(s.Children()) != 0 {
		t.Errorf("Children = %v, want the client forgotten", s.Children())
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
