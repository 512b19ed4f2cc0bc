package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// sampleReport has a throughput scenario and a memory scenario over three
// runs, with one failed measurement.
func sampleReport() *Report {
	r := &Report{
		Runs: 3,
		Scenarios: []Scenario{
			{Name: "server/x", Title: "x", Short: "srv x", Libs: []string{"wsactor", "gorilla", "raw"},
				Metrics: []Metric{{Key: "rate", Label: "msg/s", HigherIsBetter: true}, {Key: "p50", Label: "p50 µs"}}},
			{Name: "server/idle", Title: "idle", Short: "srv idle", Libs: []string{"wsactor", "gorilla", "raw"},
				Metrics: []Metric{{Key: "kib", Label: "KiB/conn"}}},
		},
	}
	add := func(sc, lib string, run int, vals map[string]float64) {
		r.Samples = append(r.Samples, Sample{Scenario: sc, Lib: lib, Run: run, Values: vals})
	}
	for run, k := range []float64{1, 2, 4} {
		// The machine's speed changes from run to run by k; the ratios
		// stay put.
		add("server/x", "gorilla", run, map[string]float64{"rate": 100 * k, "p50": 10})
		add("server/x", "wsactor", run, map[string]float64{"rate": 300 * k, "p50": 5})
		add("server/x", "raw", run, map[string]float64{"rate": 600 * k, "p50": 2})
		add("server/idle", "gorilla", run, map[string]float64{"kib": 18})
		add("server/idle", "wsactor", run, map[string]float64{"kib": 9})
	}
	r.Samples = append(r.Samples, Sample{Scenario: "server/idle", Lib: "raw", Run: 0, Err: "boom"})
	r.Summarize()
	return r
}

func TestSummarizeTakesRatiosWithinEachRun(t *testing.T) {
	r := sampleReport()
	f, ok := r.Find("server/x", "wsactor", "rate")
	if !ok {
		t.Fatal("no figure")
	}
	if f.Median != 600 || f.Min != 300 || f.Max != 1200 || f.N != 3 {
		t.Fatalf("spread %+v", f.Spread)
	}
	if f.VsBaseline == nil || f.VsBaseline.Min != 3 || f.VsBaseline.Max != 3 {
		t.Fatalf("ratio to gorilla %+v, want exactly 3 in every run", f.VsBaseline)
	}
	if f.VsReference == nil || f.VsReference.Median != 0.5 {
		t.Fatalf("ratio to raw %+v, want 0.5", f.VsReference)
	}
	if g, _ := r.Find("server/idle", "wsactor", "kib"); g.VsReference != nil {
		t.Fatalf("ratio to a reference that failed: %+v", g.VsReference)
	}
	if _, ok := r.Find("server/idle", "raw", "kib"); ok {
		t.Fatal("a failed sample became a figure")
	}
}

func TestSpreadOfInterpolatesQuartiles(t *testing.T) {
	tests := []struct {
		in   []float64
		want Spread
	}{
		{[]float64{7}, Spread{Median: 7, Min: 7, Max: 7, Q1: 7, Q3: 7, N: 1}},
		{[]float64{4, 1, 3, 2}, Spread{Median: 2.5, Min: 1, Max: 4, Q1: 1.75, Q3: 3.25, N: 4}},
		{[]float64{5, 1, 4, 2, 3}, Spread{Median: 3, Min: 1, Max: 5, Q1: 2, Q3: 4, N: 5}},
	}
	for _, tt := range tests {
		if got := spreadOf(tt.in); got != tt.want {
			t.Errorf("spreadOf(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestNumberKeepsThreeSignificantDigits(t *testing.T) {
	tests := map[float64]string{
		0: "0", 0.01234: "0.0123", 1.234: "1.23", 12.34: "12.3", 123.4: "123",
		1234: "1234", 12345: "12.3k", 1234567: "1.23M", 2.5e9: "2.50G", -12.34: "-12.3",
	}
	for v, want := range tests {
		if got := Number(v); got != want {
			t.Errorf("Number(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestWriteTablesShowsMediansSpreadsRatiosAndFailures(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTables(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"### server/x: x (higher is better)",
		"| wsactor | ", " 600 | ", "300–1200", " 3.00 | ", " 0.50 | ",
		"### server/idle: idle (lower is better)",
		"- server/idle, raw, run 0: boom",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tables lack %q:\n%s", want, out)
		}
	}
	// Every row of a table has as many cells as its header.
	cells := 0
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "| library"):
			cells = strings.Count(line, "|")
		case strings.HasPrefix(line, "|") && strings.Count(line, "|") != cells:
			t.Errorf("row %q does not match its header's %d bars", line, cells)
		}
	}
}

func TestWriteSVGDrawsAWellFormedChartWithABarPerLibrary(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	bars := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok && el.Name.Local == "title" {
			var title string
			if err := dec.DecodeElement(&title, &el); err != nil {
				t.Fatal(err)
			}
			bars[strings.SplitN(title, ":", 2)[0]]++
		}
	}
	// gorilla is the line at 1, not a bar; raw failed in the idle run.
	want := map[string]int{"srv x wsactor": 1, "srv x raw": 1, "srv idle wsactor": 1}
	if len(bars) != len(want) {
		t.Fatalf("bars %v, want %v", bars, want)
	}
	for k := range want {
		if bars[k] != 1 {
			t.Fatalf("bars %v, want %v", bars, want)
		}
	}
}

