package conn

import (
	"sync"
	"sync/atomic"
	"time"
)

// Lending the read half to Receive.
//
// Every message the reader hands to a goroutine blocked in Receive wakes
// that goroutine and, while a processor is idle, a second thread that the
// Go scheduler starts to look for work, which spins, finds none and
// sleeps again: two more context switches and futex calls on every
// message, which on a request-response exchange cost more than the
// message's own system calls. So a Receive whose context can never end
// (its Done is nil, as context.Background's is) and which finds no message
// waiting asks the reader to lend it the socket. The reader does at its
// next frame boundary at which it holds no unfinished message and no
// undelivered one, with the bytes it has read and not decoded yet: from
// then on Receive itself decodes those, waits for the socket, reads and
// decodes frames with the reader's own state and code (every rule of RFC
// 6455 is enforced as before, control frames go to the controller as
// before), and returns the first data message, keeping the socket for its
// next call.
//
// The reader stays the socket's owner and takes it back when no Receive
// has read it for a round of its timer (see lendIdle), when In is called
// or a Receive with a context that can end, a NextReader call, a
// keep-alive ping or a closing handshake needs it read at once, when a
// close frame arrives or a NextReader waits for the next message (the
// reader handles what follows), when a Receive's reading fails (the reader
// ends with that error, as if it had met it itself), and when the
// connection ends. Exactly one goroutine reads the socket at a time; mu
// orders what each does with the reader's state.
//
// While lent, the reader waits for its timer alone, in a shallow frame: an
// idle connection keeps its reader's stack at Go's smallest size. The
// timer is not reset on every message either: Go's timers wake the
// network poller whenever one is set ahead of its wait. Nor does it fire
// often while Receive keeps reading: each round wakes the reader on
// whichever thread runs the timers, which can move the connection's work
// to another thread. In turns with gorilla/websocket's server on 2 cores,
// a server answering one message at a time made about a tenth fewer round
// trips per second with rounds of 20 ms throughout than with these.
type lender struct {
	state atomic.Uint32 // a lendState
	uses  atomic.Uint64 // Receive calls that read with the socket lent
	armed atomic.Bool   // timer runs (set under mu)
	shut  atomic.Bool   // no more lending: the connection is closing
	want  atomic.Bool   // a Receive waited for a message: lend at the next chance

	mu      sync.Mutex    // for the timer and what follows
	timer   *time.Timer   // wakes the reader while it lends the socket
	period  time.Duration // the timer's next round (see lendIdle)
	seen    uint64        // uses when the timer was last set
	backErr error         // the error that ended a Receive's reading, for the reader

	waiting atomic.Int32  // Receive calls waiting that may borrow
	offer   chan struct{} // cap 1: the socket is lent and idle, a waiting Receive may take it
}

type lendState = uint32

const (
	notLent  lendState = iota // the reader reads
	lentIdle                  // lent, and no Receive is reading
	lentBusy                  // a Receive is reading
)

// lendIdle is the first round of the lend's timer. The timer is not set
// again on every Receive: when it fires and finds the socket read since it
// was set, or being read, it runs another round, four times as long as the
// last, up to lendIdleMax; when it finds the socket unread for a whole
// round, the reader takes it back. So the socket is back with the reader
// at most two rounds after a Receive last read it: within 100 ms (20 and
// 80) early in a lend, within 2 s once Receive has read it for half a
// second (rounds of 20, 80 and 320 ms). A control frame that arrives while
// no Receive reads waits that long, unless something above takes the
// socket back sooner.
const (
	lendIdle    = 20 * time.Millisecond
	lendIdleMax = time.Second
)

// lengthen makes the timer's next round four times as long as the last,
// up to lendIdleMax. The caller holds mu.
func (l *lender) lengthen() {
	l.period = min(4*l.period, lendIdleMax)
}

func (l *lender) init() {
	l.offer = make(chan struct{}, 1)
}

// prepare makes the timer, before the actors start: in the reader, a new
// timer's allocation could go deep enough to grow its stack.
func (l *lender) prepare() {
	l.timer = time.NewTimer(lendIdle)
	l.timer.Stop()
}

// lendable reports whether the reader may lend the socket now: a Receive
// wants it, and the reader is at a frame boundary with nothing unfinished
// or undelivered. Bytes it has read and not decoded go with the socket:
// the Receive decodes them first, with the same buffer.
func (r *reader) lendable() bool {
	c := r.c
	return c.lend.want.Load() && !c.lend.shut.Load() && r.br.err == nil && r.op == 0 && !r.closed &&
		len(c.in) == 0 && c.streamWaiters.Load() == 0
}

// lend lends the socket to Receive and waits until it is back. It returns
// the error that ended a Receive's reading, which ends the reader too.
//
//go:noinline
func (r *reader) lend() error {
	l := &r.c.lend
	l.start()
	for {
		<-l.timer.C
		if back, err := l.wake(); back {
			return err
		}
	}
}

