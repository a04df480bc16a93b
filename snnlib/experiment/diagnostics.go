package experiment

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/record"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

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
		w := record.WindowDiagnostics{T: T}
		// One site at a time: a deep network's probe data does not fit in
		// memory all at once at a useful batch size.
		err := sim.ProbeEach(in[0], lab[0], T, levels, func(l analysis.LayerData) error {
			ld, err := diagnoseLayer(l)
			w.Layers = append(w.Layers, ld)
			return err
		})
		if err != nil {
			return nil, err
		}
		d.Windows = append(d.Windows, w)
	}
	return d, nil
}

// diagnoseLayer computes every diagnostic of one site's probe data.
func diagnoseLayer(l analysis.LayerData) (ld record.LayerDiagnostics, err error) {
	if ld.Residual, err = analysis.Residual(l, analysis.BinSpec{}); err != nil {
		return ld, err
	}
	if ld.Gap, err = analysis.LayerGap(l, analysis.BinSpec{Bins: 60, Lo: -l.Theta, Hi: l.Theta}); err != nil {
		return ld, err
	}
	if ld.Split, err = analysis.SplitError(l); err != nil {
		return ld, err
	}
	if ld.Firing, err = analysis.Firing(l, analysis.BinSpec{}); err != nil {
		return ld, err
	}
	prop, err := analysis.Propagation([]analysis.LayerData{l})
	if err != nil {
		return ld, err
	}
	ld.Propagation = prop[0]
	return ld, nil
}
