// Package report turns the benchmark's samples into figures: the median
// of each figure over the runs with its spread, and its ratio to gorilla
// and to raw TCP computed run by run (each run measures every library
// back to back, so a ratio never compares two moments of a noisy
// machine). It writes them as JSON, as Markdown tables and as an SVG
// chart drawn here, with no outside tool.
package report

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"
)

// The libraries the ratios are taken against, and the one the benchmark
// is about: Subject and its variants are the libraries whose names start
// with Subject.
const (
	Baseline  = "gorilla"
	Reference = "raw"
	Subject   = "wsactor"
)

// variant reports whether lib is a variant of the subject (wsactor-chan).
func variant(lib string) bool { return lib != Subject && strings.HasPrefix(lib, Subject) }

// contender reports whether lib is one of the libraries the subject is
// measured against: neither the subject, nor one of its variants, nor the
// reference.
func contender(lib string) bool { return lib != Reference && lib != Subject && !variant(lib) }

// A Metric is one figure a scenario measures.
type Metric struct {
	Key            string `json:"key"`
	Label          string `json:"label"` // column heading, with its unit
	HigherIsBetter bool   `json:"higherIsBetter"`
}

// A Scenario is one measured situation. Its first metric is the primary
// one: the one ratios and the chart are about.
type Scenario struct {
	Name    string   `json:"name"`  // "server/ping-pong"
	Title   string   `json:"title"` // what it does, in words
	Short   string   `json:"short"` // a label for the chart
	Metrics []Metric `json:"metrics"`
	Libs    []string `json:"libs"`
}

// A Sample is one library's figures in one scenario in one run.
type Sample struct {
	Scenario string             `json:"scenario"`
	Lib      string             `json:"lib"`
	Run      int                `json:"run"`
	Values   map[string]float64 `json:"values,omitempty"`
	Err      string             `json:"error,omitempty"`
}

// A Spread summarises values: their median, quartiles and extremes.
type Spread struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
	N      int     `json:"n"`
}

// A Figure is one library's metric in one scenario over all runs.
type Figure struct {
	Scenario string `json:"scenario"`
	Lib      string `json:"lib"`
	Metric   string `json:"metric"`
	Spread
	// Ratios of this library's value to the baseline's and the
	// reference's, taken within each run; nil when not measured.
	VsBaseline  *Spread `json:"vsGorilla,omitempty"`
	VsReference *Spread `json:"vsRaw,omitempty"`
	// VsBest is the ratio of this library's value to the best value of
	// the contenders (the libraries other than the subject, its variants
	// and the reference) in the same run; set for the subject's figures.
	VsBest *Spread `json:"vsBest,omitempty"`
}

// A Report is a whole benchmark run.
type Report struct {
	Command   string     `json:"command"`
	Machine   string     `json:"machine"`
	Started   time.Time  `json:"started"`
	Elapsed   string     `json:"elapsed"`
	Runs      int        `json:"runs"`
	Scenarios []Scenario `json:"scenarios"`
	Samples   []Sample   `json:"samples"`
	Figures   []Figure   `json:"figures"`
}

// Summarize computes the figures from the samples.
func (r *Report) Summarize() {
	r.Figures = r.Figures[:0]
	for _, sc := range r.Scenarios {
		for _, lib := range sc.Libs {
			for _, m := range sc.Metrics {
				if f, ok := r.figure(sc.Name, lib, m); ok {
					r.Figures = append(r.Figures, f)
				}
			}
		}
	}
}

func (r *Report) figure(scenario, lib string, m Metric) (Figure, bool) {
	metric := m.Key
	values := map[int]float64{}
	for _, s := range r.Samples {
		if s.Scenario == scenario && s.Lib == lib && s.Err == "" {
			if v, ok := s.Values[metric]; ok {
				values[s.Run] = v
			}
		}
	}
	if len(values) == 0 {
		return Figure{}, false
	}
	f := Figure{Scenario: scenario, Lib: lib, Metric: metric, Spread: spreadOf(mapValues(values))}
	f.VsBaseline = r.ratios(scenario, Baseline, metric, values)
	f.VsReference = r.ratios(scenario, Reference, metric, values)
	if lib == Subject {
		f.VsBest = r.ratiosToBest(scenario, m, values)
	}
	return f, true
}

// ratiosToBest divides values run by run by the best of the contenders'
// values in the same run: the highest, or the lowest if lower is better.
func (r *Report) ratiosToBest(scenario string, m Metric, values map[int]float64) *Spread {
	best := map[int]float64{}
	for _, s := range r.Samples {
		if s.Scenario != scenario || !contender(s.Lib) || s.Err != "" {
			continue
		}
		d, ok := s.Values[m.Key]
		b, seen := best[s.Run]
		if ok && d != 0 && (!seen || (m.HigherIsBetter && d > b) || (!m.HigherIsBetter && d < b)) {
			best[s.Run] = d
		}
	}
	return divide(values, best)
}

// ratios divides values run by run by other's values in the same runs.
func (r *Report) ratios(scenario, other, metric string, values map[int]float64) *Spread {
	by := map[int]float64{}
	for _, s := range r.Samples {
		if s.Scenario == scenario && s.Lib == other && s.Err == "" {
			if d, ok := s.Values[metric]; ok {
				by[s.Run] = d
			}
		}
	}
	return divide(values, by)
}

// divide summarises values[run] / by[run] over the runs both have, by[run]
// not 0; nil if there is none.
func divide(values, by map[int]float64) *Spread {
	var rs []float64
	for run, v := range values {
		if d, ok := by[run]; ok && d != 0 {
			rs = append(rs, v/d)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	sp := spreadOf(rs)
	return &sp
}

func mapValues(m map[int]float64) []float64 {
	out := make([]float64, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// spreadOf summarises vs, which must not be empty.
func spreadOf(vs []float64) Spread {
	s := slices.Clone(vs)
	slices.Sort(s)
	return Spread{
		Median: quantile(s, 0.5),
		Q1:     quantile(s, 0.25),
		Q3:     quantile(s, 0.75),
		Min:    s[0],
		Max:    s[len(s)-1],
		N:      len(s),
	}
}

// quantile interpolates the q-quantile of sorted s.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	frac := pos - float64(i)
	return s[i] + frac*(s[i+1]-s[i])
}

// Find returns the figure of lib's metric in scenario.
func (r *Report) Find(scenario, lib, metric string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.Scenario == scenario && f.Lib == lib && f.Metric == metric {
			return f, true
		}
	}
	return Figure{}, false
}

// Errors returns the samples that failed.
func (r *Report) Errors() []Sample {
	var out []Sample
	for _, s := range r.Samples {
		if s.Err != "" {
			out = append(out, s)
		}
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