// start lends the socket, idle, and offers it to a waiting Receive.
//
//go:noinline
func (l *lender) start() {
	l.mu.Lock()
	l.period = lendIdle
	l.timer.Reset(l.period)
	l.armed.Store(true)
	l.seen = l.uses.Load()
	l.state.Store(lentIdle)
	l.mu.Unlock()
	l.offerIt()
}

// wake is the reader's look at the lend when its timer fires: back says
// the socket is the reader's again, and err what ended the reading of the
// Receive that gave it back.
//
//go:noinline
func (l *lender) wake() (back bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed.Store(false)
	switch l.state.Load() {
	case notLent: // given back, or taken back (see end)
		err, l.backErr = l.backErr, nil
		return true, err
	case lentBusy: // done sets the timer again
		l.lengthen()
		return false, nil
	}
	if uses := l.uses.Load(); uses != l.seen {
		// Read with since the timer was set: another round.
		l.seen = uses
		l.lengthen()
		l.timer.Reset(l.period)
		l.armed.Store(true)
		return false, nil
	}
	if !l.state.CompareAndSwap(lentIdle, notLent) {
		return false, nil // just borrowed: done sets the timer again
	}
	l.want.Store(false)
	select {
	case <-l.offer: // nobody took it
	default:
	}
	return true, nil
}

// end ends a lend, with the error that ended a Receive's reading if any,
// and wakes the reader. The caller holds mu, and the lend: it is busy and
// the caller's, or the caller took it from idle.
func (l *lender) end(err error) {
	l.state.Store(notLent)
	l.backErr = err
	l.want.Store(false)
	l.timer.Reset(0)
	l.armed.Store(true)
}

// reclaim ends an idle lend now, for a caller that must not wait lendIdle
// for the reader to read again. A Receive reading gives the socket back
// when done if the reader is wanted by then (see done).
func (l *lender) reclaim() {
	if l.state.Load() != lentIdle {
		return
	}
	l.mu.Lock()
	if l.state.CompareAndSwap(lentIdle, notLent) {
		l.end(nil)
	}
	l.mu.Unlock()
}

// shutDown ends lending for good: the connection is closing, and its
// reader reads what is left.
func (l *lender) shutDown() {
	l.shut.Store(true)
	l.mu.Lock()
	if l.state.CompareAndSwap(lentIdle, notLent) {
		l.end(nil)
	}
	l.mu.Unlock()
}

// offerIt tells a waiting Receive that it may take the socket.
func (l *lender) offerIt() {
	select {
	case l.offer <- struct{}{}:
	default:
	}
}

// borrow takes an idle lend for a Receive, and reports whether it did.
func (l *lender) borrow() bool {
	return !l.shut.Load() && l.state.CompareAndSwap(lentIdle, lentBusy)
}

// done ends a Receive's reading with the borrowed socket: ok says it read
// a message, and keeps the socket lent, idle, unless keep is false (the
// reader is wanted: a NextReader call waits) or the connection is closing;
// otherwise the socket goes back to the reader, with the error that ended
// the reading, if any.
//
//go:noinline
func (l *lender) done(ok, keep bool, err error) {
	if !ok || !keep || l.shut.Load() {
		l.mu.Lock()
		l.end(err)
		l.mu.Unlock()
		return
	}
	l.uses.Add(1)
	l.state.Store(lentIdle)
	// wake clears armed, then looks at the state: one of the two sees the
	// other, and the timer runs on or is set again here.
	if !l.armed.Load() {
		l.mu.Lock()
		if !l.armed.Load() {
			l.seen = l.uses.Load()
			l.timer.Reset(l.period)
			l.armed.Store(true)
		}
		l.mu.Unlock()
	}
	if l.waiting.Load() > 0 {
		l.offerIt()
	}
}

// receiveLent is Receive for a context that never ends: it reads the next
// message itself while the reader lends it the socket, and otherwise waits
// for one on In, asking for the socket.
func (c *Conn) receiveLent() (Message, error) {
	for {
		if c.lend.borrow() {
			c.rd.fillIfEmpty()
			ok, err := c.rd.next()
			m := c.rd.message() // before done: the next borrower may read at once
			c.lend.done(ok, c.streamWaiters.Load() == 0, err)
			if ok {
				return m, nil
			}
			// The reader goes on, and delivers what follows on In.
		}
		if m, ok, got := c.awaitLent(); got {
			return c.received(m, ok)
		}
	}
}

// awaitLent waits for a message on In, or for the socket to be lent.
// got says it took a message from In (ok false: In is closed).
//
//go:noinline
func (c *Conn) awaitLent() (m Message, ok, got bool) {
	l := &c.lend
	if len(c.in) == 0 {
		l.want.Store(true)
	}
	l.waiting.Add(1)
	// done makes the lend idle, then offers it if a Receive waits: one of
	// the two sees the other.
	if l.state.Load() != lentIdle {
		select {
		case m, ok = <-c.in:
			got = true
		case <-l.offer:
		}
	}
	l.waiting.Add(-1)
	return m, ok, got
}
