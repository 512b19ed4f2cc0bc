// Command wsbench measures wsactor against the Go WebSocket libraries
// people use instead (gorilla/websocket, coder/websocket, lxzan/gws,
// gobwas/ws) and against raw TCP, and reports every figure's median over
// several runs with its spread and its ratio to gorilla and to raw.
//
//	go run ./cmd/wsbench                 # the full run, about 10 minutes
//	go run ./cmd/wsbench -quick          # one short run, under a minute
//	go run ./cmd/wsbench -scenarios 'server/(ping|pipe)' -libs 'wsactor|gorilla|raw'
//
// Every server runs in a process of its own (this program, started again
// with -role server), on 127.0.0.1, driven by the load generator in this
// process. The tables go to standard output; results.json, results.md and
// chart.svg go to the -out directory. See README.md for how to read them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/wsactor/wsactor/bench/internal/proc"
	"github.com/wsactor/wsactor/bench/internal/report"
	"github.com/wsactor/wsactor/bench/internal/suite"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "wsbench:", err)
		os.Exit(1)
	}
}

type flags struct {
	quick      bool
	runs       int
	scenarios  string
	libs       string
	out        string
	profile    string
	warmup     time.Duration
	duration   time.Duration
	idle       int
	rounds     int
	role       string
	lib        string
	hub        bool
	cpuProfile string
	render     string
}

func parse(args []string) (*flags, error) {
	var f flags
	fs := flag.NewFlagSet("wsbench", flag.ContinueOnError)
	fs.BoolVar(&f.quick, "quick", false, "one short run (for CI): defaults become -runs 1 -warmup 50ms -duration 150ms -idle 1000 -rounds 3")
	fs.IntVar(&f.runs, "runs", 5, "repetitions of every measurement; figures are their medians")
	fs.StringVar(&f.scenarios, "scenarios", "", "regular expression: only scenarios whose name matches")
	fs.StringVar(&f.libs, "libs", "", "regular expression: only libraries whose name matches")
	fs.StringVar(&f.out, "out", "results", "directory for results.json, results.md and chart.svg")
	fs.StringVar(&f.profile, "profile", "", "directory for CPU profiles of every server (and heap profiles of idle servers)")
	fs.DurationVar(&f.warmup, "warmup", 250*time.Millisecond, "unmeasured warm-up of each measurement")
	fs.DurationVar(&f.duration, "duration", 750*time.Millisecond, "measured time of each measurement")
	fs.IntVar(&f.idle, "idle", 10000, "connections in the idle-memory and broadcast scenarios")
	fs.IntVar(&f.rounds, "rounds", 5, "broadcasts per broadcast measurement (their median is the figure)")
	fs.StringVar(&f.role, "role", "", "internal: \"server\" runs one library's server for the benchmark")
	fs.StringVar(&f.lib, "lib", "", "internal: the server's library")
	fs.BoolVar(&f.hub, "hub", false, "internal: the server keeps its connections for broadcasts")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "internal: the server's CPU profile")
	fs.StringVar(&f.render, "render", "", "measure nothing: write the tables and chart of this saved results.json into -out")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if f.quick {
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		defaults := map[string]func(){
			"runs":     func() { f.runs = 1 },
			"warmup":   func() { f.warmup = 50 * time.Millisecond },
			"duration": func() { f.duration = 150 * time.Millisecond },
			"idle":     func() { f.idle = 1000 },
			"rounds":   func() { f.rounds = 3 },
		}
		for name, apply := range defaults {
			if !set[name] {
				apply()
			}
		}
	}
	if f.runs < 1 || f.idle < 1 || f.duration <= 0 {
		return nil, errors.New("-runs, -idle and -duration must be positive")
	}
	return &f, nil
}

