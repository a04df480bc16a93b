package snn

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/model"
)

// Probe simulates one batch for T steps and returns, per activation site,
// everything the residual-error diagnostics need (analysis.LayerData): the
// SNN's time-averaged input current, firing rate, final membrane and spike
// counts, the ANN's activation on ANN inputs, and the ANN activation applied
// to the SNN's own input. levels is the quantisation L of the strategy.
func (s *Simulator) Probe(images, labels *tensors.Tensor, T, levels int) ([]analysis.LayerData, error) {
	rec := s.record
	s.Record(true)
	defer s.Record(rec)
	br, err := s.RunBatch(images, labels, T)
	if err != nil {
		return nil, err
	}
	w := br.Window
	defer w.Free()
	if s.probe == nil {
		// Inputs: images, T (scalar), zsum[n]. Outputs: ANN activations, activation of the mean SNN input.
		s.probe, err = context.NewExec(s.backend, s.modelCtx(), func(ctx *context.Context, in []*Node) []*Node {
			x, steps, zsum := in[0], in[1], in[2:]
			n := len(zsum)
			out := make([]*Node, 2*n, 2*n+1)
			logits, _ := s.nw.ANNWithSites(ctx, x, func(ctx *context.Context, i int, _, act *Node) *Node {
				out[i] = ConvertDType(act, dtypes.Float32)
				zMean := Div(zsum[i], ConvertDType(steps, zsum[i].DType()))
				out[n+i] = ConvertDType(s.nw.Strategy.Activation(ctx, zMean), dtypes.Float32)
				return act
			})
			return append(out, logits) // see compile: every input must feed an output
		})
		if err != nil {
			return nil, err
		}
	}
	outs, err := s.probe.Exec(append([]any{images, float32(T)}, anySlice(w.InputSum)...)...)
	if err != nil {
		return nil, err
	}
	defer freeAll(outs)
	n := len(w.Membrane)
	thresholds := SiteScalars(s.ctx, s.nw.Strategy.ThresholdVar())
	layers := make([]analysis.LayerData, n)
	for i := range n {
		theta := 1.0
		if i < len(thresholds) {
			theta = thresholds[i]
		}
		z := tensors.MustCopyFlatData[float32](w.InputSum[i])
		osum := tensors.MustCopyFlatData[float32](w.OutSum[i])
		count := tensors.MustCopyFlatData[float32](w.SpikeSum[i])
		rate := make([]float32, len(osum))
		for j := range z {
			z[j] /= float32(T)
			rate[j] = osum[j] / float32(T)
		}
		layers[i] = analysis.LayerData{
			Index: i, Name: model.SiteName(i), Theta: theta, Levels: levels, T: T,
			Z: z, ANN: tensors.MustCopyFlatData[float32](outs[i]), ANNOnSNNInput: tensors.MustCopyFlatData[float32](outs[n+i]),
			Rate: rate, Residual: tensors.MustCopyFlatData[float32](w.Membrane[i]), SpikeCount: count,
		}
	}
	return layers, nil
}

// Raster simulates one batch for T steps and returns, for example (an index
// into the batch) and the given flat neuron indices of one site, whether each
// neuron spiked at each step ([neuron][t]) and its membrane after each step.
func (s *Simulator) Raster(images, labels *tensors.Tensor, T, site, example int, neurons []int) (spikes [][]bool, membrane [][]float64, err error) {
	rec := s.record
	s.Record(true)
	defer s.Record(rec)
	spikes = make([][]bool, len(neurons))
	membrane = make([][]float64, len(neurons))
	prev := make([]float64, len(neurons))
	s.onStep = func(t int, w *Window) error {
		if site < 0 || site >= len(w.Membrane) {
			return errorf("site %d out of range [0, %d)", site, len(w.Membrane))
		}
		v := tensors.MustCopyFlatData[float32](w.Membrane[site])
		o := tensors.MustCopyFlatData[float32](w.SpikeSum[site])
		per := len(v) / w.Membrane[site].Shape().Dimensions[0]
		if example < 0 || example >= w.Membrane[site].Shape().Dimensions[0] {
			return errorf("example %d out of range [0, %d)", example, w.Membrane[site].Shape().Dimensions[0])
		}
		for k, nidx := range neurons {
			if nidx < 0 || nidx >= per {
				return errorf("neuron %d out of range [0, %d) at site %d", nidx, per, site)
			}
			j := example*per + nidx
			spikes[k] = append(spikes[k], float64(o[j]) > prev[k])
			prev[k] = float64(o[j])
			membrane[k] = append(membrane[k], float64(v[j]))
		}
		return nil
	}
	defer func() { s.onStep = nil }()
	br, err := s.RunBatch(images, labels, T)
	if err != nil {
		return nil, nil, err
	}
	br.Window.Free()
	return spikes, membrane, nil
}
