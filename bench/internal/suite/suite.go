// Package suite defines the benchmark's scenarios and measures one
// library in one scenario: it starts the server under test in a process
// of its own (package proc), drives it with the load generator (package
// load) and returns the scenario's figures.
//
// Server scenarios put each library's server under the one common load
// generator; client scenarios put each library's client against the one
// common echo server (package wire's, or a raw TCP echo for raw). The
// raw-TCP reference moves the same bytes with no WebSocket work.
// Ping-pong and large messages, whose round trips a shared machine slows
// by a factor of several (or by a third) at times, measure all libraries
// in one window, in turns.
package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/wsactor/wsactor/bench/internal/libs"
	"github.com/wsactor/wsactor/bench/internal/load"
	"github.com/wsactor/wsactor/bench/internal/proc"
	"github.com/wsactor/wsactor/bench/internal/report"
)

// Config says how long and how hard to measure, and how to start servers.
type Config struct {
	// Exe is the program that runs a server when given ServerArgs.
	Exe        string
	ServerArgs func(lib string, hub bool, cpuProfile string) []string

	Warmup   time.Duration // per measurement, not measured
	Duration time.Duration // per measurement, measured
	Idle     int           // connections in the idle and broadcast scenarios
	Rounds   int           // broadcasts per broadcast measurement
	// ProfileDir, when set, receives a CPU profile of every server (and of
	// the benchmark process during client scenarios) and a heap profile of
	// every idle server.
	ProfileDir string
}

// A Scenario is a report.Scenario that knows how to measure a library, or
// all of its libraries at once.
type Scenario struct {
	report.Scenario
	measure func(ctx context.Context, cfg *Config, lib, profile string) (map[string]float64, error)
	// measureAll, when set instead of measure, measures every library in
	// one window, interleaved: profile names each library's file.
	measureAll func(ctx context.Context, cfg *Config, libs []string, profile func(lib string) string) (map[string]map[string]float64, error)
}

// Interleaved reports whether the scenario measures all its libraries at
// once (MeasureAll) rather than one at a time (Measure).
func (s Scenario) Interleaved() bool { return s.measureAll != nil }

// MeasureAll measures every library of an interleaved scenario in one
// window, libs in the order given; run numbers the profile files. It
// returns each library's figures.
func (s Scenario) MeasureAll(ctx context.Context, cfg *Config, libs []string, run int) (map[string]map[string]float64, error) {
	return s.measureAll(ctx, cfg, libs, func(lib string) string { return s.profile(cfg, lib, run) })
}

// Measure measures lib in the scenario; run numbers the profile files.
func (s Scenario) Measure(ctx context.Context, cfg *Config, lib string, run int) (map[string]float64, error) {
	return s.measure(ctx, cfg, lib, s.profile(cfg, lib, run))
}

// profile returns the path prefix of lib's profiles in run, or "".
func (s Scenario) profile(cfg *Config, lib string, run int) string {
	if cfg.ProfileDir == "" {
		return ""
	}
	name := fmt.Sprintf("%s.%s.run%d", strings.ReplaceAll(s.Name, "/", "-"), lib, run)
	return filepath.Join(cfg.ProfileDir, name)
}

var (
	rate  = report.Metric{Key: "rate", Label: "msg/s", HigherIsBetter: true}
	trips = report.Metric{Key: "rate", Label: "round trips/s", HigherIsBetter: true}
	p50   = report.Metric{Key: "p50", Label: "p50 µs"}
	p99   = report.Metric{Key: "p99", Label: "p99 µs"}
	mbps  = report.Metric{Key: "mbps", Label: "MB/s", HigherIsBetter: true}
)

// The libraries of each kind of scenario, in table order.
var (
	serverLibs = libs.ServerNames
	memLibs    = slices.DeleteFunc(slices.Clone(libs.ServerNames), func(s string) bool { return s == "wsactor-chan" })
	clientLibs = append(slices.Clone(libs.ClientNames), "raw")
)