func run(args []string) error {
	f, err := parse(args)
	if err != nil {
		return err
	}
	if f.role == "server" {
		return proc.Serve(proc.Options{Lib: f.lib, Hub: f.hub, CPUProfile: f.cpuProfile}, os.Stdin, os.Stdout)
	}
	if f.role != "" {
		return fmt.Errorf("unknown role %q", f.role)
	}
	if f.render != "" {
		return render(f.render, f.out)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cfg := &suite.Config{
		Exe: exe,
		ServerArgs: func(lib string, hub bool, cpu string) []string {
			a := []string{"-role", "server", "-lib", lib}
			if hub {
				a = append(a, "-hub")
			}
			if cpu != "" {
				a = append(a, "-cpuprofile", cpu)
			}
			return a
		},
		Warmup:     f.warmup,
		Duration:   f.duration,
		Idle:       f.idle,
		Rounds:     f.rounds,
		ProfileDir: f.profile,
	}
	scenarios, err := suite.Select(suite.All(cfg), f.scenarios, f.libs)
	if err != nil {
		return err
	}
	if len(scenarios) == 0 {
		return errors.New("no scenario matches")
	}
	for _, dir := range []string{f.out, f.profile} {
		if dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	rep := &report.Report{
		Command: command(args),
		Machine: machine(),
		Started: time.Now().UTC().Truncate(time.Second),
		Runs:    f.runs,
	}
	for _, s := range scenarios {
		rep.Scenarios = append(rep.Scenarios, s.Scenario)
	}
	fmt.Fprintf(os.Stderr, "wsbench: %s, %d run(s) of %d scenarios\n", rep.Machine, f.runs, len(scenarios))
	for r := range f.runs {
		for _, s := range scenarios {
			// Rotate the order of the libraries from run to run, so that
			// none is always first after a server start or always last.
			order := make([]string, len(s.Libs))
			for i := range s.Libs {
				order[i] = s.Libs[(i+r)%len(s.Libs)]
			}
			record := func(lib string, values map[string]float64, err error) {
				sample := report.Sample{Scenario: s.Name, Lib: lib, Run: r, Values: values}
				if err != nil {
					sample.Values, sample.Err = nil, err.Error()
				}
				rep.Samples = append(rep.Samples, sample)
				progress(r, f.runs, s, sample)
			}
			if s.Interleaved() {
				all, err := s.MeasureAll(ctx, cfg, order, r)
				for _, lib := range order {
					record(lib, all[lib], err)
				}
			} else {
				for _, lib := range order {
					values, err := s.Measure(ctx, cfg, lib, r)
					record(lib, values, err)
					if ctx.Err() != nil {
						break
					}
				}
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	rep.Elapsed = time.Since(rep.Started).Round(time.Second).String()
	rep.Summarize()
	return write(rep, f.out)
}

// render writes the figures of the saved results file into dir, summarised
// again, so that a change in how figures are shown needs no new run.
func render(file, dir string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rep.Summarize()
	return write(&rep, dir)
}

// progress prints one measurement's primary figure to standard error.
func progress(r, runs int, s suite.Scenario, sample report.Sample) {
	m := s.Metrics[0]
	what := "error: " + sample.Err
	if sample.Err == "" {
		what = report.Number(sample.Values[m.Key]) + " " + m.Label
	}
	fmt.Fprintf(os.Stderr, "  run %d/%d  %-28s %-13s %s\n", r+1, runs, s.Name, sample.Lib, what)
}

// write prints the tables and writes results.json, results.md and
// chart.svg into dir.
func write(rep *report.Report, dir string) error {
	fmt.Printf("wsbench: %s\n%s, %d run(s), %s\n\n", rep.Command, rep.Machine, rep.Runs, rep.Elapsed)
	if err := errors.Join(rep.WriteSummary(os.Stdout), newline(os.Stdout), rep.WriteTables(os.Stdout)); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(*os.File) error
	}{
		{"results.json", func(w *os.File) error { return rep.WriteJSON(w) }},
		{"results.md", func(w *os.File) error {
			fmt.Fprintf(w, "`%s` on %s, %d run(s), %s.\n\n", rep.Command, rep.Machine, rep.Runs, rep.Elapsed)
			fmt.Fprintf(w, "### Summary: medians, and ratios taken run by run\n\n")
			return errors.Join(rep.WriteSummary(w), newline(w), rep.WriteTables(w))
		}},
		{"chart.svg", func(w *os.File) error { return rep.WriteSVG(w) }},
	}
	for _, file := range files {
		w, err := os.Create(filepath.Join(dir, file.name))
		if err != nil {
			return err
		}
		if err := errors.Join(file.write(w), w.Close()); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "wsbench: wrote %s\n", filepath.Join(dir, "{results.json,results.md,chart.svg}"))
	if errs := rep.Errors(); len(errs) > 0 {
		return fmt.Errorf("%d measurement(s) failed", len(errs))
	}
	return nil
}

func newline(w io.Writer) error {
	_, err := io.WriteString(w, "\n")
	return err
}

func command(args []string) string {
	return strings.TrimSpace("go run ./cmd/wsbench " + strings.Join(args, " "))
}

// machine describes the CPU, the number of cores and Go's version.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				model = strings.TrimSpace(value)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s %s/%s", model, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
