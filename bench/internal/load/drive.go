package load

import (
	"net"
	"time"
)

// bigMessage is the size from which a message is written by a goroutine
// of its own while the reply is read, so that a server that answers
// before it has read everything (raw TCP's echo does) cannot deadlock the
// generator.
const bigMessage = 64 << 10

// A tripper makes round trips on one connection, one message in flight:
// the message out, its echo back.
type tripper struct {
	nc       net.Conn
	frame    []byte
	r        *replies
	buf      []byte
	pending  []byte      // read and not fed yet: what came with the handshake
	writes   chan []byte // to the writer goroutine, for a big message
	writeErr chan error
}

// newTripper returns a tripper for messages of size bytes on nc, whose
// handshake left early unread.
func newTripper(nc net.Conn, early []byte, t Target, size int) *tripper {
	frame := framesFor(t, size, 1)
	tr := &tripper{
		nc:      nc,
		frame:   frame,
		r:       newReplies(t, size),
		buf:     make([]byte, min(max(2*len(frame), 4<<10), 256<<10)),
		pending: early,
	}
	if len(frame) >= bigMessage {
		tr.writes, tr.writeErr = make(chan []byte), make(chan error, 1)
		go writer(nc, tr.writes, tr.writeErr)
	}
	return tr
}

// trip makes one round trip. After an error the tripper is not to be used
// again.
func (tr *tripper) trip() error {
	if tr.writes != nil {
		tr.writes <- tr.frame
	} else if _, err := tr.nc.Write(tr.frame); err != nil {
		return err
	}
	// A failed read returns at once: the writer, if still writing, ends
	// when the connection is closed.
	if _, err := awaitReplies(tr.nc, tr.buf, &tr.pending, tr.r); err != nil {
		return err
	}
	if tr.writes != nil {
		return <-tr.writeErr
	}
	return nil
}

// close ends the writer goroutine, once its write is over.
func (tr *tripper) close() {
	if tr.writes != nil {
		close(tr.writes)
	}
}

// pingPong keeps one message in flight on nc, connection i of m, and
// times every round trip.
func pingPong(nc net.Conn, early []byte, t Target, size int, m *meter, i int) connStats {
	var st connStats
	tr := newTripper(nc, early, t, size)
	defer tr.close()
	for !m.stop.Load() {
		start := time.Now()
		if err := tr.trip(); err != nil {
			st.err = err
			return st
		}
		d := time.Since(start)
		m.counts[i].n.Add(1)
		if m.recording.Load() {
			st.lat = append(st.lat, d)
			m.note(i)
		}
	}
	return st
}

// writer writes every buffer it is given and reports each write's error.
func writer(nc net.Conn, writes <-chan []byte, errs chan<- error) {
	for b := range writes {
		_, err := nc.Write(b)
		errs <- err
	}
}

// pipeline keeps l.Window messages in flight on nc: it writes them all,
// then answers each read's replies with as many new messages, in one
// write. It counts them as connection i of m.
func pipeline(nc net.Conn, early []byte, t Target, l Load, frames []byte, m *meter, i int) error {
	r := newReplies(t, l.Size)
	one := len(frames) / l.Window
	buf := make([]byte, 256<<10)
	if _, err := nc.Write(frames); err != nil {
		return err
	}
	pending := early
	for {
		got, err := awaitReplies(nc, buf, &pending, r)
		if err != nil {
			return err
		}
		m.counts[i].n.Add(int64(got))
		if m.stop.Load() {
			return nil
		}
		if _, err := nc.Write(frames[:got*one]); err != nil {
			return err
		}
	}
}

// awaitReplies reads nc, after the bytes in *pending, until at least one
// whole reply is in, and returns how many are.
func awaitReplies(nc net.Conn, buf []byte, pending *[]byte, r *replies) (int, error) {
	for {
		if len(*pending) == 0 {
			n, err := nc.Read(buf)
			if err != nil {
				return 0, err
			}
			*pending = buf[:n]
		}
		got, err := r.feed(*pending)
		*pending = nil
		if err != nil || got > 0 {
			return got, err
		}
	}
}
