package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wsactor/wsactor/conn"
	"github.com/wsactor/wsactor/frames"
	"github.com/wsactor/wsactor/supervisor"
)

// defaultBackoffMin is the first delay before dialling again.
const defaultBackoffMin = 500 * time.Millisecond

// config is what the command line sets.
type config struct {
	url       string
	protocols []string
	header    http.Header
	binary    bool          // send lines as binary messages
	ping      time.Duration // keep-alive interval, 0 for none
	linger    time.Duration // after the end of input, how long a silence ends the session
	backoff   supervisor.Backoff
}

// parseHeaders turns "Name: value" strings into a header.
func parseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for _, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("header %q is not \"Name: value\"", l)
		}
		h.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	return h, nil
}

// errInputDone ends the client once standard input is exhausted and the
// server has answered the close.
var errInputDone = fmt.Errorf("end of input: %w", supervisor.ErrStop)

// errInterrupted ends the client after Ctrl-C closed its connection.
var errInterrupted = fmt.Errorf("interrupted: %w", supervisor.ErrStop)

// run connects to cfg.url and keeps connecting, sending the lines of in
// and printing what arrives to out, and what happens to the connection to
// status. It returns nil at the end of in or of ctx, and the error that
// made it give up otherwise.
func run(ctx context.Context, cfg config, in io.Reader, out, status io.Writer) error {
	opts := []conn.Option{conn.WithProtocols(cfg.protocols...)}
	if len(cfg.header) > 0 {
		opts = append(opts, conn.WithHeader(cfg.header))
	}
	if cfg.ping > 0 {
		opts = append(opts, conn.WithKeepAlive(cfg.ping, cfg.ping))
	}
	backoff := cfg.backoff
	if backoff == (supervisor.Backoff{}) {
		backoff = supervisor.DefaultBackoff
		backoff.Min = defaultBackoffMin
	}

	lines := readLines(ctx, in)
	s := &session{cfg: cfg, lines: lines, interrupt: ctx.Done(), out: out, status: status}
	cl := supervisor.NewClient(cfg.url, s.handle, supervisor.ClientOptions{
		ConnOptions: opts,
		Backoff:     backoff,
		Logger:      slog.New(slog.DiscardHandler), // watch reports instead
	})

	// Ctrl-C (ctx) must close an open connection with 1000, which the
	// handler does; the client itself would close with 1001. So the client
	// runs under a context of its own, cancelled at once only when no
	// connection is open.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-ctx.Done():
			if !s.connected() {
				cancel()
			}
		case <-sctx.Done():
		}
	})
	wg.Go(func() { watch(sctx, cl, status) })
	err := cl.Serve(sctx)
	cancel()
	wg.Wait()
	if errors.Is(err, errInputDone) || errors.Is(err, errInterrupted) || ctx.Err() != nil {
		return nil
	}
	return err
}

// readLines sends each line of in on the channel it returns, which it
// closes at the end of in. It stops early when ctx ends.
func readLines(ctx context.Context, in io.Reader) <-chan string {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines
}

// watch reports the client's state changes to w until ctx ends.
func watch(ctx context.Context, cl *supervisor.Client, w io.Writer) {
	var last supervisor.ClientState = -1
	for {
		st, changed := cl.Watch()
		if st.State != last {
			last = st.State
			switch st.State {
			case supervisor.ClientDialing:
				fmt.Fprintln(w, "* connecting")
			case supervisor.ClientBackoff:
				fmt.Fprintf(w, "* disconnected (%v): reconnecting in %v\n", st.Err, st.Delay.Round(time.Millisecond))
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// session is what the client does on each connection.
type session struct {
	cfg       config
	lines     <-chan string
	interrupt <-chan struct{} // closed by Ctrl-C
	out       io.Writer
	status    io.Writer

	mu      sync.Mutex
	open    bool     // a connection is being handled
	pending []string // lines read but not sent when a connection ended
}

// handle runs one connection: lines out, messages in. At the end of input
// it waits for the server to fall silent for cfg.linger, then closes with
// 1000 and waits for the server's answer; Ctrl-C closes with 1000 at once.
func (s *session) handle(ctx context.Context, c *conn.Conn) error {
	s.setConnected(true)
	defer s.setConnected(false)
	fmt.Fprintf(s.status, "* connected to %s", s.cfg.url)
	if p := c.Protocol(); p != "" {
		fmt.Fprintf(s.status, " (subprotocol %s)", p)
	}
	fmt.Fprintln(s.status)
	op := frames.OpText
	if s.cfg.binary {
		op = frames.OpBinary
	}
	for _, line := range s.takePending() {
		if err := c.Send(ctx, []byte(line), op); err != nil {
			s.setPending(line)
			return err
		}
	}
	lines := s.lines
	var quiet *time.Timer // after the end of input: the silence that ends it
	var quietC <-chan time.Time
	defer func() {
		if quiet != nil {
			quiet.Stop()
		}
	}()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				// Replies to the last lines may be on their way: close once
				// the server has been silent for cfg.linger.
				lines = nil
				quiet = time.NewTimer(s.cfg.linger)
				quietC = quiet.C
				continue
			}
			if err := c.Send(ctx, []byte(line), op); err != nil {
				s.setPending(line) // to be sent on the next connection
				return err
			}
		case msg, ok := <-c.In():
			if !ok {
				<-c.Done()
				return c.Err()
			}
			s.print(msg)
			if quiet != nil {
				quiet.Reset(s.cfg.linger)
			}
		case <-quietC:
			return s.finish(ctx, c)
		case <-s.interrupt:
			c.Close(frames.CloseNormal, "")
			return errInterrupted
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// finish closes c with 1000 once input has ended, printing the messages
// that arrive before the server's answer.
func (s *session) finish(ctx context.Context, c *conn.Conn) error {
	closed := make(chan error, 1)
	go func() { closed <- c.CloseContext(ctx, frames.CloseNormal, "") }()
	for msg := range c.In() {
		s.print(msg)
	}
	if err := <-closed; err != nil && !errors.Is(err, conn.ErrClosed) {
		return err
	}
	return errInputDone
}

func (s *session) print(msg conn.Message) {
	if msg.Opcode == frames.OpBinary {
		fmt.Fprintf(s.out, "[binary %d bytes] %s\n", len(msg.Data), hex.EncodeToString(msg.Data))
		return
	}
	fmt.Fprintln(s.out, msg.String())
}

func (s *session) setConnected(open bool) {
	s.mu.Lock()
	s.open = open
	s.mu.Unlock()
}

// connected reports whether a connection is being handled.
func (s *session) connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// setPending keeps a line that a connection could not send for the next.
func (s *session) setPending(line string) {
	s.mu.Lock()
	s.pending = append(s.pending, line)
	s.mu.Unlock()
}

// takePending returns the lines kept for this connection.
func (s *session) takePending() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.pending
	s.pending = nil
	return lines
}
