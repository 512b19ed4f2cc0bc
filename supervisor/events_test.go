package supervisor

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("bad log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestEventsAreLoggedWithStructuredAttributes(t *testing.T) {
	var buf syncBuffer
	rec := newRecorder()
	opts := testOptions(rec)
	opts.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := New("app", opts, Spec{Name: "p", Service: script(func() error { panic("kaboom") })})
	sv := serve(t, s)
	rec.waitFor(t, "restart", has(ChildStarted, "p", 2))
	sv.stop(t)

	recs := buf.records(t)
	find := func(msg string) map[string]any {
		for _, r := range recs {
			if r["msg"] == msg {
				return r
			}
		}
		t.Fatalf("no log record %q in %v", msg, recs)
		return nil
	}
	exit := find("supervisor: child exited")
	if exit["level"] != "WARN" || exit["supervisor"] != "app" || exit["child"] != "p" ||
		exit["err"] != "panic: kaboom" || !strings.Contains(exit["stack"].(string), "goroutine") {
		t.Errorf("exit record = %v", exit)
	}
	restart := find("supervisor: child restarting")
	if restart["restarts"] != 1.0 || restart["backoff"] == nil {
		t.Errorf("restart record = %v", restart)
	}
	stopped := find("supervisor: supervisor stopped")
	if stopped["level"] != "INFO" || stopped["err"] != "context canceled" {
		t.Errorf("stopped record = %v", stopped)
	}
}

func TestEventHookMayCallSupervisorMethods(t *testing.T) {
	var s *Supervisor
	rec := newRecorder()
	opts := testOptions(rec)
	states := make(chan ChildState, 10)
	opts.OnEvent = func(ev Event) {
		rec.record(ev)
		if ev.Kind == ChildStarted {
			states <- s.Children()[0].State
		}
	}
	s = New("sup", opts, Spec{Name: "x", Service: blocker()})
	sv := serve(t, s)
	if st := <-states; st != StateRunning {
		t.Fatalf("state seen from the hook = %v, want running", st)
	}
	sv.stop(t)
}

func TestEventString(t *testing.T) {
	tests := []struct {
		ev   Event
		want string
	}{
		{Event{Kind: ChildStarted, Supervisor: "s", Child: "c"}, `supervisor "s": child "c" started`},
		{Event{Kind: ChildExited, Supervisor: "s", Child: "c", Err: errBoom}, `supervisor "s": child "c" exited: boom`},
		{Event{Kind: ChildRestarting, Supervisor: "s", Child: "c", Restarts: 2, Backoff: time.Second, Err: errBoom},
			`supervisor "s": child "c" restarting (restarts 2, backoff 1s): boom`},
		{Event{Kind: ChildStuck, Supervisor: "s", Child: "c"}, `supervisor "s": child "c" stuck`},
		{Event{Kind: IntensityExceeded, Supervisor: "s", Child: "c", Restarts: 4}, `supervisor "s": intensity exceeded by child "c" (4 restarts)`},
		{Event{Kind: SupervisorStopped, Supervisor: "s", Err: context.Canceled}, `supervisor "s": stopped: context canceled`},
		{Event{Kind: 99, Supervisor: "s"}, `supervisor "s": EventKind(99)`},
	}
	for _, tt := range tests {
		if got := tt.ev.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestEnumStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{OneForOne.String(), "one-for-one"},
		{OneForAll.String(), "one-for-all"},
		{RestForOne.String(), "rest-for-one"},
		{Strategy(5).String(), "Strategy(5)"},
		{Permanent.String(), "permanent"},
		{Transient.String(), "transient"},
		{Temporary.String(), "temporary"},
		{Restart(-1).String(), "Restart(-1)"},
		{StateStopped.String(), "stopped"},
		{StateStarting.String(), "starting"},
		{StateRunning.String(), "running"},
		{StateBackoff.String(), "backoff"},
		{StateStopping.String(), "stopping"},
		{ChildState(9).String(), "ChildState(9)"},
		{ChildStuck.String(), "child stuck"},
		{EventKind(0).String(), "EventKind(0)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	ie := &IntensityError{Supervisor: "s", Child: "c", Restarts: 4, Period: time.Second}
	if got, want := ie.Error(), `supervisor "s": 4 restarts within 1s, last by child "c": returned nil`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if ie.Unwrap() != nil {
		t.Error("Unwrap() of a nil cause is not nil")
	}
	se := &StuckError{Supervisor: "s", Children: []string{"a", "b"}}
	if got, want := se.Error(), `supervisor "s": children did not stop in time: a, b`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
