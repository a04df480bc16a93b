package record

import (
	"fmt"
	"path/filepath"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
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

// Diagnostics are computed on the first test examples (see
// experiment.DiagnosticsMemory) for a few windows T.
type Diagnostics struct {
	Examples int                 `json:"examples"`
	Windows  []WindowDiagnostics `json:"windows"`
}

// LoadDiagnostics reads a run directory's diagnostics.json. A run without diagnostics (an
// older run, or one made with diagnostics off) is an error that names the file.
func LoadDiagnostics(dir string) (*Diagnostics, error) {
	var d Diagnostics
	if err := ReadJSON(filepath.Join(dir, DiagnosticsFile), &d); err != nil {
		return nil, err
	}
	if len(d.Windows) == 0 {
		return nil, fmt.Errorf("%s: no diagnostics windows", filepath.Join(dir, DiagnosticsFile))
	}
	return &d, nil
}

// Markdown summarises the error split per layer for each window.
func (d *Diagnostics) Markdown() string {
	s := ""
	for _, w := range d.Windows {
		s += fmt.Sprintf("\n**T = %d** (first %d test examples): mean signed error per neuron\n\n", w.T, d.Examples)
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
