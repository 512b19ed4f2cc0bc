package supervisor

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
)

// testCtx returns a context that ends well before the test times out.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 4*waitLimit)
	t.Cleanup(cancel)
	return ctx
}

// wsURL returns the ws:// URL of a test server.
func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") }

// newServer serves h on loopback until the test ends.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// dropUpgrade completes the opening handshake of r and then closes the TCP
// connection without a close frame: the client sees 1006.
func dropUpgrade(w http.ResponseWriter, r *http.Request) {
	req, err := handshake.CheckRequest(r)
	if err != nil {
		handshake.WriteError(w, err)
		return
	}
	nc, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	handshake.WriteResponse(nc, req.Key, "", nil, nil)
	nc.Close()
}

// dial connects a client to url; the test's cleanup closes it.
func dial(t testing.TB, url string, opts ...conn.Option) *conn.Conn {
	t.Helper()
	c, err := conn.Dial(testCtx(t), url, opts...)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		c.Close(0, "")
		<-c.Done()
	})
	return c
}

// receive returns the next message on c.
func receive(t testing.TB, c *conn.Conn) conn.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	m, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return m
}

// awaitClose receives from c until the connection ends, or until
// waitLimit, and returns the error that ended it. Server handlers use it
// to keep a connection open until the client closes it.
func awaitClose(c *conn.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if _, err := c.Receive(ctx); err != nil {
			return err
		}
	}
}

// asClose returns err as a *conn.CloseError, or a CloseError with code 0
// and err as its cause if it is not one.
func asClose(err error) *conn.CloseError {
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		return ce
	}
	return &conn.CloseError{Err: err}
}

// closeCode receives from c until the connection ends and returns the
// close error, failing the test if it is not a *conn.CloseError.
func closeCode(t testing.TB, c *conn.Conn) *conn.CloseError {
	t.Helper()
	err := awaitClose(c)
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("Receive = %v, want a *conn.CloseError", err)
	}
	return ce
}

// prepared returns a prepared text message.
func prepared(t testing.TB, s string) *conn.PreparedMessage {
	t.Helper()
	pm, err := conn.NewPreparedMessage(frames.OpText, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

// logRecord is one record a logCapture kept: its level, message and
// attributes.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]slog.Value
}

// logCapture is a slog.Handler that keeps every record.
type logCapture struct {
	mu      sync.Mutex
	records []logRecord
}

func (lc *logCapture) logger() *slog.Logger { return slog.New(lc) }

func (lc *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (lc *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return lc }
func (lc *logCapture) WithGroup(string) slog.Handler            { return lc }

func (lc *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}}
	r.Attrs(func(a slog.Attr) bool {
		rec.attrs[a.Key] = a.Value
		return true
	})
	lc.mu.Lock()
	lc.records = append(lc.records, rec)
	lc.mu.Unlock()
	return nil
}

// find returns the records whose message contains msg.
func (lc *logCapture) find(msg string) []logRecord {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []logRecord
	for _, r := range lc.records {
		if strings.Contains(r.msg, msg) {
			out = append(out, r)
		}
	}
	return out
}

// eventually waits until cond holds, failing the test after waitLimit.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
