package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

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
