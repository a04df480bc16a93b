package experiment

import (
	"errors"
	"fmt"
	"io"

	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/record"
	"github.com/nqsnn/nqsnn/snnlib/snn"
)

// DiagnosticsMemory bounds the simulation state the diagnostics record: per
// neuron and example, the membrane and three window sums (input, output,
// spikes) in float32. A compiled call holds that state twice (its inputs and
// its outputs), so the bound is half of what a call needs at most. A small network's diagnostics use the whole first test batch;
// a deep one's use as many of its first examples as fit (ResNet-20 on
// CIFAR-10: 89 of 128, which kept a whole run's peak resident memory under
// 1.5 GiB).
const DiagnosticsMemory = 256 << 20

// DiagnosticExamples is how many examples of a batch of batch the
// diagnostics probe so that their recorded state stays within
// DiagnosticsMemory (at least one).
func DiagnosticExamples(neuronsPerExample, batch int) int {
	const bytesPerNeuron = 4 * 4 // membrane + 3 window sums, float32
	return max(1, min(batch, DiagnosticsMemory/(bytesPerNeuron*max(neuronsPerExample, 1))))
}

// Diagnose probes the SNN for every T in ts on the first examples of ds's
// first batch (all of it when examples is 0 or at least the batch size).
func Diagnose(sim *snn.Simulator, ds train.Dataset, ts []int, levels, examples int) (*Diagnostics, error) {
	ds.Reset()
	defer ds.Reset()
	_, in, lab, err := ds.Yield()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("diagnostics: data set %q is empty", ds.Name())
	}
	if err != nil {
		return nil, err
	}
	images, labels := in[0], lab[0]
	if b := images.Shape().Dimensions[0]; examples > 0 && examples < b {
		if images, err = headOfBatch(images, examples); err != nil {
			return nil, err
		}
		defer images.FinalizeAll()
		if labels, err = headOfBatch(labels, examples); err != nil {
			return nil, err
		}
		defer labels.FinalizeAll()
	}
	d := &Diagnostics{Examples: images.Shape().Dimensions[0]}
	for _, T := range ts {
		w := record.WindowDiagnostics{T: T}
		// One site at a time: a deep network's probe data does not fit in
		// memory all at once at a useful batch size.
		err := sim.ProbeEach(images, labels, T, levels, func(l analysis.LayerData) error {
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

// headOfBatch copies the first n examples (axis 0) of t into a new tensor.
func headOfBatch(t *tensors.Tensor, n int) (*tensors.Tensor, error) {
	dims := t.Shape().Dimensions
	head := tensors.FromShape(shapes.Make(t.DType(), append([]int{n}, dims[1:]...)...))
	var err error
	if e := t.ConstBytes(func(src []byte) {
		err = head.MutableBytes(func(dst []byte) { copy(dst, src[:len(dst)]) })
	}); e != nil {
		err = e
	}
	if err != nil {
		head.FinalizeAll()
		return nil, fmt.Errorf("diagnostics: copying the first %d examples: %w", n, err)
	}
	return head, nil
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
