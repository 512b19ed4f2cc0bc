package load

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wsactor/wsactor/bench/internal/libs"
)

// RunClient drives the echo server at addr through the named library's
// client, with l: it sends l.Window messages, then sends one more from
// within the client's receive callback for every reply, so that l.Window
// stay in flight.
func RunClient(ctx context.Context, lib, addr string, l Load) (Result, error) {
	if l.Conns < 1 || l.Window < 1 {
		return Result{}, fmt.Errorf("load: %d connections with %d in flight", l.Conns, l.Window)
	}
	clients := make([]libs.Client, 0, l.Conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range l.Conns {
		c, err := libs.Dial(ctx, lib, addr)
		if err != nil {
			return Result{}, err
		}
		clients = append(clients, c)
	}
	payload := make([]byte, l.Size)
	m := newMeter(l.Conns)
	stats := make([]connStats, l.Conns)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { stats[i] = drive(c, payload, l, m, i) })
	}
	n, window, err := m.measure(ctx, l)
	if werr := waitOrCloseClients(&wg, clients); werr != nil && err == nil {
		err = werr
	}
	return collect(n, window, l, stats, err)
}

// drive runs one client, connection i of m, until m stops it.
func drive(c libs.Client, payload []byte, l Load, m *meter, i int) connStats {
	var st connStats
	start := time.Now()
	for range l.Window {
		if err := c.Send(payload); err != nil {
			return connStats{err: err}
		}
	}
	err := c.Run(func(size int) bool {
		if size != len(payload) {
			st.err = fmt.Errorf("load: reply of %d bytes, want %d", size, len(payload))
			return false
		}
		m.counts[i].n.Add(1)
		if l.Window == 1 {
			d := time.Since(start)
			if m.recording.Load() {
				st.lat = append(st.lat, d)
				m.note(i)
			}
		}
		if m.stop.Load() {
			return false
		}
		start = time.Now()
		if err := c.Send(payload); err != nil {
			st.err = err
			return false
		}
		return true
	})
	if err != nil && st.err == nil {
		st.err = err
	}
	return st
}

// waitOrCloseClients waits for wg, closing the clients if that takes
// longer than grace so that their receive loops end.
func waitOrCloseClients(wg *sync.WaitGroup, clients []libs.Client) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	for _, c := range clients {
		c.Close()
	}
	<-done
	return ErrStuck
}
