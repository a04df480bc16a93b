package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
)

// bars draws histogram h with bar heights heights (one per bin).
func bars(h analysis.Histogram, heights []float64, fill color.Color) *plotter.Histogram {
	b := make([]plotter.HistogramBin, h.Bins())
	for i := range b {
		b[i] = plotter.HistogramBin{Min: h.Edges[i], Max: h.Edges[i+1], Weight: heights[i]}
	}
	ph := &plotter.Histogram{Bins: b, Width: h.Width(), FillColor: fill}
	ph.LineStyle.Width = vg.Points(0.5)
	ph.LineStyle.Color = color.Gray{Y: 80}
	return ph
}

// steps outlines histogram h as a step line, for overlaying several.
func steps(h analysis.Histogram, heights []float64, i int) (*plotter.Line, error) {
	xy := make(plotter.XYs, 0, h.Bins()+1)
	for b, y := range heights {
		xy = append(xy, plotter.XY{X: h.Edges[b], Y: y})
	}
	xy = append(xy, plotter.XY{X: h.Edges[h.Bins()], Y: heights[len(heights)-1]})
	l, err := plotter.NewLine(xy)
	if err != nil {
		return nil, err
	}
	l.StepStyle = plotter.PostStep
	l.LineStyle = lineStyle(i)
	return l, nil
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func validHist(what string, h analysis.Histogram) error {
	if h.Bins() == 0 || len(h.Edges) != h.Bins()+1 {
		return fmt.Errorf("plots: %s: empty or malformed histogram (%d bins, %d edges)", what, h.Bins(), len(h.Edges))
	}
	return nil
}

func residualLabel(s analysis.ResidualStats) string {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("layer %d", s.Index)
	}
	if s.T > 0 {
		name += fmt.Sprintf(", T=%d", s.T)
	}
	return name
}

const residualX = "residual membrane potential v(T)/θ"

// thetaBand marks v = 0 and v = θ, the band a well-converted neuron stays in.
func thetaBand(p *plot.Plot, top float64) error {
	for _, x := range []float64{0, 1} {
		l, err := vLine(x, 0, top, referenceStyle(grey))
		if err != nil {
			return err
		}
		p.Add(l)
	}
	return nil
}

// ResidualHistograms overlays the residual membrane histograms of several
// layers (or of one layer at several T) as outlines, with dashed lines at
// v = 0 and v = θ. The legend gives each series' fraction outside [0, θ).
func ResidualHistograms(stats []analysis.ResidualStats) (*plot.Plot, error) {
	if len(stats) == 0 {
		return nil, fmt.Errorf("plots: residual histograms need at least one layer")
	}
	p := newPlot("Residual membrane potential", residualX, "fraction of neurons")
	top := 0.0
	for i, s := range stats {
		if err := validHist(residualLabel(s), s.Hist); err != nil {
			return nil, err
		}
		f := s.Hist.Fractions()
		top = max(top, maxOf(f))
		l, err := steps(s.Hist, f, i)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%s outside [0,θ))", residualLabel(s), percent(s.Outside)), l)
	}
	if err := thetaBand(p, top); err != nil {
		return nil, err
	}
	p.Y.Min = 0
	return p, nil
}

// ResidualGrid draws one residual histogram panel per entry, cols per row,
// each titled with its layer, T and fraction outside [0, θ).
func ResidualGrid(stats []analysis.ResidualStats, cols int) (*Grid, error) {
	if len(stats) == 0 {
		return nil, fmt.Errorf("plots: residual grid needs at least one layer")
	}
	panels := make([]*plot.Plot, len(stats))
	for i, s := range stats {
		if err := validHist(residualLabel(s), s.Hist); err != nil {
			return nil, err
		}
		p := newPlot(fmt.Sprintf("%s: %s outside [0,θ)", residualLabel(s), percent(s.Outside)), "v(T)/θ", "fraction")
		p.Title.TextStyle.Font.Size = vg.Points(10)
		f := s.Hist.Fractions()
		p.Add(bars(s.Hist, f, seriesColor(0)))
		if err := thetaBand(p, maxOf(f)); err != nil {
			return nil, err
		}
		p.Y.Min = 0
		panels[i] = p
	}
	return NewGrid(panels, cols)
}

// GapHistogram draws the distribution of ANN − SNN (as a density) with the
// fitted Gaussian N(μ, σ²) over it: the noise the NQ activation injects.
func GapHistogram(g analysis.GapStats, title string) (*plot.Plot, error) {
	if err := validHist("gap", g.Hist); err != nil {
		return nil, err
	}
	if title == "" {
		title = "ANN − SNN gap"
	}
	// Most of the mass sits in the bin at 0 (silent in both, or exact at T = L); a
	// square-root density axis keeps the tails that NQ's noise models visible.
	p := newPlot(title, "ANN activation − SNN rate (units of value)", "probability density (square-root scale)")
	p.Y.Scale, p.Y.Tick.Marker = SqrtScale{}, sqrtTicks{}
	h := bars(g.Hist, g.Hist.Density(), color.NRGBA{R: 0, G: 114, B: 178, A: 140})
	p.Add(h)
	p.Legend.Add(fmt.Sprintf("measured (n=%d)", g.N), h)
	if g.Std > 0 {
		f := plotter.NewFunction(g.PDF)
		f.XMin, f.XMax = g.Hist.Edges[0], g.Hist.Edges[g.Hist.Bins()]
		f.Samples = 200
		f.LineStyle = lineStyle(1)
		p.Add(f)
		p.Legend.Add(fmt.Sprintf("N(μ=%.3g, σ=%.3g)", g.Mean, g.Std), f)
	}
	p.Y.Min = 0
	// Show where the gap lies, not the whole binned range (±θ): the mass sits
	// in a few bins around 0, which would otherwise be one thin bar.
	if lo, hi, ok := occupied(g.Hist); ok {
		w := g.Hist.Edges[1] - g.Hist.Edges[0]
		lo, hi = min(lo, g.Mean-4*g.Std), max(hi, g.Mean+4*g.Std)
		p.X.Min, p.X.Max = max(lo-2*w, g.Hist.Edges[0]), min(hi+2*w, g.Hist.Edges[g.Hist.Bins()])
	}
	return p, nil
}

// SqrtScale is a square-root axis scale for non-negative values: a value at 1 % of the
// axis maximum is drawn at 10 % of its height, so rare values stay visible beside a
// dominant one without the log scale's trouble with zero.
type SqrtScale struct{}

// Normalize maps x in [min, max] to [0, 1] on a square-root scale; negative values count
// as 0.
func (SqrtScale) Normalize(min, max, x float64) float64 {
	lo, hi := math.Sqrt(math.Max(min, 0)), math.Sqrt(math.Max(max, 0))
	if hi == lo {
		return 0
	}
	return (math.Sqrt(math.Max(x, 0)) - lo) / (hi - lo)
}

// sqrtTicks places ticks evenly on a square-root axis: nice values of √y, squared.
type sqrtTicks struct{}

// Ticks returns labelled ticks between min and max.
func (sqrtTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for _, t := range (plot.DefaultTicks{}).Ticks(math.Sqrt(math.Max(min, 0)), math.Sqrt(math.Max(max, 0))) {
		if t.Label == "" || t.Value < 0 {
			continue
		}
		v := t.Value * t.Value
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
	}
	return ticks
}

// occupied returns the range of h's bins that hold any count.
func occupied(h analysis.Histogram) (lo, hi float64, ok bool) {
	first, last := -1, -1
	for i, c := range h.Counts {
		if c > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, false
	}
	return h.Edges[first], h.Edges[last+1], true
}
