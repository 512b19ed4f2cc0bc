package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/internal/testpeer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunPrintsEveryMessageAndClosesEachClientWhenIdle(t *testing.T) {
	var out testpeer.Buffer
	cfg := config{clients: 3, every: 5 * time.Millisecond, idle: 100 * time.Millisecond}
	if err := run(t.Context(), &out, cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	var want []string
	for i := range cfg.clients {
		name := fmt.Sprintf("client-%d", i)
		want = append(want,
			"fanin: "+name+" joined",
			"fanin: "+name+" sent nothing for 100ms: closing it",
			"fanin: "+name+" left: websocket: closed: 1000",
			name+": connection ended: websocket: closed: 1000 normal closure: idle",
		)
		for k := range i + 1 {
			want = append(want, fmt.Sprintf("fanin: %s: message %d of %d", name, k+1, i+1))
		}
	}
	for _, line := range want {
		if !strings.Contains(got, line) {
			t.Errorf("output lacks %q", line)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", got)
	}
}

func TestRunRefusesNonPositiveSettings(t *testing.T) {
	for _, cfg := range []config{
		{clients: 0, every: time.Millisecond, idle: time.Second},
		{clients: 1, every: 0, idle: time.Second},
		{clients: 1, every: time.Millisecond, idle: -time.Second},
	} {
		if err := run(t.Context(), io.Discard, cfg); err == nil {
			t.Errorf("run(%+v) = nil, want an error", cfg)
		}
	}
}

// startFanIn serves acceptHandler on a loopback test server with fanIn
// behind it, and returns the server's URL and a function that stops both
// and waits for the fan-in to return.
func startFanIn(t *testing.T, idle time.Duration) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	join := make(chan peer)
	srv := httptest.NewServer(acceptHandler(ctx, join))
	done := make(chan struct{})
	go func() {
		fanIn(ctx, join, idle, log.New(io.Discard, "", 0))
		close(done)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			srv.Close()
		})
	}
	t.Cleanup(stop)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), stop
}

// closeCode returns the code and reason of err, a *conn.CloseError.
func closeCode(t *testing.T, err error) (frames.CloseCode, string) {
	t.Helper()
	var ce *conn.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a *conn.CloseError", err)
	}
	return ce.Code, ce.Reason
}

func TestFanInClosesTheSilentConnectionAndKeepsTheTalkativeOne(t *testing.T) {
	const idle = 200 * time.Millisecond
	url, _ := startFanIn(t, idle)
	ctx := t.Context()
	talker, err := conn.Dial(ctx, url+"?name=talker")
	if err != nil {
		t.Fatal(err)
	}
	defer talker.Close(0, "")
	silent, err := conn.Dial(ctx, url+"?name=silent")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close(0, "")

	silentEnded := make(chan error, 1)
	go func() {
		_, err := silent.Receive(ctx)
		silentEnded <- err
	}()
	tick := time.NewTicker(idle / 5)
	defer tick.Stop()
	for sent := 0; ; sent++ {
		if sent > 50 { // 10 idle periods
			t.Fatalf("the silent connection was not closed within %v", 10*idle)
		}
		select {
		case err := <-silentEnded:
			if code, reason := closeCode(t, err); code != frames.CloseNormal || reason != "idle" {
				t.Errorf("the silent connection was closed with %d %q, want 1000 \"idle\"", code, reason)
			}
			if st := talker.State(); st != conn.Open {
				t.Errorf("the talkative connection is %v, want open", st)
			}
			return
		case <-tick.C:
			if err := talker.SendText(ctx, "still here"); err != nil {
				t.Fatalf("the talkative connection: %v", err)
			}
		}
	}
}

func TestFanInClosesEveryConnectionWithGoingAwayWhenCancelled(t *testing.T) {
	url, stop := startFanIn(t, time.Hour)
	ctx := t.Context()
	var clients []*conn.Conn
	for i := range 3 {
		c, err := conn.Dial(ctx, fmt.Sprintf("%s?name=c%d", url, i))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(0, "")
		if err := c.SendText(ctx, "hello"); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	stop() // returns once the fan-in has seen every connection end
	for i, c := range clients {
		_, err := c.Receive(ctx)
		if code, _ := closeCode(t, err); code != frames.CloseGoingAway {
			t.Errorf("client %d was closed with %d, want 1001", i, code)
		}
	}
}
