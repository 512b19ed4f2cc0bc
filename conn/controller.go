package conn

import (
	"context"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/wsactor/wsactor/frames"
)

// controller is the controller actor's state: the closing handshake of
// RFC 6455 section 7 and keep-alive.
type controller struct {
	c          *Conn
	sentClose  bool // our close frame is queued
	wroteClose bool // our close frame is on the wire
	gotClose   bool // the peer's close frame arrived
	peerCode   frames.CloseCode
	peerReason string
	readerDone bool
	readErr    error       // why the reader stopped
	failure    *CloseError // the connection is being failed with this
	timer      *time.Timer
	timeout    <-chan time.Time
	life       <-chan struct{} // the connection's context (WithContext), nil once it ended

	// Keep-alive.
	ticker       *time.Ticker
	tick         <-chan time.Time
	pongTimer    *time.Timer
	pongWait     <-chan time.Time
	lastActivity uint64 // activity at the last tick
	pingActivity uint64 // activity when the ping was sent
}

// newController returns the controller's state, on the heap rather than
// in control's frame, which is on the stack of every idle connection.
//
//go:noinline
func newController(c *Conn) *controller {
	return &controller{c: c}
}

// run is the controller actor. It returns once the connection is over:
// the socket closed, the reader and writer gone, Done closed.
func (k *controller) run(ctx context.Context) error {
	k.start()
	done := ctx.Done()
	// The loop's frame is on the stack of every idle connection, and a
	// goroutine's stack, once grown, is as large as its deepest call ever
	// was: everything the other actors and the user ask for comes on the
	// one events channel, the wait for timers is in a method of its own,
	// and so is the work of each case.
	for {
		var final *CloseError
		if k.timed() {
			final = k.waitTimed(ctx)
		} else {
			select {
			case ev := <-k.c.events:
				k.handle(ev)
			case <-done:
				final = k.interrupted(context.Cause(ctx))
			}
		}
		if final == nil {
			final = k.ended()
		}
		if final != nil {
			k.finish(final)
			return nil
		}
	}
}

// start starts keep-alive, if it is on, and watches the connection's
// context.
//
//go:noinline
func (k *controller) start() {
	k.life = k.c.opts.ctx.Done()
	k.startKeepAlive()
}

// finish stops the timers and ends the connection.
//
//go:noinline
func (k *controller) finish(final *CloseError) {
	k.stopTimers()
	k.c.teardown(final)
}

// timed reports whether the controller waits for a timer or for the
// connection's context as well as for events.
func (k *controller) timed() bool {
	return k.timeout != nil || k.life != nil || k.tick != nil || k.pongWait != nil
}

// waitTimed is run's wait while a timer runs or the connection's context
// may end: it handles one event or timer, and returns how the connection
// ended if it did.
//
//go:noinline
func (k *controller) waitTimed(ctx context.Context) *CloseError {
	select {
	case ev := <-k.c.events:
		k.handle(ev)
	case <-k.timeout:
		return k.timedOut()
	case <-k.life:
		k.life = nil
		k.goingAway()
	case <-k.tick:
		k.keepAlive()
	case <-k.pongWait:
		return k.pongDue()
	case <-ctx.Done():
		return k.interrupted(context.Cause(ctx))
	}
	return nil
}

// goingAway starts the close when the connection's context ends.
//
//go:noinline
func (k *controller) goingAway() {
	_ = k.startClose(mustClosePayload(frames.CloseGoingAway, "going away"))
}

// keepAlive sends a ping when nothing has arrived since the last tick.
//
//go:noinline
func (k *controller) keepAlive() {
	if a := k.c.activity.Load(); a != k.lastActivity || k.sentClose {
		k.lastActivity = a
		return
	}
	if k.pongWait == nil {
		_ = k.c.mb.put(context.Background(), frames.Header{Fin: true, Opcode: frames.OpPing}, nil, controlFrame)
		k.c.lend.reclaim() // the pong is read at once, even if no Receive reads
		k.pingActivity = k.lastActivity
		k.pongTimer = time.NewTimer(k.c.opts.pongTimeout)
		k.pongWait = k.pongTimer.C
	}
}

// pongDue is the end of the wait after a keep-alive ping: the connection
// fails if nothing at all arrived meanwhile.
//
//go:noinline
func (k *controller) pongDue() *CloseError {
	k.pongWait = nil
	if k.c.activity.Load() == k.pingActivity {
		return &CloseError{Code: frames.CloseAbnormal, Err: ErrPeerUnresponsive}
	}
	return nil
}

// startKeepAlive starts the keep-alive ticker, if keep-alive is on.
func (k *controller) startKeepAlive() {
	k.lastActivity = k.c.activity.Load()
	if k.c.opts.pingInterval > 0 {
		k.ticker = time.NewTicker(k.c.opts.pingInterval)
		k.tick = k.ticker.C
	}
}

// stopTimers stops the controller's timers.
func (k *controller) stopTimers() {
	for _, t := range []*time.Timer{k.timer, k.pongTimer} {
		if t != nil {
			t.Stop()
		}
	}
	if k.ticker != nil {
		k.ticker.Stop()
	}
}

