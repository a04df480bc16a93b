package snn

import (
	"slices"

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
// It holds every site's data at once; [Simulator.ProbeEach] hands over one
// site at a time.
func (s *Simulator) Probe(images, labels *tensors.Tensor, T, levels int) ([]analysis.LayerData, error) {
	var layers []analysis.LayerData
	err := s.ProbeEach(images, labels, T, levels, func(l analysis.LayerData) error {
		for _, f := range []*[]float32{&l.Z, &l.ANN, &l.ANNOnSNNInput, &l.Rate, &l.Residual, &l.SpikeCount} {
			*f = slices.Clone(*f)
		}
		layers = append(layers, l)
		return nil
	})
	return layers, err
}

// ProbeEach is [Simulator.Probe] that calls visit with each site's data in
// network order, copying the next site's into the same slices only after
// visit returns, and frees each site's buffers once copied: a deep network's
// probe then holds one site in Go memory, not all of them, and leaves no
// garbage behind (ResNet-20 at batch 128: ≈50 MB instead of ≈1 GB). visit
// must copy what it keeps. An error from visit stops the walk and is returned.
func (s *Simulator) ProbeEach(images, labels *tensors.Tensor, T, levels int, visit func(analysis.LayerData) error) error {
	rec := s.record
	s.recordOnly(recordAll)
	defer s.recordOnly(rec)
	br, err := s.RunBatch(images, labels, T)
	if err != nil {
		return err
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
			return err
		}
	}
	outs, err := s.probe.Exec(append([]any{images, float32(T)}, anySlice(w.InputSum)...)...)
	if err != nil {
		return err
	}
	defer freeAll(outs)
	n := len(w.Membrane)
	thresholds := SiteScalars(s.ctx, s.nw.Strategy.ThresholdVar())
	perStep := 1 / float32(T)
	var buf [6][]float32 // reused from site to site
	for i := range n {
		theta := 1.0
		if i < len(thresholds) {
			theta = thresholds[i]
		}
		l := analysis.LayerData{
			Index: i, Name: model.SiteName(i), Theta: theta, Levels: levels, T: T,
			Z: takeFlat(&buf[0], w.InputSum[i], perStep), ANN: takeFlat(&buf[1], outs[i], 1),
			ANNOnSNNInput: takeFlat(&buf[2], outs[n+i], 1), Rate: takeFlat(&buf[3], w.OutSum[i], perStep),
			Residual: takeFlat(&buf[4], w.Membrane[i], 1), SpikeCount: takeFlat(&buf[5], w.SpikeSum[i], 1),
		}
		if err := visit(l); err != nil {
			return err
		}
	}
	return nil
}

// takeFlat copies t's values times scale into *buf (grown when too short)
// and frees t (its device buffer and any local copy), so a probe never keeps
// both.
func takeFlat(buf *[]float32, t *tensors.Tensor, scale float32) []float32 {
	n := t.Shape().Size()
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	out := (*buf)[:n]
	tensors.MustConstFlatData(t, func(flat []float32) {
		for j, v := range flat {
			out[j] = v * scale
		}
	})
	t.FinalizeAll()
	return out
}

// Raster simulates one batch for T steps and returns, for example (an index
// into the batch) and the given flat neuron indices of one site, whether each
// neuron spiked at each step ([neuron][t]) and its membrane after each step.
func (s *Simulator) Raster(images, labels *tensors.Tensor, T, site, example int, neurons []int) (spikes [][]bool, membrane [][]float64, err error) {
	rec := s.record
	s.recordOnly(recordAll)
	defer s.recordOnly(rec)
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
