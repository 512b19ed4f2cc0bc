package rawpeer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
)

// bind makes the deadline set by set follow ctx: none while ctx lasts, the
// past as soon as it ends, so that the I/O under way fails and ctx.Err
// already says why. It fails at once if ctx has already ended. The
// returned stop ends the binding; once it returns, the deadline is no
// longer touched, so the next bind starts clean.
func bind(ctx context.Context, set func(time.Time) error) (stop func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set(time.Time{})
	fired := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		set(time.Unix(1, 0))
		close(fired)
	})
	return func() {
		if !cancel() {
			<-fired
		}
	}, nil
}

// ctxErr puts ctx's error in front of the I/O error it caused, so that
// errors.Is(err, context.DeadlineExceeded) holds for an operation that ran
// out of time.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w: %w", cerr, err)
	}
	return err
}

// closedByPeer reports whether err is the end of the connection by the other
// end: a FIN at a frame boundary or a reset.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}
