package supervisor

import (
	"context"
	"errors"
	"log/slog"

	"github.com/wsactor/wsactor/actor"
	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// A Handler serves one WebSocket connection, for a Client (each connection
// it makes) or a Hub (each connection it accepts). It returns when it is
// done with the connection or the connection has ended; the Client or Hub
// then closes the connection if the handler left it open. A panic in a
// Handler is recovered and handled like an error.
//
// ctx is cancelled when the Client's Serve or the Hub is shutting down; the
// connection is then closed with 1001 Going Away whatever the handler does.
// To learn that the connection itself has ended, select on c.Done() or look
// at the error of c.Receive.
type Handler func(ctx context.Context, c *conn.Conn) error

// runHandler runs h on c and returns its error; a panic is recovered and
// returned as an *actor.PanicError.
func runHandler(ctx context.Context, h Handler, c *conn.Conn) error {
	return actor.Run(ctx, func(ctx context.Context) error { return h(ctx, c) })
}

// closeFor is the close code and reason for a connection whose handler
// returned err and left it open: 1000 for nil or an error wrapping ErrStop,
// 1011 Internal Error for a failure or a panic. The reason never carries
// the error's text, which may say more than a peer should read.
func closeFor(err error) (frames.CloseCode, string) {
	var pe *actor.PanicError
	switch {
	case errors.As(err, &pe):
		return frames.CloseInternalError, "internal error"
	case err == nil || errors.Is(err, ErrStop):
		return frames.CloseNormal, ""
	}
	return frames.CloseInternalError, "handler failed"
}

// errAttrs returns the log attributes of err: "err" and, for a panic,
// "stack".
func errAttrs(err error) []slog.Attr {
	if err == nil {
		return nil
	}
	attrs := []slog.Attr{slog.Any("err", err)}
	var pe *actor.PanicError
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("stack", string(pe.Stack)))
	}
	return attrs
}
