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
		layers, err := sim.Probe(in[0], lab[0], T, levels)
		if err != nil {
			return nil, err
		}
		w := record.WindowDiagnostics{T: T}
		prop, err := analysis.Propagation(layers)
		if err != nil {
			return nil, err
		}
		for i, l := range layers {
			var ld record.LayerDiagnostics
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
