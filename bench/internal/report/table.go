package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// WriteTables writes one Markdown table per scenario: for each library the
// primary metric's median, its spread (min-max over the runs) and its
// ratios to gorilla and to raw, then the median of every other metric.
// Failed measurements are listed after the tables.
func (r *Report) WriteTables(w io.Writer) error {
	var b strings.Builder
	for _, sc := range r.Scenarios {
		r.writeTable(&b, sc)
	}
	if errs := r.Errors(); len(errs) > 0 {
		b.WriteString("Failed measurements:\n\n")
		for _, s := range errs {
			fmt.Fprintf(&b, "- %s, %s, run %d: %s\n", s.Scenario, s.Lib, s.Run, s.Err)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary writes one Markdown table of every scenario's primary
// metric: the median of each library (the subject's variants left out),
// then the subject's ratios to the baseline and to the best of the
// contenders, each the median of the ratios taken run by run.
func (r *Report) WriteSummary(w io.Writer) error {
	var libs []string
	for _, sc := range r.Scenarios {
		for _, lib := range sc.Libs {
			if !variant(lib) && !slices.Contains(libs, lib) {
				libs = append(libs, lib)
			}
		}
	}
	contenders := 0
	for _, lib := range libs {
		if contender(lib) {
			contenders++
		}
	}
	head := append([]string{"scenario", "unit"}, libs...)
	head = append(head, Subject+" ÷ "+Baseline, fmt.Sprintf("%s ÷ best of %d", Subject, contenders))
	rows := [][]string{head}
	for _, sc := range r.Scenarios {
		primary := sc.Metrics[0]
		name := sc.Short
		if !primary.HigherIsBetter {
			name += " (lower is better)"
		}
		row := []string{name, primary.Label}
		for _, lib := range libs {
			cell := "–"
			if f, ok := r.Find(sc.Name, lib, primary.Key); ok {
				cell = Number(f.Median)
			}
			row = append(row, cell)
		}
		f, ok := r.Find(sc.Name, Subject, primary.Key)
		if !ok {
			continue
		}
		rows = append(rows, append(row, ratio(f.VsBaseline), ratio(f.VsBest)))
	}
	if len(rows) == 1 {
		return nil
	}
	var b strings.Builder
	writeAligned(&b, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) writeTable(b *strings.Builder, sc Scenario) {
	primary := sc.Metrics[0]
	head := []string{"library", primary.Label, "spread (min–max)", "× " + Baseline, "× " + Reference}
	for _, m := range sc.Metrics[1:] {
		head = append(head, m.Label)
	}
	rows := [][]string{head}
	for _, lib := range sc.Libs {
		f, ok := r.Find(sc.Name, lib, primary.Key)
		if !ok {
			continue
		}
		row := []string{lib, Number(f.Median), Number(f.Min) + "–" + Number(f.Max),
			ratio(f.VsBaseline), ratio(f.VsReference)}
		for _, m := range sc.Metrics[1:] {
			cell := "–"
			if g, ok := r.Find(sc.Name, lib, m.Key); ok {
				cell = Number(g.Median)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	if len(rows) == 1 {
		return
	}
	better := "higher is better"
	if !primary.HigherIsBetter {
		better = "lower is better"
	}
	fmt.Fprintf(b, "### %s: %s (%s)\n\n", sc.Name, sc.Title, better)
	writeAligned(b, rows)
	b.WriteString("\n")
}

// writeAligned writes rows as a Markdown table with padded columns, the
// first column left-aligned and the others right-aligned.
func writeAligned(b *strings.Builder, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	line := func(row []string) {
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(cell)))
			if i == 0 {
				fmt.Fprintf(b, "| %s%s ", cell, pad)
			} else {
				fmt.Fprintf(b, "| %s%s ", pad, cell)
			}
		}
		b.WriteString("|\n")
	}
	line(rows[0])
	for i, w := range width {
		if i == 0 {
			fmt.Fprintf(b, "|:%s", strings.Repeat("-", w+1))
		} else {
			fmt.Fprintf(b, "|%s:", strings.Repeat("-", w+1))
		}
	}
	b.WriteString("|\n")
	for _, row := range rows[1:] {
		line(row)
	}
}

func ratio(s *Spread) string {
	if s == nil {
		return "–"
	}
	return fmt.Sprintf("%.2f", s.Median)
}

// Number formats v with three significant digits, and k, M or G for
// thousands, millions and billions.
func Number(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return sig(v/1e9) + "G"
	case a >= 1e6:
		return sig(v/1e6) + "M"
	case a >= 1e4:
		return sig(v/1e3) + "k"
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	}
	return sig(v)
}

func sig(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	}
	return fmt.Sprintf("%.3g", v)
}
