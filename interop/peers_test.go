package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsactor/wsactor/internal/testpeer"
)

// peer is a program that plays the peer's part of the exchanges, as
// described at the top of the scripts in peers/.
type peer struct {
	name string   // for messages, like "node ws"
	argv []string // the command that runs the peer script, before its role
}

// serverPeer is a running peer in its server role.
type serverPeer struct {
	name   string
	url    string // ws://127.0.0.1:PORT
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan []byte // the peer's stdout, line by line; closed at its end
	stderr *testpeer.Buffer
}

// startServer starts p as a server speaking protocols, with the
// permessage-deflate mode deflate (its --deflate flag), and waits for it to
// listen. It is stopped (its stdin closed, killed if it lingers) when the
// test ends.
func (p peer) startServer(t *testing.T, protocols []string, deflate string) *serverPeer {
	t.Helper()
	args := slices.Concat(p.argv[1:], []string{"server", "--protocols", strings.Join(protocols, ","), "--deflate", deflate})
	cmd := exec.Command(p.argv[0], args...)
	s := &serverPeer{name: p.name, cmd: cmd, lines: make(chan []byte, 16), stderr: new(testpeer.Buffer)}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s server: %v", p.name, err)
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			s.lines <- bytes.Clone(sc.Bytes())
		}
	}()
	t.Cleanup(func() { s.stop(t) })
	var hello struct {
		Port int `json:"port"`
	}
	if err := s.next(&hello); err != nil || hello.Port == 0 {
		t.Fatalf("%s server did not say where it listens (%v); stderr:\n%s", p.name, err, s.stderr)
	}
	s.url = fmt.Sprintf("ws://127.0.0.1:%d", hello.Port)
	return s
}

// next decodes the peer's next line of output into v.
func (s *serverPeer) next(v any) error {
	select {
	case line, ok := <-s.lines:
		if !ok {
			return fmt.Errorf("%s server ended its output", s.name)
		}
		if err := json.Unmarshal(line, v); err != nil {
			return fmt.Errorf("%s server printed %q: %w", s.name, line, err)
		}
		return nil
	case <-time.After(exchangeTimeout):
		return fmt.Errorf("%s server printed nothing for %v", s.name, exchangeTimeout)
	}
}

// stop closes the peer's stdin, which tells it to exit, and waits for it;
// a peer still running after a few seconds is killed.
func (s *serverPeer) stop(t *testing.T) {
	s.stdin.Close()
	deadline := time.After(5 * time.Second)
	for drained := false; !drained; {
		select {
		case _, ok := <-s.lines:
			drained = !ok
		case <-deadline:
			t.Errorf("%s server did not exit when its stdin closed: killing it", s.name)
			s.cmd.Process.Kill()
			deadline = nil
		}
	}
	if err := s.cmd.Wait(); err != nil && !t.Failed() {
		t.Errorf("%s server exited with %v; stderr:\n%s", s.name, err, s.stderr)
	}
}

// runClient runs p as a client of the wsactor server at base for ex and
// returns its report.
func (p peer) runClient(ctx context.Context, base string, ex exchange) (clientReport, error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	args := slices.Concat(p.argv[1:], []string{"client",
		"--url", base + ex.path,
		"--protocols", strings.Join(ex.offer, ","),
		"--sizes", ex.sizesArg(),
		"--close", ex.peerCloseArg(),
		"--deflate", ex.peerDeflateArg()})
	cmd := exec.CommandContext(ctx, p.argv[0], args...)
	cmd.WaitDelay = 5 * time.Second
	var stderr testpeer.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return clientReport{}, fmt.Errorf("%s client: %w; stderr:\n%s", p.name, err, &stderr)
	}
	var r clientReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
		return clientReport{}, fmt.Errorf("%s client printed %q: %w; stderr:\n%s", p.name, out, err, &stderr)
	}
	return r, nil
}

// testWsactorServer runs every exchange with p as the client and wsactor as
// the server, checking both sides' accounts.
func testWsactorServer(t *testing.T, p peer) {
	srv := newScriptServer(t, nil)
	for _, ex := range exchanges {
		t.Run(ex.name, func(t *testing.T) {
			start := time.Now()
			report, err := p.runClient(context.Background(), srv.wsURL(), ex)
			if err != nil {
				t.Fatal(err)
			}
			res := srv.result(t, ex.path)
			if res.err != nil {
				t.Errorf("wsactor server: %v", res.err)
			}
			if err := report.check(ex); err != nil {
				t.Errorf("%s client: %v", p.name, err)
			}
			t.Logf("%s client, wsactor server, %s exchange: %v", p.name, ex.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// testWsactorClient runs every exchange with wsactor as the client and p
// as the server, checking both sides' accounts.
func testWsactorClient(t *testing.T, p peer) {
	servers := map[string]*serverPeer{} // by --deflate mode
	for _, ex := range exchanges {
		srv := servers[ex.peerDeflateArg()]
		if srv == nil {
			srv = p.startServer(t, serverProtocols, ex.peerDeflateArg())
			servers[ex.peerDeflateArg()] = srv
		}
		t.Run(ex.name, func(t *testing.T) {
			start := time.Now()
			if err := dialExchange(context.Background(), srv.url, ex); err != nil {
				t.Errorf("wsactor client: %v", err)
			}
			var ev peerClosed
			if err := srv.next(&ev); err != nil {
				t.Fatalf("%v; stderr:\n%s", err, srv.stderr)
			}
			if err := ev.check(ex); err != nil {
				t.Errorf("%s server: %v", p.name, err)
			}
			t.Logf("wsactor client, %s server, %s exchange: %v", p.name, ex.name, time.Since(start).Round(time.Millisecond))
		})
	}
}
