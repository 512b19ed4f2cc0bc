package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fuzzingServer stands in for the suite's fuzzingserver: it speaks its
// three endpoints and records what the client did. Case 1 checks the echo
// of a text and a binary message, case 2 that of a 16 MiB message, and
// case 3 sends a frame with RSV1 set, which the client must fail with
// 1002 before it goes on to the reports.
type fuzzingServer struct {
	t *testing.T

	mu      sync.Mutex
	log     []string              // the endpoints called, in order
	echoed  map[int]bool          // cases whose echoes came back right
	closed  chan frames.CloseCode // how case 3 ended on the server
	reports string                // the agent of updateReports
}

func (s *fuzzingServer) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

func (s *fuzzingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{})
	if err != nil {
		return
	}
	defer func() { <-c.Done() }()
	ctx := r.Context()
	q := r.URL.Query()
	switch r.URL.Path {
	case "/getCaseCount":
		s.record("getCaseCount")
		c.SendText(ctx, "3")
		c.Close(frames.CloseNormal, "")
	case "/runCase":
		n, _ := strconv.Atoi(q.Get("case"))
		s.record("runCase %d %s", n, q.Get("agent"))
		s.runCase(c, r, n)
	case "/updateReports":
		s.record("updateReports %s", q.Get("agent"))
		c.Close(frames.CloseNormal, "")
	default:
		c.Close(frames.ClosePolicyViolation, "unknown endpoint")
	}
}

func (s *fuzzingServer) runCase(c *conn.Conn, r *http.Request, n int) {
	ctx := r.Context()
	var msgs []conn.Message
	switch n {
	case 1:
		msgs = []conn.Message{conn.TextMessage("Hello, wsactor ✓"), conn.BinaryMessage([]byte{0, 1, 127, 255})}
	case 2:
		msgs = []conn.Message{conn.BinaryMessage(bytes.Repeat([]byte("autobahn"), 2<<20))}
	case 3:
		c.SendFrame(ctx, frames.Frame{Fin: true, RSV1: true, Opcode: frames.OpText, Payload: []byte("reserved")})
		_, err := c.Receive(ctx)
		s.closedWith(n, err)
		return
	}
	ok := true
	for _, m := range msgs {
		if err := c.Send(ctx, m.Data, m.Opcode); err != nil {
			s.t.Errorf("case %d: send: %v", n, err)
			return
		}
		got, err := c.Receive(ctx)
		if err != nil {
			s.t.Errorf("case %d: receive the echo: %v", n, err)
			return
		}
		ok = ok && got.Opcode == m.Opcode && bytes.Equal(got.Data, m.Data)
	}
	s.mu.Lock()
	s.echoed[n] = ok
	s.mu.Unlock()
	c.Close(frames.CloseNormal, "")
}

func (s *fuzzingServer) closedWith(n int, err error) {
	code := frames.CloseCode(0)
	var ce *conn.CloseError
	if errors.As(err, &ce) {
		code = ce.Code
	} else {
		s.t.Errorf("case %d: the connection ended with %v, not a close", n, err)
	}
	s.closed <- code
}

func TestRunPlaysEveryCaseAndUpdatesTheReports(t *testing.T) {
	fs := &fuzzingServer{t: t, echoed: map[int]bool{}, closed: make(chan frames.CloseCode, 1)}
	srv := httptest.NewServer(fs)
	defer srv.Close()

	var out strings.Builder
	cfg := config{url: "ws" + strings.TrimPrefix(srv.URL, "http"), agent: "wsactor-test", caseTimeout: 20 * time.Second}
	if err := run(t.Context(), &out, cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}

	fs.mu.Lock()
	defer fs.mu.Unlock()
	want := []string{
		"getCaseCount",
		"runCase 1 wsactor-test",
		"runCase 2 wsactor-test",
		"runCase 3 wsactor-test",
		"updateReports wsactor-test",
	}
	if fmt.Sprint(fs.log) != fmt.Sprint(want) {
		t.Errorf("endpoints called:\n%q\nwant\n%q", fs.log, want)
	}
	for _, n := range []int{1, 2} {
		if !fs.echoed[n] {
			t.Errorf("case %d: the client's echoes did not match what was sent", n)
		}
	}
	// The client may be done with case 3 before the server's handler is.
	select {
	case code := <-fs.closed:
		if code != frames.CloseProtocolError {
			t.Errorf("case 3: the client answered RSV1 with close code %d, want 1002", code)
		}
	case <-time.After(10 * time.Second):
		t.Error("case 3: the server never saw the connection end")
	}
	for _, line := range []string{"3 cases", "case 1/3: websocket: closed: 1000", "case 3/3: websocket: closed: 1002", "reports updated"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("output lacks %q:\n%s", line, out.String())
		}
	}
}

func TestRunFailsWhenTheServerIsNotThere(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http")
	srv.Close()
	var out strings.Builder
	if err := run(t.Context(), &out, config{url: url, agent: "x", caseTimeout: 5 * time.Second}); err == nil {
		t.Fatal("run against no server succeeded")
	}
}
