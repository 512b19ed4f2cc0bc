package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/supervisor"
)

// room is the chat: a supervisor.Hub holds the connections and broadcasts
// every event to all of them, encoded once; the room only keeps the names.
type room struct {
	hub *supervisor.Hub
	log *slog.Logger

	mu      sync.Mutex
	members map[*conn.Conn]string
}

// maxMembers bounds the connections the room takes; past it the hub
// answers the upgrade with 503.
const maxMembers = 1000

func newRoom(log *slog.Logger) *room {
	r := &room{members: map[*conn.Conn]string{}, log: log}
	r.hub = supervisor.NewHub(r.serve, supervisor.HubOptions{
		MaxConns:    maxMembers,
		ConnOptions: []conn.Option{conn.WithReadLimit(maxMessageBytes)},
		Logger:      log,
	})
	return r
}

// nameKey is the context key under which ServeHTTP passes the name a page
// asked for to serve.
type nameKey struct{}

// ServeHTTP hands a page's request to the hub, which upgrades it and runs
// serve on the connection with the request's context values: among them
// the name from the URL's "name" parameter.
func (r *room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ctx := context.WithValue(req.Context(), nameKey{}, req.URL.Query().Get("name"))
	r.hub.ServeHTTP(w, req.WithContext(ctx))
}

// requestName returns the name the page asked for.
func requestName(ctx context.Context) string {
	name, _ := ctx.Value(nameKey{}).(string)
	return name
}

// shutdown closes every connection with 1001 Going Away.
func (r *room) shutdown(ctx context.Context) error { return r.hub.Shutdown(ctx) }

// serve runs one member's connection: a welcome, then a broadcast of each
// message it sends, then its departure. The name comes from the URL's
// "name" parameter.
func (r *room) serve(ctx context.Context, c *conn.Conn) error {
	name, users := r.join(c, requestName(ctx))
	if err := r.send(ctx, c, event{Type: "welcome", Name: name, Users: users, Time: time.Now()}); err != nil {
		r.leave(c)
		return err
	}
	r.broadcast(event{Type: "join", Name: name, Users: users, Time: time.Now()})
	defer func() {
		users := r.leave(c)
		r.broadcast(event{Type: "leave", Name: name, Users: users, Time: time.Now()})
	}()
	for msg, err := range c.Each(ctx) {
		if err != nil {
			return err
		}
		if text, ok := parseSaid(msg.Data); ok {
			r.broadcast(event{Type: "message", Name: name, Text: text, Time: time.Now()})
		}
	}
	return nil
}

// join adds c under a free name based on want and returns the name and
// everyone's names.
func (r *room) join(c *conn.Conn, want string) (string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want = cleanName(want)
	name := want
	for i := 2; r.takenLocked(name); i++ {
		name = fmt.Sprintf("%s (%d)", want, i)
	}
	r.members[c] = name
	return name, r.usersLocked()
}

func (r *room) takenLocked(name string) bool {
	for _, m := range r.members {
		if m == name {
			return true
		}
	}
	return false
}

// leave removes c and returns who is left.
func (r *room) leave(c *conn.Conn) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, c)
	return r.usersLocked()
}

func (r *room) usersLocked() []string {
	users := make([]string, 0, len(r.members))
	for _, n := range r.members {
		users = append(users, n)
	}
	slices.Sort(users)
	return users
}

// send sends ev to c alone.
func (r *room) send(ctx context.Context, c *conn.Conn, ev event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	return c.Send(ctx, b, 0)
}

// broadcast sends ev to every member, encoded once.
func (r *room) broadcast(ev event) {
	b, err := json.Marshal(ev)
	if err != nil {
		r.log.Error("chat: encoding an event", "err", err)
		return
	}
	pm, err := conn.NewPreparedMessage(0, b)
	if err != nil {
		r.log.Error("chat: preparing an event", "err", err)
		return
	}
	r.hub.Broadcast(pm)
}
