package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// member is a page as the test plays it: a connection to /ws.
type member struct {
	t *testing.T
	c *conn.Conn
}

func join(t *testing.T, ctx context.Context, base, name string) *member {
	t.Helper()
	c, err := conn.Dial(ctx, base+"/ws?name="+url.QueryEscape(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(frames.CloseNormal, "") })
	return &member{t: t, c: c}
}

// next returns the next event the member receives.
func (m *member) next(ctx context.Context) event {
	m.t.Helper()
	msg, err := m.c.Receive(ctx)
	if err != nil {
		m.t.Fatalf("receive: %v", err)
	}
	var ev event
	if err := json.Unmarshal(msg.Data, &ev); err != nil {
		m.t.Fatalf("event %q: %v", msg.Data, err)
	}
	return ev
}

// expect reads events until one of type typ, which it returns.
func (m *member) expect(ctx context.Context, typ string) event {
	m.t.Helper()
	for {
		if ev := m.next(ctx); ev.Type == typ {
			return ev
		}
	}
}

func (m *member) say(ctx context.Context, text string) {
	m.t.Helper()
	b, _ := json.Marshal(said{Text: text})
	if err := m.c.Send(ctx, b, frames.OpText); err != nil {
		m.t.Fatal(err)
	}
}

func startChat(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(handler(newRoom(quiet)))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func TestRoomWelcomesBroadcastsAndSaysGoodbye(t *testing.T) {
	base := startChat(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	alice := join(t, ctx, base, "Alice")
	if ev := alice.next(ctx); ev.Type != "welcome" || ev.Name != "Alice" || !slices.Equal(ev.Users, []string{"Alice"}) {
		t.Fatalf("Alice's welcome: %+v", ev)
	}
	alice.expect(ctx, "join")

	bob := join(t, ctx, base, "Bob")
	if ev := bob.next(ctx); ev.Type != "welcome" || !slices.Equal(ev.Users, []string{"Alice", "Bob"}) {
		t.Fatalf("Bob's welcome: %+v", ev)
	}
	if ev := alice.expect(ctx, "join"); ev.Name != "Bob" || !slices.Equal(ev.Users, []string{"Alice", "Bob"}) {
		t.Fatalf("Alice sees Bob join as %+v", ev)
	}

	alice.say(ctx, "  hi Bob  ")
	for _, m := range []*member{alice, bob} {
		if ev := m.expect(ctx, "message"); ev.Name != "Alice" || ev.Text != "hi Bob" {
			t.Fatalf("message as seen: %+v", ev)
		}
	}
	alice.say(ctx, "   ") // nothing to say: not broadcast
	bob.say(ctx, "hello")
	if ev := alice.expect(ctx, "message"); ev.Name != "Bob" || ev.Text != "hello" {
		t.Fatalf("Alice got %+v, want Bob's hello (the blank message is not sent)", ev)
	}

	bob.c.Close(frames.CloseGoingAway, "tab closed")
	if ev := alice.expect(ctx, "leave"); ev.Name != "Bob" || !slices.Equal(ev.Users, []string{"Alice"}) {
		t.Fatalf("Alice sees Bob leave as %+v", ev)
	}
}

func TestRoomGivesEachMemberADistinctName(t *testing.T) {
	base := startChat(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var names []string
	for _, want := range []string{"Sam", "Sam", "Sam", "", "\x07"} {
		m := join(t, ctx, base, want)
		ev := m.next(ctx)
		if ev.Type != "welcome" {
			t.Fatalf("%q's first event: %+v, want the welcome", want, ev)
		}
		names = append(names, ev.Name)
		// The hub broadcasts to every connection it holds, a page that
		// has not had its welcome yet too: once this member has seen its
		// own join, the next member's first event is its welcome.
		m.expect(ctx, "join")
	}
	want := []string{"Sam", "Sam (2)", "Sam (3)", "anonymous", "anonymous (2)"}
	if !slices.Equal(names, want) {
		t.Fatalf("names %q, want %q", names, want)
	}
}

func TestRoomClosesAMemberThatSendsTooMuchWith1009(t *testing.T) {
	base := startChat(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m := join(t, ctx, base, "Mallory")
	m.expect(ctx, "welcome")
	if err := m.c.Send(ctx, make([]byte, maxMessageBytes+1), frames.OpBinary); err != nil {
		t.Fatal(err)
	}
	var ce *conn.CloseError
	for {
		_, err := m.c.Receive(ctx)
		if err == nil {
			continue
		}
		if !errors.As(err, &ce) || ce.Code != frames.CloseMessageTooBig {
			t.Fatalf("after a message over the limit: %v, want a 1009 close", err)
		}
		return
	}
}

func TestServeClosesEveryPageWithGoingAwayOnShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- serve(sctx, ln, quiet) }()

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m := join(t, ctx, "ws://"+ln.Addr().String(), "Zoe")
	m.expect(ctx, "welcome")
	stop()
	var ce *conn.CloseError
	for {
		_, err := m.c.Receive(ctx)
		if err == nil {
			continue
		}
		if !errors.As(err, &ce) || ce.Code != frames.CloseGoingAway {
			t.Fatalf("after shutdown: %v, want a 1001 close", err)
		}
		break
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestParseSaidAndCleanName(t *testing.T) {
	if text, ok := parseSaid([]byte(`{"text":"  hi  "}`)); !ok || text != "hi" {
		t.Errorf("parseSaid: %q %v", text, ok)
	}
	if _, ok := parseSaid([]byte(`not json`)); ok {
		t.Error("parseSaid accepted something that is not JSON")
	}
	long := strings.Repeat("é", maxTextRunes+10)
	if text, _ := parseSaid([]byte(`{"text":"` + long + `"}`)); len([]rune(text)) != maxTextRunes {
		t.Errorf("parseSaid kept %d runes, want %d", len([]rune(text)), maxTextRunes)
	}
	for in, want := range map[string]string{"  Ann\n": "Ann", "": "anonymous", strings.Repeat("x", 30): strings.Repeat("x", maxNameRunes)} {
		if got := cleanName(in); got != want {
			t.Errorf("cleanName(%q) = %q, want %q", in, got, want)
		}
	}
}