// handle reacts to what the reader, the writer or a closer reports.
//
//go:noinline
func (k *controller) handle(ev *event) {
	switch ev.kind {
	case evCloseRequest:
		ev.result <- k.startClose(ev.payload)
	case evInvalid:
		// A message on Out could not be sent: fail with 1011.
		k.fail(&CloseError{Code: frames.CloseInternalError, Err: ev.err})
	case evCloseWritten:
		k.wroteClose = true
	case evPing:
		if !k.sentClose {
			_ = k.c.mb.put(context.Background(), frames.Header{Fin: true, Opcode: frames.OpPong}, ev.payload, controlFrame)
		}
	case evClose:
		k.gotClose, k.peerCode, k.peerReason = true, ev.code, ev.reason
		if !k.sentClose {
			// Echo the peer's code; a close without one is echoed empty.
			payload, err := frames.AppendClose(nil, ev.code, "")
			if err != nil {
				payload = nil
			}
			_ = k.startClose(payload)
		}
		k.armTimer()
	case evEnd:
		k.readerDone, k.readErr = true, unexpected(ev.err)
		var pe *protocolError
		if errors.As(ev.err, &pe) {
			k.fail(&CloseError{Code: pe.code, Reason: shortReason(pe.err.Error()), Err: pe})
		}
	}
}

// startClose queues our close frame, once.
//
//go:noinline
func (k *controller) startClose(payload []byte) error {
	if k.sentClose {
		return nil
	}
	k.c.lend.shutDown() // the closing handshake wants the peer's close frame read at once
	err := k.c.mb.put(context.Background(), frames.Header{Fin: true, Opcode: frames.OpClose}, payload, closeFrame)
	if err != nil {
		return err
	}
	k.sentClose = true
	k.c.state.Store(int32(Closing))
	k.armTimer()
	return nil
}

// fail starts failing the connection (RFC 6455 7.1.7): send a close frame
// with the failure's code if none was sent, then close the socket.
func (k *controller) fail(f *CloseError) {
	if k.failure != nil || k.gotClose && k.sentClose {
		return
	}
	k.failure = f
	payload, err := frames.AppendClose(nil, f.Code, f.Reason)
	if err != nil {
		payload, _ = frames.AppendClose(nil, f.Code, "")
	}
	_ = k.startClose(payload)
}

func (k *controller) armTimer() {
	if k.timer == nil {
		k.timer = time.NewTimer(k.c.opts.closeTimeout)
		k.timeout = k.timer.C
	}
}

// ended returns how the connection ended, or nil while it goes on.
func (k *controller) ended() *CloseError {
	if final, over := k.over(); over {
		return final
	}
	return nil
}

// over says whether the connection is done, and how it ended.
//
//go:noinline
func (k *controller) over() (*CloseError, bool) {
	switch {
	case k.failure != nil:
		// Failing: done once the close frame is out (or could not be sent).
		return k.failure, k.wroteClose || !k.sentClose
	case k.gotClose && k.readerDone:
		// The peer closed TCP after its close frame: nothing more to wait
		// for, whether or not our answer got out.
		return k.clean(), true
	case k.gotClose && k.wroteClose:
		// Handshake complete. The server closes TCP first; the client
		// waits for that (RFC 6455 7.1.1), bounded by the close timeout.
		return k.clean(), !k.c.client
	case k.readerDone:
		return &CloseError{Code: frames.CloseAbnormal, Err: k.readErr}, true
	}
	return nil, false
}

func (k *controller) clean() *CloseError {
	return &CloseError{Code: k.peerCode, Reason: k.peerReason}
}

// timedOut is the end when the close timeout fires.
//
//go:noinline
func (k *controller) timedOut() *CloseError {
	switch {
	case k.failure != nil:
		return k.failure
	case k.gotClose:
		return k.clean()
	}
	return &CloseError{Code: frames.CloseAbnormal, Err: ErrCloseTimeout}
}

// interrupted is the end when the writer failed.
//
//go:noinline
func (k *controller) interrupted(cause error) *CloseError {
	switch {
	case k.failure != nil:
		return k.failure
	case k.gotClose:
		return k.clean()
	}
	return &CloseError{Code: frames.CloseAbnormal, Err: cause}
}

// teardown closes the socket, stops the reader and writer, waits for them
// and closes Done.
func (c *Conn) teardown(final *CloseError) {
	c.setErr(final)
	c.netConn.Close()
	c.mb.stop(ErrClosed) // wakes the writer, which then ends
	c.lend.shutDown()    // an idle lend ends; a Receive reading fails and gives the socket back
	c.mu.Lock()
	g := c.group
	c.mu.Unlock()
	g.Cancel(ErrClosed)
	c.actors.Wait()
	c.state.Store(int32(Closed))
	close(c.done)
}

// shortReason fits s into a close frame's reason, cutting it at a
// character boundary.
func shortReason(s string) string {
	if len(s) <= frames.MaxCloseReason {
		return s
	}
	s = s[:frames.MaxCloseReason]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

func mustClosePayload(code frames.CloseCode, reason string) []byte {
	p, err := frames.AppendClose(nil, code, reason)
	if err != nil {
		panic(err) // only called with constant, valid arguments
	}
	return p
}