func TestAdvantageTurnsLowerIsBetterRatios(t *testing.T) {
	if got := advantage(0.5, Metric{HigherIsBetter: false}); got != 2 {
		t.Errorf("half the memory = %v, want 2", got)
	}
	if got := advantage(3, Metric{HigherIsBetter: true}); got != 3 {
		t.Errorf("three times the rate = %v, want 3", got)
	}
	if tick(-2) != "1/4" || tick(3) != "8" || math.IsNaN(advantage(0, Metric{})) {
		t.Error("tick labels or a zero ratio")
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	r := sampleReport()
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Samples) != len(r.Samples) || len(back.Figures) != len(r.Figures) {
		t.Fatalf("round trip lost data: %d/%d samples, %d/%d figures", len(back.Samples), len(r.Samples), len(back.Figures), len(r.Figures))
	}
}

// contestReport has two contenders whose best changes from run to run, and
// a variant of the subject and a reference that beat everyone, which the
// ratio to the best must leave out.
func contestReport() *Report {
	libs := []string{"wsactor", "wsactor-chan", "gorilla", "gobwas", "raw"}
	r := &Report{
		Runs: 3,
		Scenarios: []Scenario{
			{Name: "server/x", Title: "x", Short: "srv x", Libs: libs,
				Metrics: []Metric{{Key: "rate", Label: "msg/s", HigherIsBetter: true}}},
			{Name: "server/idle", Title: "idle", Short: "srv idle", Libs: libs,
				Metrics: []Metric{{Key: "kib", Label: "KiB/conn"}}},
		},
	}
	add := func(sc, lib string, run int, key string, v float64) {
		r.Samples = append(r.Samples, Sample{Scenario: sc, Lib: lib, Run: run, Values: map[string]float64{key: v}})
	}
	for run, k := range []float64{1, 2, 4} {
		// wsactor is 2x gorilla in run 0 and 2x gobwas in the others,
		// where each is the better of the two.
		gorilla, gobwas := 100*k, 50*k
		if run > 0 {
			gorilla, gobwas = 50*k, 100*k
		}
		add("server/x", "wsactor", run, "rate", 200*k)
		add("server/x", "wsactor-chan", run, "rate", 1000*k)
		add("server/x", "gorilla", run, "rate", gorilla)
		add("server/x", "gobwas", run, "rate", gobwas)
		add("server/x", "raw", run, "rate", 5000*k)
		add("server/idle", "wsactor", run, "kib", 16)
		add("server/idle", "wsactor-chan", run, "kib", 1)
		add("server/idle", "gorilla", run, "kib", 18)
		add("server/idle", "gobwas", run, "kib", 8)
		add("server/idle", "raw", run, "kib", 1)
	}
	r.Summarize()
	return r
}

func TestRatioToBestIsTakenAgainstEachRunsBestContender(t *testing.T) {
	r := contestReport()
	f, _ := r.Find("server/x", "wsactor", "rate")
	if f.VsBest == nil || f.VsBest.Min != 2 || f.VsBest.Max != 2 {
		t.Errorf("ratio to the best %+v, want 2 in every run", f.VsBest)
	}
	if g, _ := r.Find("server/idle", "wsactor", "kib"); g.VsBest == nil || g.VsBest.Median != 2 {
		t.Errorf("lower is better: ratio to the best %+v, want 16/8 = 2", g.VsBest)
	}
	if g, _ := r.Find("server/x", "gorilla", "rate"); g.VsBest != nil {
		t.Errorf("a contender has a ratio to the best: %+v", g.VsBest)
	}
}

func TestWriteSummaryHasARowPerScenarioWithoutTheVariants(t *testing.T) {
	var b bytes.Buffer
	if err := contestReport().WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("summary has %d lines, want a header, a rule and 2 rows:\n%s", len(lines), out)
	}
	for _, want := range []string{
		"| scenario ", "| wsactor ÷ gorilla | wsactor ÷ best of 2 |",
		"| srv x ", " 400 | ", " 4.00 | ", " 2.00 |",
		"| srv idle (lower is better) | KiB/conn ", " 0.89 | ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "wsactor-chan") {
		t.Errorf("summary shows the subject's variant:\n%s", out)
	}
}
