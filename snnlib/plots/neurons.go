package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
)

// FiringRates draws, per layer, the mean firing rate (spikes per neuron per
// step) next to the fractions of dead and saturated neurons.
func FiringRates(stats []analysis.FiringStats) (*plot.Plot, error) {
	if len(stats) == 0 {
		return nil, fmt.Errorf("plots: firing rates need at least one layer")
	}
	p := newPlot("Firing per layer", "layer", "spikes / neuron / step, or fraction of neurons")
	names := make([]string, len(stats))
	series := []struct {
		name string
		get  func(analysis.FiringStats) float64
	}{
		{"mean rate", func(s analysis.FiringStats) float64 { return s.MeanRate }},
		{"dead (no spike)", func(s analysis.FiringStats) float64 { return s.Dead }},
		{"saturated (spike every step)", func(s analysis.FiringStats) float64 { return s.Saturated }},
	}
	// Bars shrink with the number of layers so groups stay apart at DefaultSize.
	w := vg.Points(min(12, max(2, 360/float64(3*len(stats)))))
	for k, s := range series {
		v := make(plotter.Values, len(stats))
		for i, st := range stats {
			v[i] = s.get(st)
			names[i] = st.Name
			if names[i] == "" {
				names[i] = fmt.Sprint(st.Index)
			}
		}
		if err := checkFinite(s.name, v); err != nil {
			return nil, err
		}
		b, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		b.Color = seriesColor(k)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(k-1) * w
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(stats))-0.5
	// Headroom above the tallest bar keeps the legend off the data.
	top := 0.0
	for _, st := range stats {
		top = max(top, st.MeanRate, st.Dead, st.Saturated)
	}
	p.Y.Max = max(1.3*top, 0.01)
	if len(stats) > 8 {
		p.X.Tick.Label.Rotation = 0.8
		p.X.Tick.Label.XAlign = draw.XRight
	}
	p.Y.Min = 0
	return p, nil
}

// FiringHistograms overlays the per-neuron firing rate distributions of
// several layers, as fractions of neurons.
func FiringHistograms(stats []analysis.FiringStats) (*plot.Plot, error) {
	if len(stats) == 0 {
		return nil, fmt.Errorf("plots: firing histograms need at least one layer")
	}
	p := newPlot("Firing rate distribution", "firing rate (spikes / step)", "fraction of neurons")
	for i, s := range stats {
		name := s.Name
		if name == "" {
			name = fmt.Sprintf("layer %d", s.Index)
		}
		if err := validHist(name, s.Hist); err != nil {
			return nil, err
		}
		l, err := steps(s.Hist, s.Hist.Fractions(), i)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (dead %s, saturated %s)", name, percent(s.Dead), percent(s.Saturated)), l)
	}
	p.Y.Min = 0
	return p, nil
}

// tick is a vertical bar glyph for rasters.
type tick struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (tick) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1)})
	var path vg.Path
	path.Move(vg.Point{X: pt.X, Y: pt.Y - sty.Radius})
	path.Line(vg.Point{X: pt.X, Y: pt.Y + sty.Radius})
	c.Stroke(path)
}

// SpikeRaster draws spikes[neuron][t] as ticks at (t, neuron), steps from 1.
func SpikeRaster(spikes [][]bool, title string) (*plot.Plot, error) {
	if len(spikes) == 0 || len(spikes[0]) == 0 {
		return nil, fmt.Errorf("plots: spike raster needs at least one neuron and one step")
	}
	steps := len(spikes[0])
	var xy plotter.XYs
	for n, row := range spikes {
		if len(row) != steps {
			return nil, fmt.Errorf("plots: spike raster row %d has %d steps, row 0 has %d", n, len(row), steps)
		}
		for t, s := range row {
			if s {
				xy = append(xy, plotter.XY{X: float64(t + 1), Y: float64(n)})
			}
		}
	}
	if title == "" {
		title = "Spike raster"
	}
	p := newPlot(fmt.Sprintf("%s (%d spikes)", title, len(xy)), "time step t", "neuron")
	if len(xy) > 0 {
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		// Ticks fill about 80% of a neuron's row at DefaultSize.
		s.GlyphStyle = draw.GlyphStyle{Color: seriesColor(6), Radius: vg.Points(min(6, max(1, 150/float64(len(spikes))))), Shape: tick{}}
		p.Add(s)
	}
	p.X.Min, p.X.Max = 0.5, float64(steps)+0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(spikes))-0.5
	p.X.Tick.Marker = integerTicks{}
	p.Y.Tick.Marker = integerTicks{}
	return p, nil
}

// MembraneTraces plots v[neuron][t] against steps 1..T, with the threshold θ
// (if positive) and 0 as dashed references. names may be nil.
func MembraneTraces(v [][]float64, theta float64, names []string) (*plot.Plot, error) {
	if len(v) == 0 || len(v[0]) == 0 {
		return nil, fmt.Errorf("plots: membrane traces need at least one neuron and one step")
	}
	if names != nil && len(names) != len(v) {
		return nil, fmt.Errorf("plots: %d names for %d membrane traces", len(names), len(v))
	}
	steps := len(v[0])
	p := newPlot("Membrane potential", "time step t", "membrane potential v (units of value)")
	for n, row := range v {
		if len(row) != steps {
			return nil, fmt.Errorf("plots: membrane trace %d has %d steps, trace 0 has %d", n, len(row), steps)
		}
		if err := checkFinite(fmt.Sprintf("membrane trace %d", n), row); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("neuron %d", n)
		if names != nil {
			name = names[n]
		}
		if err := addLine(p, name, perEpoch(row), n, steps <= 40); err != nil {
			return nil, err
		}
	}
	refs := []float64{0}
	if theta > 0 {
		refs = append(refs, theta)
	}
	for _, y := range refs {
		l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: y}, {X: float64(steps), Y: y}})
		if err != nil {
			return nil, err
		}
		l.LineStyle = referenceStyle(grey)
		p.Add(l)
		if y > 0 {
			p.Legend.Add(fmt.Sprintf("θ = %.3g", theta), l)
		}
	}
	padRanges(p)
	p.X.Tick.Marker = integerTicks{}
	return p, nil
}
