package plots

import (
	"fmt"
	"image/color"

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
	return MembraneTracesFrom(1, v, theta, names)
}

// MembraneTracesFrom is MembraneTraces for traces whose first value is at step t0, e.g. 0
// for traces that begin with the initial membrane v(0).
func MembraneTracesFrom(t0 int, v [][]float64, theta float64, names []string) (*plot.Plot, error) {
	if len(v) == 0 || len(v[0]) == 0 {
		return nil, fmt.Errorf("plots: membrane traces need at least one neuron and one step")
	}
	if names != nil && len(names) != len(v) {
		return nil, fmt.Errorf("plots: %d names for %d membrane traces", len(names), len(v))
	}
	steps := len(v[0])
	p := newPlot("Membrane potential", "time step t", "membrane potential v (units of value)")
	var drawn []plotter.XYs
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
		xy := perEpoch(row)
		for k := range xy {
			xy[k].X += float64(t0 - 1)
		}
		if err := addLine(p, name, xy, n, steps <= 40); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
	}
	refs := []float64{0}
	if theta > 0 {
		refs = append(refs, theta)
	}
	for _, y := range refs {
		ref := plotter.XYs{{X: float64(t0), Y: y}, {X: float64(t0 + steps - 1), Y: y}}
		l, err := plotter.NewLine(ref)
		if err != nil {
			return nil, err
		}
		drawn = append(drawn, ref)
		l.LineStyle = referenceStyle(grey)
		p.Add(l)
		if y > 0 {
			p.Legend.Add(fmt.Sprintf("θ = %.3g", theta), l)
		}
	}
	padRanges(p)
	p.X.Tick.Marker = integerTicks{}
	placeLegend(p, len(v)+len(refs)-1, drawn...) // θ has an entry, 0 has none
	return p, nil
}

// Transfer plots output against input for several transfer functions sampled at the same
// inputs x: e.g. QCFS(z) beside the IF neuron's rate after T steps of constant input z,
// whose staircases coincide at T = L. The first curve is the reference, drawn as a wide pale
// band under the others; lines have no markers (x is meant to be a
// dense grid); the legend sits in the top left corner, which an increasing transfer function
// leaves empty.
func Transfer(title, xLabel, yLabel string, x []float64, curves ...Curve) (*plot.Plot, error) {
	if len(x) < 2 {
		return nil, fmt.Errorf("plots: a transfer plot needs at least two inputs, got %d", len(x))
	}
	if err := checkFinite("transfer inputs", x); err != nil {
		return nil, err
	}
	if len(curves) == 0 {
		return nil, fmt.Errorf("plots: %q has no curve", title)
	}
	p := newPlot(title, xLabel, yLabel)
	for i, c := range curves {
		if len(c.Values) != len(x) {
			return nil, fmt.Errorf("plots: curve %q has %d values for %d inputs", c.Name, len(c.Values), len(x))
		}
		if err := checkFinite(c.Name, c.Values); err != nil {
			return nil, err
		}
		xy := make(plotter.XYs, len(x))
		for k := range x {
			xy[k] = plotter.XY{X: x[k], Y: c.Values[k]}
		}
		if i > 0 {
			if err := addLine(p, c.Name, xy, i, false); err != nil {
				return nil, err
			}
			continue
		}
		// The first curve is the reference: a wide pale band, so that a curve equal to it
		// shows on top of it instead of hiding it.
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("plots: %s: %w", c.Name, err)
		}
		l.LineStyle = draw.LineStyle{Color: color.NRGBA{R: 0x99, G: 0x99, B: 0x99, A: 0x99}, Width: vg.Points(7)}
		p.Add(l)
		p.Legend.Add(c.Name, l)
	}
	padRanges(p)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(8)
	return p, nil
}
