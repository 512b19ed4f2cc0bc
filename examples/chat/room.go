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
)

// PROVISIONAL: replaced by supervisor.Hub once it lands.
type room struct {
	mu      sync.Mutex
	members map[*conn.Conn]string
	log     *slog.Logger
}

func newRoom(log *slog.Logger) *room {
	return &room{members: map[*conn.Conn]string{}, log: log}
}

func (r *room) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	c, err := conn.Upgrade(w, req, conn.AcceptOptions{}, conn.WithReadLimit(maxMessageBytes))
	if err != nil {
		return
	}
	r.serve(context.Background(), c, req.URL.Query().Get("name"))
}

func (r *room) join(c *conn.Conn, want string) (string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	want = cleanName(want)
	name := want
	taken := func(n string) bool {
		for _, m := range r.members {
			if m == n {
				return true
			}
		}
		return false
	}
	for i := 2; taken(name); i++ {
		name = fmt.Sprintf("%s (%d)", want, i)
	}
	r.members[c] = name
	return name, r.usersLocked()
}

func (r *room) usersLocked() []string {
	users := make([]string, 0, len(r.members))
	for _, n := range r.members {
		users = append(users, n)
	}
	slices.Sort(users)
	return users
}

func (r *room) leave(c *conn.Conn) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.members, c)
	return r.usersLocked()
}

func (r *room) broadcast(ev event) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	pm, err := conn.NewPreparedMessage(0, b)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.members {
		c.TrySendPrepared(pm)
	}
}

func (r *room) serve(ctx context.Context, c *conn.Conn, want string) {
	name, users := r.join(c, want)
	b, _ := json.Marshal(event{Type: "welcome", Name: name, Users: users, Time: time.Now()})
	c.Send(ctx, b, 0)
	r.broadcast(event{Type: "join", Name: name, Users: users, Time: time.Now()})
	for msg, err := range c.Each(ctx) {
		if err != nil {
			break
		}
		if text, ok := parseSaid(msg.Data); ok {
			r.broadcast(event{Type: "message", Name: name, Text: text, Time: time.Now()})
		}
	}
	users = r.leave(c)
	r.broadcast(event{Type: "leave", Name: name, Users: users, Time: time.Now()})
}
