package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/handshake"
	"github.com/wsactor/wsactor/internal/rawpeer"
	"github.com/wsactor/wsactor/internal/testpeer"
	"github.com/wsactor/wsactor/supervisor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fast is a backoff for tests: a few milliseconds between dials.
var fast = supervisor.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}

// waitFor polls b until it contains s or ctx ends.
func waitFor(ctx context.Context, t *testing.T, b *testpeer.Buffer, s string) {
	t.Helper()
	for !strings.Contains(b.String(), s) {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %q in:\n%s", s, b.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// echoServer echoes every message; each connection first calls before,
// which may end it. It returns the server's ws:// URL.
func echoServer(t *testing.T, before func(n int, c *conn.Conn, r *http.Request) bool) string {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := conn.Upgrade(w, r, conn.AcceptOptions{Protocols: []string{"chat"}})
		if err != nil {
			return
		}
		defer func() { <-c.Done() }()
		if before != nil && !before(int(conns.Add(1)), c, r) {
			return
		}
		for msg, err := range c.Each(r.Context()) {
			if err != nil || c.Send(r.Context(), msg.Data, msg.Opcode) != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/"
}

func TestRunSendsEachLineAndPrintsWhatArrives(t *testing.T) {
	url := echoServer(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	var out, status testpeer.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, config{url: url, backoff: fast}, pr, &out, &status) }()
	io.WriteString(pw, "hello\n\nwsactor ✓\n")
	want := "hello\n\nwsactor ✓\n"
	waitFor(ctx, t, &out, want)
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, status.String())
	}
	if got := out.String(); got != want {
		t.Errorf("printed %q, want the echoes %q; status:\n%s", got, want, status.String())
	}
	if !strings.Contains(status.String(), "* connected to "+url) {
		t.Errorf("status does not say it connected:\n%s", status.String())
	}
}

func TestRunPrintsRepliesThatArriveAfterTheEndOfInput(t *testing.T) {
	url := echoServer(t, nil)
	var out, status testpeer.Buffer
	cfg := config{url: url, backoff: fast, linger: 500 * time.Millisecond}
	if err := run(t.Context(), cfg, strings.NewReader("one\ntwo\n"), &out, &status); err != nil {
		t.Fatalf("run: %v\n%s", err, status.String())
	}
	if got, want := out.String(), "one\ntwo\n"; got != want {
		t.Errorf("printed %q, want the echoes %q; status:\n%s", got, want, status.String())
	}
}

func TestRunSendsBinaryAndPrintsItInHex(t *testing.T) {
	url := echoServer(t, nil)
	var out, status testpeer.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, config{url: url, binary: true, backoff: fast}, pr, &out, &status) }()
	io.WriteString(pw, "hi\n")
	waitFor(ctx, t, &out, "\n")
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "[binary 2 bytes] 6869\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}

func TestRunOffersProtocolsAndSendsHeaders(t *testing.T) {
	gotAuth := make(chan string, 1)
	url := echoServer(t, func(_ int, _ *conn.Conn, r *http.Request) bool {
		gotAuth <- r.Header.Get("Authorization")
		return true
	})
	h, err := parseHeaders([]string{"Authorization: Bearer token"})
	if err != nil {
		t.Fatal(err)
	}
	var out, status testpeer.Buffer
	cfg := config{url: url, protocols: []string{"other", "chat"}, header: h, backoff: fast}
	if err := run(t.Context(), cfg, strings.NewReader("x\n"), &out, &status); err != nil {
		t.Fatal(err)
	}
	if auth := <-gotAuth; auth != "Bearer token" {
		t.Errorf("the server saw Authorization %q", auth)
	}
	if !strings.Contains(status.String(), "(subprotocol chat)") {
		t.Errorf("status does not name the subprotocol:\n%s", status.String())
	}
}

func TestParseHeadersRefusesALineWithoutAColon(t *testing.T) {
	if _, err := parseHeaders([]string{"no colon"}); err == nil {
		t.Fatal("a header without a colon was accepted")
	}
}

func TestRunReconnectsAndSaysSo(t *testing.T) {
	second := make(chan struct{})
	url := echoServer(t, func(n int, c *conn.Conn, r *http.Request) bool {
		if n == 1 {
			c.Close(frames.CloseServiceRestart, "restarting")
			return false
		}
		if n == 2 {
			close(second)
		}
		return true
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	var out, status testpeer.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, config{url: url, backoff: fast}, pr, &out, &status) }()

	select {
	case <-second:
	case <-ctx.Done():
		t.Fatalf("the client did not reconnect:\n%s", status.String())
	}
	io.WriteString(pw, "after the restart\n")
	waitFor(ctx, t, &out, "after the restart\n")
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(status.String(), "reconnecting in") {
		t.Errorf("status does not say it reconnects:\n%s", status.String())
	}
}

func TestRunGivesUpWhenRefused(t *testing.T) {
	var dials atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dials.Add(1)
		http.Error(w, "not you", http.StatusForbidden)
	}))
	defer srv.Close()
	var out, status testpeer.Buffer
	err := run(t.Context(), config{url: "ws" + strings.TrimPrefix(srv.URL, "http"), backoff: fast}, strings.NewReader(""), &out, &status)
	var se *handshake.StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("run: %v, want the 403 refusal", err)
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("dialled %d times after a 403, want 1", n)
	}
}

func TestRunClosesWith1000WhenInterrupted(t *testing.T) {
	codes := make(chan frames.CloseCode, 1)
	url := echoServer(t, func(_ int, c *conn.Conn, r *http.Request) bool {
		go func() {
			_, err := c.Receive(context.Background())
			var ce *conn.CloseError
			if errors.As(err, &ce) {
				codes <- ce.Code
			}
			close(codes)
		}()
		return false
	})
	ctx, interrupt := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, status testpeer.Buffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, config{url: url, backoff: fast}, pr, &out, &status) }()
	waitFor(t.Context(), t, &status, "* connected")
	interrupt()
	if err := <-done; err != nil {
		t.Fatalf("run after Ctrl-C: %v", err)
	}
	if code := <-codes; code != frames.CloseNormal {
		t.Errorf("the server saw close code %d, want 1000", code)
	}
}

func TestRunPingsASilentServer(t *testing.T) {
	ln, err := rawpeer.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, status testpeer.Buffer
	done := make(chan error, 1)
	cctx, stop := context.WithCancel(ctx)
	go func() {
		done <- run(cctx, config{url: ln.URL(), ping: 20 * time.Millisecond, backoff: fast}, pr, &out, &status)
	}()

	p, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f, err := p.ReadFrame(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Opcode != frames.OpPing {
		t.Errorf("first frame from a silent connection: %s, want a ping", f.Opcode)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