// All returns every scenario, in the order they run and are reported.
func All(cfg *Config) []Scenario {
	var all []Scenario
	add := func(name, title, short string, ls []string, ms []report.Metric, f func(context.Context, *Config, string, string) (map[string]float64, error)) {
		all = append(all, Scenario{Scenario: report.Scenario{Name: name, Title: title, Short: short, Metrics: ms, Libs: ls}, measure: f})
	}
	addAll := func(name, title, short string, ls []string, ms []report.Metric, f func(context.Context, *Config, []string, func(string) string) (map[string]map[string]float64, error)) {
		all = append(all, Scenario{Scenario: report.Scenario{Name: name, Title: title, Short: short, Metrics: ms, Libs: ls}, measureAll: f})
	}
	type shape struct {
		conns, size int
		name        string
	}
	pipelined := []shape{{1, 16, "1x16B"}, {1, 1 << 10, "1x1KiB"}, {64, 16, "64x16B"}, {64, 1 << 10, "64x1KiB"}}

	pingPong := load.Load{Conns: 1, Window: 1, Size: 16}
	addAll("server/ping-pong", "1 connection to each server, 16 B messages, 1 in flight, the servers' round trips taken in turn", "server ping-pong",
		serverLibs, []report.Metric{trips, p50, p99}, serverInterleaved(pingPong))
	for _, p := range pipelined {
		add("server/pipelined-"+p.name, fmt.Sprintf("%s, %s messages, 64 in flight per connection", conns(p.conns), size(p.size)),
			"server pipelined "+p.name, serverLibs, []report.Metric{rate}, serverLoad(load.Load{Conns: p.conns, Window: 64, Size: p.size}))
	}
	for _, n := range []int{1 << 20, 16 << 20} {
		addAll("server/large-"+size(n), fmt.Sprintf("1 connection to each server, %s messages, 1 in flight, the servers' round trips taken in turn", size(n)),
			"server large "+size(n), serverLibs, []report.Metric{mbps}, serverInterleaved(load.Load{Conns: 1, Window: 1, Size: n, MinMessages: 20}))
	}
	add("server/idle", fmt.Sprintf("%s connections, each idle after one 16 B echo: server memory per connection", commas(cfg.Idle)),
		"server idle memory", memLibs, []report.Metric{
			{Key: "rss", Label: "RSS KiB/conn"},
			{Key: "goroutines", Label: "goroutines/conn"},
			{Key: "heap", Label: "heap KiB/conn"},
			{Key: "stack", Label: "stack KiB/conn"},
		}, idle)
	add("server/broadcast", fmt.Sprintf("1 KiB to %s connections: time until the last has it", commas(cfg.Idle)),
		"server broadcast", memLibs, []report.Metric{{Key: "ms", Label: "ms"}}, broadcast)

	addAll("client/ping-pong", "1 connection from each client, 16 B messages, 1 in flight, the clients' round trips taken in turn", "client ping-pong",
		clientLibs, []report.Metric{trips, p50, p99}, clientPingPong(pingPong))
	for _, p := range pipelined {
		add("client/pipelined-"+p.name, fmt.Sprintf("%s, %s messages, 64 in flight per connection", conns(p.conns), size(p.size)),
			"client pipelined "+p.name, clientLibs, []report.Metric{rate}, clientLoad(load.Load{Conns: p.conns, Window: 64, Size: p.size}))
	}
	return all
}

// Select returns the scenarios whose name matches pattern, each with only
// the libraries that match libPattern (and that the scenario has).
func Select(all []Scenario, pattern, libPattern string) ([]Scenario, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("suite: scenarios: %w", err)
	}
	lre, err := regexp.Compile(libPattern)
	if err != nil {
		return nil, fmt.Errorf("suite: libraries: %w", err)
	}
	var out []Scenario
	for _, s := range all {
		if !re.MatchString(s.Name) {
			continue
		}
		s.Libs = slices.DeleteFunc(slices.Clone(s.Libs), func(l string) bool { return !lre.MatchString(l) })
		if len(s.Libs) > 0 {
			out = append(out, s)
		}
	}
	return out, nil
}

