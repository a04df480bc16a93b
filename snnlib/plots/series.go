package plots

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
)

// addLine adds a named line with points for series i.
func addLine(p *plot.Plot, name string, xy plotter.XYs, i int, points bool) error {
	l, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("plots: %s: %w", name, err)
	}
	l.LineStyle = lineStyle(i)
	thumbs := []plot.Thumbnailer{l}
	p.Add(l)
	if points {
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return fmt.Errorf("plots: %s: %w", name, err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: seriesColor(i), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(s)
		thumbs = append(thumbs, s)
	}
	if name != "" {
		p.Legend.Add(name, thumbs...)
	}
	return nil
}

// perEpoch turns values into points at epochs 1, 2, ...
func perEpoch(v []float64) plotter.XYs {
	xy := make(plotter.XYs, len(v))
	for i, y := range v {
		xy[i] = plotter.XY{X: float64(i + 1), Y: y}
	}
	return xy
}

// maxLayerLines is the most layers drawn as one line each: past it the legend
// would cover the data, so σ is drawn against depth instead.
const maxLayerLines = 8

// maxEpochLines is the most epochs drawn when σ is drawn against depth.
const maxEpochLines = 6

// SigmaOverEpochs plots the noise σ of every layer over training: sigma is
// [epoch][layer]. layerNames may be nil (layers are then numbered). Up to
// eight layers get one line each over the epochs; deeper networks get σ
// against the layer index instead, one line for each of up to six epochs
// (the first, the last and evenly spaced ones between).
func SigmaOverEpochs(sigma [][]float64, layerNames []string) (*plot.Plot, error) {
	if len(sigma) == 0 || len(sigma[0]) == 0 {
		return nil, fmt.Errorf("plots: σ over epochs needs at least one epoch and one layer")
	}
	layers := len(sigma[0])
	for e, row := range sigma {
		if len(row) != layers {
			return nil, fmt.Errorf("plots: σ of epoch %d has %d layers, epoch 1 has %d", e+1, len(row), layers)
		}
		if err := checkFinite(fmt.Sprintf("σ of epoch %d", e+1), row); err != nil {
			return nil, err
		}
	}
	if layerNames != nil && len(layerNames) != layers {
		return nil, fmt.Errorf("plots: %d layer names for %d layers of σ", len(layerNames), layers)
	}
	if layers > maxLayerLines {
		return sigmaByLayer(sigma)
	}
	p := newPlot("Noise σ per layer during training", "epoch", "σ (units of value)")
	var drawn []plotter.XYs
	for l := range layers {
		col := make([]float64, len(sigma))
		for e := range sigma {
			col[e] = sigma[e][l]
		}
		name := fmt.Sprintf("layer %d", l)
		if layerNames != nil {
			name = layerNames[l]
		}
		xy := perEpoch(col)
		if err := addLine(p, name, xy, l, len(sigma) <= 30); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
	}
	padRanges(p)
	p.Y.Min = max(p.Y.Min, 0)
	p.X.Tick.Marker = integerTicks{}
	placeLegend(p, layers, drawn...)
	return p, nil
}

// sigmaByLayer draws σ against the layer index, one line per sampled epoch.
func sigmaByLayer(sigma [][]float64) (*plot.Plot, error) {
	p := newPlot("Noise σ per layer during training", "layer (activation site, input first)", "σ (units of value)")
	var drawn []plotter.XYs
	epochs := sampleIndices(len(sigma), maxEpochLines)
	for i, e := range epochs {
		xy := make(plotter.XYs, len(sigma[e]))
		for l, y := range sigma[e] {
			xy[l] = plotter.XY{X: float64(l), Y: y}
		}
		if err := addLine(p, fmt.Sprintf("after epoch %d", e+1), xy, i, true); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
	}
	padRanges(p)
	p.Y.Min = max(p.Y.Min, 0)
	p.X.Tick.Marker = integerTicks{}
	placeLegend(p, len(epochs), drawn...)
	return p, nil
}

// sampleIndices returns up to k indices of 0..n-1: all when n ≤ k, otherwise
// the first, the last and evenly spaced ones between.
func sampleIndices(n, k int) []int {
	if n <= k {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = int(math.Round(float64(i) * float64(n-1) / float64(k-1)))
	}
	return idx
}

// Curve is a named per-epoch series (values at epochs 1, 2, ...).
type Curve struct {
	Name   string
	Values []float64
}

// TrainingCurves plots per-epoch curves on one axis labelled yLabel.
func TrainingCurves(title, yLabel string, curves ...Curve) (*plot.Plot, error) {
	p := newPlot(title, "epoch", yLabel)
	n := 0
	var drawn []plotter.XYs
	for i, c := range curves {
		if len(c.Values) == 0 {
			continue
		}
		if err := checkFinite(c.Name, c.Values); err != nil {
			return nil, err
		}
		xy := perEpoch(c.Values)
		if err := addLine(p, c.Name, xy, i, len(c.Values) <= 30); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("plots: %q has no non-empty curve", title)
	}
	padRanges(p)
	p.X.Tick.Marker = integerTicks{}
	placeLegend(p, n, drawn...)
	return p, nil
}

