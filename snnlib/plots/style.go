package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Palette is the series colours, in order (Okabe–Ito, readable by colour-blind
// readers and in grey-scale print). Series beyond its length reuse colours
// with a different dash pattern.
var Palette = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{240, 228, 66, 255},  // yellow
}

var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(3), vg.Points(2), vg.Points(3)}}

// seriesColor is the colour of the i-th series.
func seriesColor(i int) color.Color { return Palette[i%len(Palette)] }

// lineStyle is the line of the i-th series: colour, then dash once colours run out.
func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: seriesColor(i), Width: vg.Points(1.5),
		Dashes: dashes[(i/len(Palette))%len(dashes)]}
}

// referenceStyle is a thin dashed line for thresholds and ANN baselines.
func referenceStyle(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
}

var grey = color.Gray{Y: 110}

// newPlot starts a figure with the shared look: title, axis labels, grid,
// legend at the top right.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(10)
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 225}
	g.Horizontal.Color = color.Gray{Y: 225}
	p.Add(g)
	return p
}

// hLine draws a horizontal reference line across the data range.
func hLine(y float64, style draw.LineStyle) *plotter.Function {
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.LineStyle = style
	return f
}

// vLine is a vertical reference line from y0 to y1 at x.
func vLine(x, y0, y1 float64, style draw.LineStyle) (*plotter.Line, error) {
	l, err := plotter.NewLine(plotter.XYs{{X: x, Y: y0}, {X: x, Y: y1}})
	if err != nil {
		return nil, err
	}
	l.LineStyle = style
	return l, nil
}

// checkFinite names the first NaN or infinite value of a series.
func checkFinite(what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("plots: %s[%d] is %g, want a finite value", what, i, x)
		}
	}
	return nil
}

// percent formats a fraction for titles and legends.
func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// padRanges widens both axes by 5% of the data range so that points on the
// border are not clipped by the frame. Log axes are widened by a factor.
func padRanges(p *plot.Plot) {
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		if _, isLog := ax.Scale.(plot.LogScale); isLog {
			switch {
			case ax.Min > 0 && ax.Max > ax.Min:
				f := math.Pow(ax.Max/ax.Min, 0.04)
				ax.Min, ax.Max = ax.Min/f, ax.Max*f
			case ax.Min > 0 && ax.Max == ax.Min:
				// One value (e.g. T = 1 alone): gonum would widen the empty
				// range by ±1, to 0, which a log axis cannot show.
				ax.Min, ax.Max = ax.Min/2, ax.Max*2
			}
			continue
		}
		d := 0.05 * (ax.Max - ax.Min)
		if d == 0 {
			d = 0.5
		}
		ax.Min, ax.Max = ax.Min-d, ax.Max+d
	}
}

// integerTicks labels only whole numbers, for epochs and time steps.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	labelled := 0
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label == "" || t.Value != math.Round(t.Value) {
			out = append(out, plot.Tick{Value: t.Value}) // minor tick, no label
			continue
		}
		out = append(out, plot.Tick{Value: t.Value, Label: fmt.Sprintf("%d", int(t.Value))})
		labelled++
	}
	if labelled >= 2 {
		return out
	}
	// A short range (e.g. 0.5…4.5 around steps 1…4) gets half-integer majors
	// from DefaultTicks: label whole numbers directly instead, about ten at most.
	first, last := math.Ceil(lo), math.Floor(hi)
	step := math.Max(1, math.Ceil((last-first+1)/10))
	out = out[:0]
	for v := first; v <= last; v += step {
		out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%d", int(v))})
	}
	return out
}

// legendBox is the share of the data area a legend of n entries covers
// (width, height), for the legend font legendFont(n) in figures of about
// 640×400 pixels.
func legendBox(n int) (w, h float64) {
	return 0.5, min(0.95, 0.03+0.055*float64(n)*legendFont(n)/10)
}

// legendFont is the legend's font size in points: 10, smaller for long
// legends so that they fit beside the data.
func legendFont(n int) float64 { return max(6, min(10, 100/float64(max(n, 1)))) }

// maxLegendBand is the largest share of the y axis given to a band for the
// legend; longer legends go beside the data instead.
const maxLegendBand = 0.45

// placeLegend puts p's legend, of entries lines, where it covers no data: in
// the corner of the data area crossed by the fewest points of series (lines
// between points count too); when every corner holds data, in a band added
// above the data by raising the y axis, or, for a long legend, beside the
// data by widening the x axis (tick labels stay within the data either way).
// Call it after the axis ranges are final.
func placeLegend(p *plot.Plot, entries int, series ...plotter.XYs) {
	p.Legend.TextStyle.Font.Size = vg.Points(legendFont(entries))
	w, h := legendBox(entries)
	norm := func(xy plotter.XY) (float64, float64) {
		return p.X.Scale.Normalize(p.X.Min, p.X.Max, xy.X), p.Y.Scale.Normalize(p.Y.Min, p.Y.Max, xy.Y)
	}
	type corner struct{ top, left bool }
	corners := []corner{{true, false}, {false, false}, {true, true}, {false, true}}
	counts := make([]int, len(corners))
	for _, s := range series {
		for i := range s {
			x1, y1 := norm(s[i])
			x0, y0 := x1, y1
			if i > 0 {
				x0, y0 = norm(s[i-1])
			}
			const sub = 16 // points sampled along each segment
			for k := 0; k <= sub; k++ {
				f := float64(k) / sub
				x, y := x0+f*(x1-x0), y0+f*(y1-y0)
				for c, cn := range corners {
					inX := (cn.left && x <= w) || (!cn.left && x >= 1-w)
					inY := (cn.top && y >= 1-h) || (!cn.top && y <= h)
					if inX && inY {
						counts[c]++
					}
				}
			}
		}
	}
	best := 0
	for c := range corners {
		if counts[c] < counts[best] {
			best = c
		}
	}
	if counts[best] > 0 {
		if h <= maxLegendBand {
			p.Y.Min, p.Y.Max, p.Y.Tick.Marker = widen(p.Y, h)
		} else {
			p.X.Min, p.X.Max, p.X.Tick.Marker = widen(p.X, w)
		}
		best = 0
	}
	p.Legend.Top, p.Legend.Left = corners[best].top, corners[best].left
}

// widen returns an axis range whose upper share f is free (on a linear or log
// axis) and a ticker that labels only the old range, so the free part reads
// as room for the legend, not as values.
func widen(ax plot.Axis, f float64) (lo, hi float64, t plot.Ticker) {
	lo, hi = ax.Min, ax.Max
	t = ticksWithin{inner: ax.Tick.Marker, lo: lo, hi: hi}
	if _, isLog := ax.Scale.(plot.LogScale); isLog && lo > 0 {
		return lo, math.Exp(math.Log(lo) + (math.Log(hi)-math.Log(lo))/(1-f)), t
	}
	return lo, lo + (hi-lo)/(1-f), t
}

// ticksWithin keeps only the ticks of inner that lie in [lo, hi].
type ticksWithin struct {
	inner  plot.Ticker
	lo, hi float64
}

// Ticks implements plot.Ticker.
func (t ticksWithin) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, tk := range t.inner.Ticks(t.lo, t.hi) {
		if tk.Value >= t.lo && tk.Value <= t.hi {
			out = append(out, tk)
		}
	}
	return out
}