func conns(n int) string {
	if n == 1 {
		return "1 connection"
	}
	return fmt.Sprintf("%d connections", n)
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// commas writes n with thousands separators.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// startServer runs lib's server in a process of its own.
func startServer(ctx context.Context, cfg *Config, lib string, hub bool, profile string) (*proc.Process, error) {
	cpu := ""
	if profile != "" {
		cpu = profile + ".cpu.pprof"
	}
	return proc.Start(ctx, cfg.Exe, cfg.ServerArgs(lib, hub, cpu)...)
}

// figures turns a load result into a scenario's figures.
func figures(res load.Result, l load.Load) map[string]float64 {
	v := map[string]float64{"rate": res.Rate}
	if l.Window == 1 {
		v["p50"] = float64(res.Percentile(0.50)) / 1e3
		v["p99"] = float64(res.Percentile(0.99)) / 1e3
		v["mbps"] = res.Rate * float64(l.Size) / 1e6
	}
	return v
}

// serverLoad measures a library's server under the common load generator.
func serverLoad(shape load.Load) func(context.Context, *Config, string, string) (map[string]float64, error) {
	return func(ctx context.Context, cfg *Config, lib, profile string) (map[string]float64, error) {
		l := shape
		l.Warmup, l.Duration = cfg.Warmup, cfg.Duration
		p, err := startServer(ctx, cfg, lib, false, profile)
		if err != nil {
			return nil, err
		}
		defer p.Stop()
		res, err := load.Run(ctx, load.Target{Addr: p.Addr, WS: lib != "raw"}, l)
		if err != nil {
			return nil, err
		}
		return figures(res, l), p.Stop()
	}
}

// clientLoad measures a library's client against the common echo server.
func clientLoad(shape load.Load) func(context.Context, *Config, string, string) (map[string]float64, error) {
	return func(ctx context.Context, cfg *Config, lib, profile string) (map[string]float64, error) {
		l := shape
		l.Warmup, l.Duration = cfg.Warmup, cfg.Duration
		server := "minimal"
		if lib == "raw" {
			server = "raw"
		}
		p, err := startServer(ctx, cfg, server, false, "")
		if err != nil {
			return nil, err
		}
		defer p.Stop()
		if profile != "" {
			f, err := os.Create(profile + ".client.cpu.pprof")
			if err != nil {
				return nil, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, err
			}
			defer pprof.StopCPUProfile()
		}
		var res load.Result
		if lib == "raw" {
			res, err = load.Run(ctx, load.Target{Addr: p.Addr}, l)
		} else {
			res, err = load.RunClient(ctx, lib, p.Addr, l)
		}
		if err != nil {
			return nil, err
		}
		return figures(res, l), p.Stop()
	}
}

// figuresEach turns the results of an interleaved run, one per library
// of ls, into each library's figures.
func figuresEach(ls []string, res []load.Result, l load.Load) map[string]map[string]float64 {
	out := make(map[string]map[string]float64, len(ls))
	for i, lib := range ls {
		out[lib] = figures(res[i], l)
	}
	return out
}

// serverInterleaved measures every library's server at once, with one
// message in flight: each in a process of its own, one connection to
// each, their round trips taken in turn (see load.RunInterleaved), so
// that all of them see the same machine.
func serverInterleaved(shape load.Load) func(context.Context, *Config, []string, func(string) string) (map[string]map[string]float64, error) {
	return func(ctx context.Context, cfg *Config, ls []string, profile func(string) string) (map[string]map[string]float64, error) {
		l := shape
		l.Warmup, l.Duration = cfg.Warmup, cfg.Duration
		targets := make([]load.Target, 0, len(ls))
		for _, lib := range ls {
			p, err := startServer(ctx, cfg, lib, false, profile(lib))
			if err != nil {
				return nil, err
			}
			defer p.Stop()
			targets = append(targets, load.Target{Addr: p.Addr, WS: lib != "raw"})
		}
		res, err := load.RunInterleaved(ctx, targets, l)
		if err != nil {
			return nil, err
		}
		return figuresEach(ls, res, l), nil
	}
}

// clientPingPong measures every library's client at once, against the
// common echo server (raw's against a raw echo), their round trips taken
// in turn (see load.RunClientsInterleaved).
func clientPingPong(shape load.Load) func(context.Context, *Config, []string, func(string) string) (map[string]map[string]float64, error) {
	return func(ctx context.Context, cfg *Config, ls []string, profile func(string) string) (map[string]map[string]float64, error) {
		l := shape
		l.Warmup, l.Duration = cfg.Warmup, cfg.Duration
		addrs := map[string]string{}
		for _, server := range []string{"minimal", "raw"} {
			p, err := startServer(ctx, cfg, server, false, "")
			if err != nil {
				return nil, err
			}
			defer p.Stop()
			addrs[server] = p.Addr
		}
		clients := make([]load.Participant, 0, len(ls))
		handedOver := false // RunClientsInterleaved closes them
		defer func() {
			for _, c := range clients {
				if !handedOver {
					c.Close()
				}
			}
		}()
		for _, lib := range ls {
			var c load.Participant
			var err error
			if lib == "raw" {
				c, err = load.DialRaw(ctx, addrs["raw"], l.Size)
			} else {
				c, err = libs.Dial(ctx, lib, addrs["minimal"])
			}
			if err != nil {
				return nil, err
			}
			clients = append(clients, c)
		}
		if p := profile("all"); p != "" {
			f, err := os.Create(p + ".client.cpu.pprof")
			if err != nil {
				return nil, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, err
			}
			defer pprof.StopCPUProfile()
		}
		handedOver = true
		res, err := load.RunClientsInterleaved(ctx, clients, l)
		if err != nil {
			return nil, err
		}
		return figuresEach(ls, res, l), nil
	}
}

// dialers is how many connections the idle scenarios open at a time.
const dialers = 32

// idle measures a server's memory and goroutines per idle connection.
func idle(ctx context.Context, cfg *Config, lib, profile string) (map[string]float64, error) {
	p, err := startServer(ctx, cfg, lib, false, profile)
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	before, err := p.Stats()
	if err != nil {
		return nil, err
	}
	pool, err := load.Open(ctx, load.Target{Addr: p.Addr, WS: lib != "raw"}, cfg.Idle, dialers)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	// Let anything the connections set off settle before looking.
	if err := sleep(ctx, 200*time.Millisecond); err != nil {
		return nil, err
	}
	after, err := p.Stats()
	if err != nil {
		return nil, err
	}
	if profile != "" {
		if err := p.HeapProfile(profile + ".heap.pprof"); err != nil {
			return nil, err
		}
	}
	n := float64(cfg.Idle)
	v := map[string]float64{
		"rss":        float64(after.RSS-before.RSS) / n / 1024,
		"goroutines": float64(after.Goroutines-before.Goroutines) / n,
		"heap":       float64(after.HeapInuse-before.HeapInuse) / n / 1024,
		"stack":      float64(after.StackInuse-before.StackInuse) / n / 1024,
	}
	pool.Close()
	return v, p.Stop()
}

// broadcastSize is the broadcast scenario's message.
const broadcastSize = 1 << 10

// broadcast measures the time a server takes to get one message to every
// connection: the median of cfg.Rounds broadcasts.
func broadcast(ctx context.Context, cfg *Config, lib, profile string) (map[string]float64, error) {
	p, err := startServer(ctx, cfg, lib, true, profile)
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	pool, err := load.Open(ctx, load.Target{Addr: p.Addr, WS: lib != "raw"}, cfg.Idle, dialers)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	var times []float64
	for range max(cfg.Rounds, 1) {
		d, err := pool.Broadcast(ctx, broadcastSize, func() error { return p.SendBroadcast(broadcastSize) })
		if err != nil {
			return nil, err
		}
		sent, err := p.BroadcastReply()
		if err != nil {
			return nil, err
		}
		if sent != cfg.Idle {
			return nil, fmt.Errorf("suite: broadcast sent to %d of %d connections", sent, cfg.Idle)
		}
		times = append(times, float64(d)/1e6)
	}
	slices.Sort(times)
	pool.Close()
	return map[string]float64{"ms": times[len(times)/2]}, p.Stop()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
