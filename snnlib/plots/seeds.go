package plots

import (
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// SeedRun is one setting's SNN accuracy over several seeds: the mean and the
// standard deviation at each T.
type SeedRun struct {
	Name     string
	T        []int     // time steps, increasing
	Mean, SD []float64 // fractions in [0, 1] at each T
	Seeds    int       // runs averaged
}

// xyErrors is points with symmetric vertical error bars.
type xyErrors struct {
	plotter.XYs
	plotter.YErrors
}

// AccuracyVsTSeeds plots each setting's mean accuracy (%) against T with
// error bars of ±1 standard deviation over its seeds, so that a difference
// between settings can be read against the run-to-run spread.
func AccuracyVsTSeeds(runs []SeedRun, logT bool) (*plot.Plot, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("plots: accuracy vs T over seeds needs at least one setting")
	}
	p := newPlot("Accuracy vs time steps (mean ± sd over seeds)", "time steps T", "accuracy (%)")
	var ts []int
	var drawn []plotter.XYs
	for i, r := range runs {
		if len(r.T) == 0 || len(r.T) != len(r.Mean) || len(r.T) != len(r.SD) {
			return nil, fmt.Errorf("plots: setting %q has %d time steps, %d means and %d deviations, want equal and non-zero",
				r.Name, len(r.T), len(r.Mean), len(r.SD))
		}
		mean, err := toPercent(fmt.Sprintf("setting %q mean accuracy", r.Name), r.Mean)
		if err != nil {
			return nil, err
		}
		pts := xyErrors{XYs: make(plotter.XYs, len(r.T)), YErrors: make(plotter.YErrors, len(r.T))}
		for j, t := range r.T {
			if t < 1 {
				return nil, fmt.Errorf("plots: setting %q: T[%d] is %d, want ≥ 1", r.Name, j, t)
			}
			if !(r.SD[j] >= 0) {
				return nil, fmt.Errorf("plots: setting %q: standard deviation %g at T=%d, want ≥ 0", r.Name, r.SD[j], t)
			}
			pts.XYs[j] = plotter.XY{X: float64(t), Y: mean[j]}
			pts.YErrors[j].Low, pts.YErrors[j].High = 100*r.SD[j], 100*r.SD[j]
		}
		ts = append(ts, r.T...)
		name := fmt.Sprintf("%s (%d seeds)", r.Name, r.Seeds)
		if err := addLine(p, name, pts.XYs, i, true); err != nil {
			return nil, err
		}
		bars, err := plotter.NewYErrorBars(pts)
		if err != nil {
			return nil, fmt.Errorf("plots: %s: %w", r.Name, err)
		}
		bars.LineStyle.Color = seriesColor(i)
		p.Add(bars)
		// The error bars' ends count as data too.
		for j, xy := range pts.XYs {
			drawn = append(drawn, plotter.XYs{{X: xy.X, Y: xy.Y - pts.YErrors[j].Low}, {X: xy.X, Y: xy.Y + pts.YErrors[j].High}})
		}
		drawn = append(drawn, pts.XYs)
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	timeAxis(p, ts, logT)
	placeLegend(p, len(runs), drawn...)
	return p, nil
}