// History is what a training run records per epoch. Accuracies are
// fractions in [0, 1]; empty series are left out.
type History struct {
	TrainLoss, ValLoss []float64
	TrainAcc, ValAcc   []float64
	ValSNNAcc          []float64 // the converted SNN's validation accuracy (optional)
}

// TrainingPanels draws loss and accuracy (%) side by side.
func TrainingPanels(h History) (*Grid, error) {
	loss, err := TrainingCurves("Loss", "cross-entropy loss",
		Curve{"train", h.TrainLoss}, Curve{"validation", h.ValLoss})
	if err != nil {
		return nil, err
	}
	var accs []Curve
	for _, c := range []Curve{{"train", h.TrainAcc}, {"validation", h.ValAcc}, {"validation SNN", h.ValSNNAcc}} {
		pc, err := toPercent(c.Name+" accuracy", c.Values)
		if err != nil {
			return nil, err
		}
		accs = append(accs, Curve{c.Name, pc})
	}
	acc, err := TrainingCurves("Accuracy", "accuracy (%)", accs...)
	if err != nil {
		return nil, err
	}
	return NewGrid([]*plot.Plot{loss, acc}, 2)
}

// toPercent checks fractions and scales them to percent.
func toPercent(what string, v []float64) ([]float64, error) {
	out := make([]float64, len(v))
	for i, x := range v {
		if !(x >= 0 && x <= 1) {
			return nil, fmt.Errorf("plots: %s[%d] is %g, want a fraction in [0, 1]", what, i, x)
		}
		out[i] = 100 * x
	}
	return out, nil
}

// Run is one SNN's accuracy at several time steps.
type Run struct {
	Name        string
	T           []int     // time steps, increasing
	Accuracy    []float64 // fraction in [0, 1] at each T
	ANNAccuracy float64   // source ANN's accuracy (fraction); 0 draws no ANN line
}

// AccuracyVsT plots accuracy (%) against time steps T for several runs, with
// each run's ANN accuracy as a dashed line of its colour. logT uses a log
// axis for T (for T = 1, 2, 4, ... 256).
func AccuracyVsT(runs []Run, logT bool) (*plot.Plot, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots: accuracy vs T needs at least one run")
	}
	p := newPlot("Accuracy vs time steps", "time steps T", "accuracy (%)")
	var ts []int
	for _, r := range runs {
		if len(r.T) == 0 || len(r.T) != len(r.Accuracy) {
			return nil, fmt.Errorf("plots: run %q has %d time steps and %d accuracies, want equal and non-zero", r.Name, len(r.T), len(r.Accuracy))
		}
		for i, t := range r.T {
			if t < 1 {
				return nil, fmt.Errorf("plots: run %q: T[%d] is %d, want ≥ 1", r.Name, i, t)
			}
		}
		ts = append(ts, r.T...)
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	var drawn []plotter.XYs
	entries := 0
	for i, r := range runs {
		acc, err := toPercent(fmt.Sprintf("run %q accuracy", r.Name), r.Accuracy)
		if err != nil {
			return nil, err
		}
		xy := make(plotter.XYs, len(r.T))
		for j, t := range r.T {
			xy[j] = plotter.XY{X: float64(t), Y: acc[j]}
		}
		if err := addLine(p, r.Name, xy, i, true); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
		entries++
		if r.ANNAccuracy != 0 {
			a, err := toPercent(fmt.Sprintf("run %q ANN accuracy", r.Name), []float64{r.ANNAccuracy})
			if err != nil {
				return nil, err
			}
			ref := plotter.XYs{{X: float64(ts[0]), Y: a[0]}, {X: float64(ts[len(ts)-1]), Y: a[0]}}
			l, err := plotter.NewLine(ref)
			if err != nil {
				return nil, err
			}
			l.LineStyle = referenceStyle(seriesColor(i))
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s ANN (%.2f%%)", r.Name, a[0]), l)
			drawn = append(drawn, ref)
			entries++
		}
	}
	timeAxis(p, ts, logT)
	placeLegend(p, entries, drawn...)
	return p, nil
}

