package experiment

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/plots"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// DiagnosticsFile holds a run's residual-error diagnostics.
const DiagnosticsFile = "diagnostics.json"

// LayerDiagnostics are the residual-error diagnostics of one site at one T.
type LayerDiagnostics struct {
	Residual    analysis.ResidualStats  `json:"residual"`
	Gap         analysis.GapStats       `json:"gap"`
	Split       analysis.ErrorSplit     `json:"split"`
	Firing      analysis.FiringStats    `json:"firing"`
	Propagation analysis.PropagationRow `json:"propagation"`
}

// WindowDiagnostics are the diagnostics of every site for one window T.
type WindowDiagnostics struct {
	T      int                `json:"t"`
	Layers []LayerDiagnostics `json:"layers"`
}

// Diagnostics are computed on the first test batch for a few windows T.
type Diagnostics struct {
	Examples int                 `json:"examples"`
	Windows  []WindowDiagnostics `json:"windows"`
}

// Diagnose probes the SNN on the first batch of ds for every T in ts.
func Diagnose(sim *snn.Simulator, ds train.Dataset, ts []int, levels int) (*Diagnostics, error) {
	ds.Reset()
	defer ds.Reset()
	_, in, lab, err := ds.Yield()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("diagnostics: data set %q is empty", ds.Name())
	}
	if err != nil {
		return nil, err
	}
	d := &Diagnostics{Examples: in[0].Shape().Dimensions[0]}
	for _, T := range ts {
		layers, err := sim.Probe(in[0], lab[0], T, levels)
		if err != nil {
			return nil, err
		}
		w := WindowDiagnostics{T: T}
		prop, err := analysis.Propagation(layers)
		if err != nil {
			return nil, err
		}
		for i, l := range layers {
			var ld LayerDiagnostics
			if ld.Residual, err = analysis.Residual(l, analysis.BinSpec{}); err != nil {
				return nil, err
			}
			if ld.Gap, err = analysis.LayerGap(l, analysis.BinSpec{Bins: 60, Lo: -l.Theta, Hi: l.Theta}); err != nil {
				return nil, err
			}
			if ld.Split, err = analysis.SplitError(l); err != nil {
				return nil, err
			}
			if ld.Firing, err = analysis.Firing(l, analysis.BinSpec{}); err != nil {
				return nil, err
			}
			ld.Propagation = prop[i]
			w.Layers = append(w.Layers, ld)
		}
		d.Windows = append(d.Windows, w)
	}
	return d, nil
}

// Figures renders the residual-membrane histograms and the gap histogram
// with its Gaussian fit for every diagnosed window.
func (d *Diagnostics) Figures() (map[string]plots.Drawer, error) {
	figs := map[string]plots.Drawer{}
	for _, w := range d.Windows {
		var res []analysis.ResidualStats
		for _, l := range w.Layers {
			res = append(res, l.Residual)
		}
		g, err := plots.ResidualGrid(res, min(3, len(res)))
		if err != nil {
			return nil, err
		}
		figs[fmt.Sprintf("residual_membrane_T%d", w.T)] = g
		mid := w.Layers[len(w.Layers)/2]
		gp, err := plots.GapHistogram(mid.Gap, fmt.Sprintf("ANN − SNN gap, %s, T=%d", mid.Residual.Name, w.T))
		if err != nil {
			return nil, err
		}
		figs[fmt.Sprintf("gap_T%d", w.T)] = gp
	}
	return figs, nil
}

// Markdown summarises the error split per layer for each window.
func (d *Diagnostics) Markdown() string {
	s := ""
	for _, w := range d.Windows {
		s += fmt.Sprintf("\n**T = %d** (first test batch, %d examples): mean signed error per neuron\n\n", w.T, d.Examples)
		s += "| site | total ReLU(z)−rate | clipping | quantisation | residual | gap μ | gap σ | membrane outside [0, θ) |\n|---|---|---|---|---|---|---|---|\n"
		for _, l := range w.Layers {
			sp := l.Split
			s += fmt.Sprintf("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.1f%% |\n", l.Residual.Name,
				sp.Total.MeanSigned, sp.Clipping.MeanSigned, sp.Quantisation.MeanSigned, sp.Residual.MeanSigned,
				l.Gap.Mean, l.Gap.Std, 100*l.Residual.Outside)
		}
	}
	return s
}
