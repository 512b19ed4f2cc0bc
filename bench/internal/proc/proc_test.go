package proc

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsactor/wsactor/bench/internal/load"
)

func TestVmRSSReadsKilobytes(t *testing.T) {
	tests := []struct {
		status string
		want   int64
		ok     bool
	}{
		{"Name:\tx\nVmRSS:\t  1234 kB\nThreads: 1\n", 1234 << 10, true},
		{"Name:\tx\n", 0, false},
		{"VmRSS:\t12 MB\n", 0, false},
	}
	for _, tt := range tests {
		got, err := vmRSS([]byte(tt.status))
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("vmRSS(%q) = %d, %v; want %d, ok=%v", tt.status, got, err, tt.want, tt.ok)
		}
	}
}

func TestReadStatsReportsThisProcess(t *testing.T) {
	st, err := ReadStats()
	if err != nil {
		t.Fatal(err)
	}
	if st.RSS <= 0 || st.HeapInuse <= 0 || st.Goroutines < 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestServeAnswersCommandsOverPipes(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Serve(Options{Lib: "raw", Hub: true}, inR, outW)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	next := func(v any) {
		t.Helper()
		if !lines.Scan() {
			t.Fatal("no reply")
		}
		if err := json.Unmarshal(lines.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	var ready Ready
	next(&ready)
	if !strings.HasPrefix(ready.Addr, "127.0.0.1:") {
		t.Fatalf("ready %+v", ready)
	}
	profile := filepath.Join(t.TempDir(), "heap.pprof")
	for _, c := range []struct {
		cmd  string
		good func(reply) bool
	}{
		{"stats", func(r reply) bool { return r.Stats != nil && r.Stats.RSS > 0 && r.Err == "" }},
		{"broadcast 10", func(r reply) bool { return r.Sent == 0 && r.Err == "" }},
		{"broadcast x", func(r reply) bool { return r.Err != "" }},
		{"heapprofile " + profile, func(r reply) bool { return r.Err == "" }},
		{"dance", func(r reply) bool { return r.Err != "" }},
	} {
		io.WriteString(inW, c.cmd+"\n")
		var r reply
		next(&r)
		if !c.good(r) {
			t.Errorf("%q answered %+v", c.cmd, r)
		}
	}
	if fi, err := os.Stat(profile); err != nil || fi.Size() == 0 {
		t.Errorf("heap profile: %v", err)
	}
	io.WriteString(inW, "quit\n")
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v after quit", err)
	}
	inW.Close()
}

func TestStartRunsAServerInAChildProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Setenv(serverEnv, "gorilla")
	p, err := Start(ctx, exe)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if p.Pid() == os.Getpid() {
		t.Fatal("the server runs in this process")
	}
	target := load.Target{Addr: p.Addr, WS: true}
	pool, err := load.Open(ctx, target, 20, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st, err := p.Stats()
	if err != nil || st.Goroutines < 20 {
		t.Fatalf("stats %+v, %v: want a goroutine per connection", st, err)
	}
	d, err := pool.Broadcast(ctx, 1024, func() error { return p.SendBroadcast(1024) })
	if err != nil || d <= 0 {
		t.Fatalf("Broadcast = %v, %v", d, err)
	}
	if sent, err := p.BroadcastReply(); sent != 20 || err != nil {
		t.Fatalf("the server broadcast to %d connections (%v)", sent, err)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
}