// timeAxis scales the T axis (log when logT), pads the ranges and labels
// every T when there are few of them (sorted, distinct ts).
func timeAxis(p *plot.Plot, ts []int, logT bool) {
	if logT {
		p.X.Scale = plot.LogScale{}
	}
	padRanges(p)
	if len(ts) <= 12 {
		ticks := make(plot.ConstantTicks, len(ts))
		for i, t := range ts {
			ticks[i] = plot.Tick{Value: float64(t), Label: strconv.Itoa(t)}
		}
		p.X.Tick.Marker = ticks
	} else if logT {
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
}

// EnergyRun is one SNN's accuracy–latency–energy table.
type EnergyRun struct {
	Name        string
	Table       analysis.Table
	ANNAccuracy float64 // 0 draws no ANN point
}

// AccuracyVsEnergy plots accuracy (%) against SNN energy per example (µJ),
// each point labelled with its T, and the ANN as a star at its own energy.
func AccuracyVsEnergy(runs []EnergyRun) (*plot.Plot, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots: accuracy vs energy needs at least one run")
	}
	p := newPlot("Accuracy vs energy", "energy per example (µJ)", "accuracy (%)")
	var drawn []plotter.XYs
	entries := 0
	for i, r := range runs {
		if len(r.Table) == 0 {
			return nil, fmt.Errorf("plots: run %q has an empty table", r.Name)
		}
		xy := make(plotter.XYs, len(r.Table))
		labels := make([]string, len(r.Table))
		for j, row := range r.Table {
			acc, err := toPercent(fmt.Sprintf("run %q accuracy", r.Name), []float64{row.Accuracy})
			if err != nil {
				return nil, err
			}
			xy[j] = plotter.XY{X: row.SNNEnergy / 1e6, Y: acc[0]}
			labels[j] = fmt.Sprintf("T=%d", row.T)
		}
		if err := checkFinite(fmt.Sprintf("run %q energy", r.Name), []float64{xy[0].X, xy[len(xy)-1].X}); err != nil {
			return nil, err
		}
		if err := addLine(p, r.Name+" SNN", xy, i, true); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
		entries++
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels})
		if err != nil {
			return nil, err
		}
		for k := range lab.TextStyle {
			lab.TextStyle[k].Font.Size = vg.Points(8)
			lab.TextStyle[k].Color = seriesColor(i)
		}
		lab.Offset = vg.Point{X: vg.Points(4), Y: vg.Points(3)}
		p.Add(lab)
		if r.ANNAccuracy != 0 {
			a, err := toPercent(fmt.Sprintf("run %q ANN accuracy", r.Name), []float64{r.ANNAccuracy})
			if err != nil {
				return nil, err
			}
			e := r.Table[0].ANNEnergy / 1e6
			if math.IsNaN(e) || e <= 0 {
				continue
			}
			pt := plotter.XYs{{X: e, Y: a[0]}}
			s, err := plotter.NewScatter(pt)
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: seriesColor(i), Radius: vg.Points(4), Shape: draw.PyramidGlyph{}}
			p.Add(s)
			p.Legend.Add(r.Name+" ANN", s)
			drawn = append(drawn, pt)
			entries++
		}
	}
	// Energies that span a decade or more (T = 1 … 64, or an ANN far from the
	// SNN points) crowd together on a linear axis.
	if p.X.Min > 0 && p.X.Max >= 10*p.X.Min {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	padRanges(p)
	placeLegend(p, entries, drawn...)
	return p, nil
}

// SigmaStepRun is one NQ model's noise per layer: σ and the quantisation step
// λ/L of each site.
type SigmaStepRun struct {
	Name  string
	Sigma []float64
	Step  []float64 // λ/L per site
}

// QuantisationSD is the standard deviation of the error of rounding to a
// grid, in units of its step (uniform over one step: 1/√12).
var QuantisationSD = 1 / math.Sqrt(12)

// SigmaToStep plots σ/(λ/L) per layer for each run, with the quantisation
// error's own spread (QuantisationSD) as a reference: noise far above that
// line buries the quantised activation the SNN is meant to reproduce, which
// is what an SNN far from its ANN at T_n measures.
func SigmaToStep(runs []SigmaStepRun) (*plot.Plot, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots: σ per quantisation step needs at least one run")
	}
	p := newPlot("Noise σ in units of the quantisation step λ/L", "layer", "σ / (λ/L)")
	layers := 0
	var drawn []plotter.XYs
	for i, r := range runs {
		if len(r.Sigma) == 0 || len(r.Sigma) != len(r.Step) {
			return nil, fmt.Errorf("plots: %s: %d σ values for %d steps", r.Name, len(r.Sigma), len(r.Step))
		}
		xy := make(plotter.XYs, len(r.Sigma))
		for l := range r.Sigma {
			if !(r.Step[l] > 0) {
				return nil, fmt.Errorf("plots: %s: quantisation step of layer %d is %g, must be > 0", r.Name, l, r.Step[l])
			}
			xy[l] = plotter.XY{X: float64(l), Y: r.Sigma[l] / r.Step[l]}
		}
		if err := checkFinite(r.Name, r.Sigma); err != nil {
			return nil, err
		}
		if err := addLine(p, r.Name, xy, i, len(xy) <= 30); err != nil {
			return nil, err
		}
		drawn = append(drawn, xy)
		layers = max(layers, len(r.Sigma))
	}
	ref := plotter.XYs{{X: 0, Y: QuantisationSD}, {X: float64(max(layers-1, 1)), Y: QuantisationSD}}
	l, err := plotter.NewLine(ref)
	if err != nil {
		return nil, err
	}
	l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(l)
	p.Legend.Add("quantisation error's sd (step/√12)", l)
	padRanges(p)
	p.Y.Min = 0 // a ratio of spreads
	placeLegend(p, len(runs)+1, append(drawn, ref)...)
	return p, nil
}
