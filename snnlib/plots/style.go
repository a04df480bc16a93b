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
	for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
		if t.Label == "" || t.Value != math.Round(t.Value) {
			out = append(out, plot.Tick{Value: t.Value}) // minor tick, no label
			continue
		}
		out = append(out, plot.Tick{Value: t.Value, Label: fmt.Sprintf("%d", int(t.Value))})
	}
	return out
}
