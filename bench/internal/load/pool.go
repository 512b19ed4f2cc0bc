package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wsactor/wsactor/bench/internal/wire"
)

// A Pool is a set of open connections to one server, each of which has
// exchanged one small message and then gone quiet.
type Pool struct {
	t     Target
	conns []net.Conn
}

// greeting is the size of the message each pooled connection echoes.
const greeting = 16

// Open opens n connections to t, parallel at a time, and has each echo one
// 16-byte message, so that when Open returns the server holds every one of
// them in its steady state.
func Open(ctx context.Context, t Target, n, parallel int) (*Pool, error) {
	p := &Pool{t: t, conns: make([]net.Conn, n)}
	frame := wire.AppendFrame(nil, wire.OpBinary, make([]byte, greeting), true, [4]byte{1, 2, 3, 4})
	var next atomic.Int64
	errs := make([]error, parallel)
	var wg sync.WaitGroup
	for w := range parallel {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				nc, err := openOne(ctx, t, frame)
				if err != nil {
					errs[w] = fmt.Errorf("connection %d: %w", i, err)
					return
				}
				p.conns[i] = nc
			}
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func openOne(ctx context.Context, t Target, frame []byte) (net.Conn, error) {
	nc, early, err := dial(ctx, t)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	defer nc.SetDeadline(time.Time{})
	if _, err := nc.Write(frame); err != nil {
		nc.Close()
		return nil, err
	}
	if err := readMessage(nc, early, t, greeting, len(frame)); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// readMessage reads exactly one message of size bytes from nc, after the
// early bytes; from a raw target, it reads rawLen bytes.
func readMessage(nc net.Conn, early []byte, t Target, size, rawLen int) error {
	want := wire.FrameSize(size, false)
	if !t.WS {
		want = rawLen
	}
	buf := make([]byte, want)
	n := copy(buf, early)
	if n < len(early) {
		return fmt.Errorf("%w: %d bytes more than one message", wire.ErrProtocol, len(early)-n)
	}
	if _, err := io.ReadFull(nc, buf[n:]); err != nil {
		return err
	}
	if !t.WS {
		return nil
	}
	if got, err := wire.NewCounter(size).Feed(buf); err != nil || got != 1 {
		return fmt.Errorf("%w: not one message of %d bytes (%v)", wire.ErrProtocol, size, err)
	}
	return nil
}

// Len returns how many connections the pool holds.
func (p *Pool) Len() int { return len(p.conns) }

// Broadcast arms a reader on every connection for one message of size
// bytes, calls trigger (which makes the server broadcast it), and returns
// the time from trigger's call until the last connection has the whole
// message. A raw target is expected to send size bytes.
func (p *Pool) Broadcast(ctx context.Context, size int, trigger func() error) (time.Duration, error) {
	var (
		ready, left atomic.Int64
		end         time.Time
		done        = make(chan struct{})
		errMu       sync.Mutex
		firstErr    error
		armed       = make(chan struct{})
		wg          sync.WaitGroup
	)
	left.Store(int64(len(p.conns)))
	for _, nc := range p.conns {
		wg.Go(func() {
			if ready.Add(1) == int64(len(p.conns)) {
				close(armed)
			}
			err := readMessage(nc, nil, p.t, size, size)
			if err != nil {
				errMu.Lock()
				firstErr = cmpErr(firstErr, err)
				errMu.Unlock()
			}
			if left.Add(-1) == 0 {
				end = time.Now()
				close(done)
			}
		})
	}
	defer wg.Wait()
	// Every reader has started; give them a moment to block in Read.
	<-armed
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := trigger(); err != nil {
		p.unblock()
		return 0, err
	}
	select {
	case <-done:
	case <-ctx.Done():
		p.unblock()
		return 0, ctx.Err()
	case <-time.After(30 * time.Second):
		p.unblock()
		return 0, fmt.Errorf("load: broadcast reached %d of %d connections in 30s", len(p.conns)-int(left.Load()), len(p.conns))
	}
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr != nil {
		return 0, firstErr
	}
	return end.Sub(start), nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// unblock ends every read in progress; the pool is unusable afterwards.
func (p *Pool) unblock() {
	for _, nc := range p.conns {
		if nc != nil {
			nc.SetReadDeadline(time.Unix(1, 0))
		}
	}
}

// Close closes every connection at once, with a reset rather than a
// handshake, so that no port lingers in TIME_WAIT.
func (p *Pool) Close() error {
	for _, nc := range p.conns {
		if nc == nil {
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		nc.Close()
	}
	return nil
}
