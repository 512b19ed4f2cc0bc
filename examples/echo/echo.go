package main

import (
	"context"
	"net/http"

	"github.com/wsactor/wsactor/conn"
)

// echoHandler upgrades every request and echoes its messages.
type echoHandler struct {
	limit int64           // the read limit of each connection
	base  context.Context // ends every connection, with 1001, when done
}

func (h *echoHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, err := conn.Upgrade(w, r, conn.AcceptOptions{},
		conn.WithReadLimit(h.limit),
		conn.WithContext(h.base),
		conn.WithInsecureSkipOriginCheck(), // a test server: any page may use it
	)
	if err != nil {
		return // Upgrade has answered the request with the reason
	}
	echo(h.base, c)
	<-c.Done()
}

// echo sends every message c receives back on c with the same opcode, until
// the connection ends. A failed send ends the connection too, so the loop
// only has to watch Receive.
func echo(ctx context.Context, c *conn.Conn) {
	for msg, err := range c.Each(ctx) {
		if err != nil {
			return
		}
		if c.Send(ctx, msg.Data, msg.Opcode) != nil {
			return
		}
	}
}
