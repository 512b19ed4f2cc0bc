package load

import (
	"net"
	"sync/atomic"
	"time"
)

// bigMessage is the size from which a message is written by a goroutine
// of its own while the reply is read, so that a server that answers
// before it has read everything cannot deadlock the generator.
const bigMessage = 64 << 10

// pingPong keeps one message in flight on nc and times every round trip.
func pingPong(nc net.Conn, early []byte, t Target, size int, frame []byte, m *meter, count *atomic.Int64) connStats {
	var st connStats
	r := newReplies(t, size)
	buf := make([]byte, min(max(2*len(frame), 4<<10), 256<<10))
	if _, err := r.feed(early); err != nil {
		return connStats{err: err}
	}
	var writes chan []byte
	var writeErr chan error
	if len(frame) >= bigMessage {
		writes, writeErr = make(chan []byte), make(chan error, 1)
		go writer(nc, writes, writeErr)
		defer close(writes)
	}
	for !m.stop.Load() {
		start := time.Now()
		if writes != nil {
			writes <- frame
		} else if _, err := nc.Write(frame); err != nil {
			st.err = err
			return st
		}
		for got := 0; got == 0; {
			n, err := nc.Read(buf)
			if err != nil {
				st.err = err
				return st
			}
			if got, err = r.feed(buf[:n]); err != nil {
				st.err = err
				return st
			}
		}
		if writes != nil {
			if err := <-writeErr; err != nil {
				st.err = err
				return st
			}
		}
		d := time.Since(start)
		count.Add(1)
		if m.recording.Load() {
			st.lat = append(st.lat, d)
			m.measured.Add(1)
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
// write.
func pipeline(nc net.Conn, early []byte, t Target, l Load, frames []byte, m *meter, count *atomic.Int64) error {
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
		count.Add(int64(got))
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
