package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/wsactor/wsactor/bench/internal/report"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseQuickSetsShortDefaultsButKeepsExplicitFlags(t *testing.T) {
	f, err := parse([]string{"-quick", "-runs", "2"})
	if err != nil {
		t.Fatal(err)
	}
	if f.runs != 2 {
		t.Errorf("-runs 2 with -quick gave %d runs", f.runs)
	}
	if f.warmup != 50*time.Millisecond || f.duration != 150*time.Millisecond || f.idle != 1000 || f.rounds != 3 {
		t.Errorf("-quick defaults: warmup %v, duration %v, idle %d, rounds %d", f.warmup, f.duration, f.idle, f.rounds)
	}
	f, err = parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.runs != 5 || f.idle != 10000 {
		t.Errorf("defaults: %d runs, %d idle connections; want 5 and 10000", f.runs, f.idle)
	}
}

func TestParseRefusesNonPositiveCounts(t *testing.T) {
	for _, args := range [][]string{{"-runs", "0"}, {"-idle", "-1"}, {"-duration", "0s"}} {
		if _, err := parse(args); err == nil {
			t.Errorf("parse(%q) succeeded", args)
		}
	}
}

func TestRunRefusesAnUnknownRole(t *testing.T) {
	if err := run([]string{"-role", "nobody"}); err == nil {
		t.Error("an unknown role was accepted")
	}
}

func TestRenderWritesTheFiguresOfSavedResults(t *testing.T) {
	dir := t.TempDir()
	saved := &report.Report{
		Command: "go run ./cmd/wsbench", Machine: "test", Runs: 1,
		Scenarios: []report.Scenario{{Name: "server/x", Title: "x", Short: "srv x",
			Libs:    []string{"wsactor", "gorilla"},
			Metrics: []report.Metric{{Key: "rate", Label: "msg/s", HigherIsBetter: true}}}},
		Samples: []report.Sample{
			{Scenario: "server/x", Lib: "wsactor", Values: map[string]float64{"rate": 300}},
			{Scenario: "server/x", Lib: "gorilla", Values: map[string]float64{"rate": 100}},
		},
	}
	f, err := os.Create(filepath.Join(dir, "saved.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := saved.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "out")
	if err := run([]string{"-render", f.Name(), "-out", out}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The saved file holds no figures: they are summarised again.
	for _, want := range []string{"### Summary", "| srv x ", "wsactor ÷ best of 1", " 3.00 |", "### server/x"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	for _, name := range []string{"results.json", "chart.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}
