package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// libColors are the bar colours; libraries not listed are grey.
var libColors = map[string]string{
	"wsactor":      "#1565c0",
	"wsactor-chan": "#64b5f6",
	"coder":        "#2e7d32",
	"gws":          "#ef6c00",
	"gobwas":       "#6a1b9a",
	"raw":          "#424242",
}

// Chart geometry, in pixels.
const (
	barWidth   = 12
	groupGap   = 22
	plotTop    = 70
	plotHeight = 330
	marginLeft = 64
	labelSpace = 120
)

// advantage is a ratio to the baseline turned so that above 1 is better:
// the ratio itself for a higher-is-better metric, its inverse otherwise.
func advantage(v float64, m Metric) float64 {
	if m.HigherIsBetter || v == 0 {
		return v
	}
	return 1 / v
}

type bar struct {
	lib           string
	mid, low, top float64 // advantage: median, and the whisker's ends
}

// WriteSVG draws a grouped bar chart: one group per scenario, one bar per
// library, each bar the library's primary figure relative to gorilla
// (median of the per-run ratios, whiskers from the lowest to the highest
// run), on a log scale, turned so that higher is better throughout.
func (r *Report) WriteSVG(w io.Writer) error {
	var groups [][]bar
	var names []string
	var libs []string
	seen := map[string]bool{}
	lo, hi := 0.5, 2.0
	for _, sc := range r.Scenarios {
		m := sc.Metrics[0]
		var g []bar
		for _, lib := range sc.Libs {
			f, ok := r.Find(sc.Name, lib, m.Key)
			if lib == Baseline || !ok || f.VsBaseline == nil {
				continue
			}
			a, b := advantage(f.VsBaseline.Min, m), advantage(f.VsBaseline.Max, m)
			br := bar{lib: lib, mid: advantage(f.VsBaseline.Median, m), low: min(a, b), top: max(a, b)}
			if br.mid <= 0 || br.low <= 0 {
				continue
			}
			lo, hi = min(lo, br.low), max(hi, br.top)
			g = append(g, br)
			if !seen[lib] {
				seen[lib] = true
				libs = append(libs, lib)
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
			names = append(names, sc.Short)
		}
	}
	lo2, hi2 := math.Floor(math.Log2(lo)), math.Ceil(math.Log2(hi))
	y := func(v float64) float64 {
		return plotTop + plotHeight*(hi2-math.Log2(v))/(hi2-lo2)
	}
	maxBars := 0
	for _, g := range groups {
		maxBars = max(maxBars, len(g))
	}
	groupWidth := float64(maxBars*barWidth + groupGap)
	width := marginLeft + int(groupWidth*float64(len(groups))) + 20
	height := plotTop + plotHeight + labelSpace

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", marginLeft,
		esc("Each library's figure relative to gorilla's (median of per-run ratios; log scale; higher is better)"))
	fmt.Fprintf(&b, `<text x="%d" y="38" fill="#555">%s</text>`+"\n", marginLeft, esc(r.subtitle()))
	// Legend.
	x := float64(marginLeft)
	for _, lib := range libs {
		fmt.Fprintf(&b, `<rect x="%.0f" y="48" width="12" height="12" fill="%s"/><text x="%.0f" y="58">%s</text>`+"\n", x, color(lib), x+16, esc(lib))
		x += 30 + 7*float64(len(lib))
	}
	fmt.Fprintf(&b, `<line x1="%.0f" y1="54" x2="%.0f" y2="54" stroke="black" stroke-width="2"/><text x="%.0f" y="58">gorilla = 1</text>`+"\n", x, x+16, x+20)
	// Grid at powers of two.
	for e := lo2; e <= hi2; e++ {
		v := math.Pow(2, e)
		stroke, sw := "#ddd", 1
		if e == 0 {
			stroke, sw = "black", 2
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-width="%d"/>`+"\n", marginLeft, y(v), width-20, y(v), stroke, sw)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s×</text>`+"\n", marginLeft-6, y(v)+4, tick(e))
	}
	// Bars, whiskers and group labels.
	for gi, g := range groups {
		left := float64(marginLeft) + groupWidth*float64(gi) + groupGap/2
		for bi, br := range g {
			bx := left + float64(bi*barWidth)
			top, bottom := y(max(br.mid, 1)), y(min(br.mid, 1))
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%d" height="%.1f" fill="%s"><title>%s %s: %.2f× (%.2f–%.2f)</title></rect>`+"\n",
				bx, top, barWidth-2, max(bottom-top, 0.5), color(br.lib), esc(names[gi]), esc(br.lib), br.mid, br.low, br.top)
			cx := bx + float64(barWidth-2)/2
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", cx, y(br.low), cx, y(br.top))
		}
		lx := left + float64(len(g)*barWidth)/2
		ly := float64(plotTop + plotHeight + 12)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-35 %.1f %.1f)">%s</text>`+"\n", lx, ly, lx, ly, esc(names[gi]))
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) subtitle() string {
	s := fmt.Sprintf("%d run(s)", r.Runs)
	if r.Machine != "" {
		s = r.Machine + "; " + s
	}
	if r.Command != "" {
		s += "; " + r.Command
	}
	return s
}

func color(lib string) string {
	if c, ok := libColors[lib]; ok {
		return c
	}
	return "#9e9e9e"
}

// tick labels 2^e: 1/8, 1/4, 1/2, 1, 2, 4...
func tick(e float64) string {
	if e >= 0 {
		return fmt.Sprintf("%g", math.Pow(2, e))
	}
	return fmt.Sprintf("1/%g", math.Pow(2, -e))
}

func esc(s string) string { return html.EscapeString(s) }
