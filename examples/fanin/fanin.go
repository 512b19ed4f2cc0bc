package main

import (
	"context"
	"log"
	"reflect"
	"sync"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
)

// peer is a connection the fan-in reads from, with the name it goes by.
type peer struct {
	name string
	c    *conn.Conn
}

// member is a peer as the fan-in tracks it.
type member struct {
	peer
	lastHeard time.Time // when its last message arrived, or when it joined
	closing   bool      // the fan-in has started closing it
	ended     bool      // its In channel is closed: wait for Done instead
}

// The fixed select cases come first; each member's case follows, at the
// same index in the cases slice as the member in the members slice plus
// firstMember.
const (
	caseCtx = iota
	caseJoin
	caseTimer
	firstMember
)

// fanIn reads every connection that arrives on join from this one goroutine
// and logs each message it receives. A connection that sends nothing for
// idle is closed with 1000; when ctx ends, the remaining connections are
// closed with 1001 Going Away and fanIn returns once every one has ended.
//
// The select set changes at run time (connections join and leave), and Go's
// select statement names its channels in the source, so the loop builds its
// cases with reflect.Select. Two other shapes are worth knowing:
//
//   - A merge: one small goroutine per connection that forwards In() into a
//     shared channel, tagged with the connection, and a plain select over
//     that channel, join and a timer. It is typed, needs no reflection, and
//     costs O(1) per message however many connections there are, at the
//     price of one more goroutine per connection (on top of its three
//     actors) and one more channel hop. For thousands of connections, or
//     a hot path, it is the better choice.
//   - reflect.Select, as here: exactly one goroutine reads everything, and
//     its state (who is idle, who is closing) needs no lock. Each call scans
//     all cases, so it costs O(n) per message and allocates; Go caps it at
//     65536 cases. For tens of connections that is nothing, and it is the
//     honest way to select over a set of channels that is not known until
//     run time.
func fanIn(ctx context.Context, join <-chan peer, idle time.Duration, logger *log.Logger) {
	var (
		members []*member
		cases   = make([]reflect.SelectCase, firstMember)
		closers sync.WaitGroup // Close waits for the handshake: off the loop
		timer   = time.NewTimer(idle)
	)
	defer timer.Stop()
	cases[caseCtx] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
	cases[caseJoin] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(join)}
	cases[caseTimer] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)}

	closeMember := func(m *member, code frames.CloseCode, reason string) {
		m.closing = true
		closers.Go(func() { m.c.Close(code, reason) }) // the Done case reports how it ended
	}
	shuttingDown := false

	for !shuttingDown || len(members) > 0 {
		chosen, value, ok := reflect.Select(cases)
		now := time.Now()
		switch chosen {
		case caseCtx:
			// Stop taking connections and close those we have; keep
			// reading them until they end, so that messages already on
			// their way do not hold up their closing handshakes.
			shuttingDown = true
			cases[caseCtx].Chan = reflect.Value{} // a zero Chan is never chosen
			cases[caseJoin].Chan = reflect.Value{}
			for _, m := range members {
				if !m.closing {
					closeMember(m, frames.CloseGoingAway, "server shutting down")
				}
			}
		case caseJoin:
			p := value.Interface().(peer)
			members = append(members, &member{peer: p, lastHeard: now})
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(p.c.In())})
			logger.Printf("%s joined (%d connected)", p.name, len(members))
		case caseTimer:
			for _, m := range members {
				if !m.closing && now.Sub(m.lastHeard) >= idle {
					logger.Printf("%s sent nothing for %v: closing it", m.name, idle)
					closeMember(m, frames.CloseNormal, "idle")
				}
			}
		default:
			i := chosen - firstMember
			m := members[i]
			switch {
			case ok && !m.ended:
				msg := value.Interface().(conn.Message)
				m.lastHeard = now
				logger.Printf("%s: %s", m.name, msg.Data)
			case !m.ended:
				// In is closed: nothing more will arrive. Wait, still
				// without blocking, for Done, after which Err says why.
				m.ended = true
				cases[chosen].Chan = reflect.ValueOf(m.c.Done())
			default:
				logger.Printf("%s left: %v", m.name, m.c.Err())
				last := len(members) - 1
				members[i], cases[chosen] = members[last], cases[firstMember+last]
				members, cases = members[:last], cases[:firstMember+last]
			}
		}
		resetTimer(timer, members, idle, now)
	}
	closers.Wait()
}

// resetTimer sets timer to fire when the first open member reaches its idle
// deadline.
func resetTimer(timer *time.Timer, members []*member, idle time.Duration, now time.Time) {
	next := idle
	for _, m := range members {
		if m.closing {
			continue
		}
		if d := m.lastHeard.Add(idle).Sub(now); d < next {
			next = max(d, 0)
		}
	}
	timer.Reset(next) // since Go 1.23, Reset also discards a stale expiry
}
