package analysis

import (
	"fmt"
	"math"
)

// LayerData is what the simulator records for one activation layer l over a
// batch of inputs and a T-step window. Every slice is flattened over batch
// and neurons in the same order; slices a diagnostic does not need may be nil.
type LayerData struct {
	Index  int     // depth of the layer (0 = first activation layer)
	Name   string  // e.g. "act03"
	Theta  float64 // firing threshold θ_l, equal to the trained clip λ_l
	Levels int     // quantisation levels L of the layer's QCFS activation
	T      int     // time steps of the window

	Z             []float32 // time-averaged input current of the SNN layer
	ANN           []float32 // noise-free quantised ANN activation on ANN inputs
	ANNOnSNNInput []float32 // QCFS applied to Z: the ANN activation fed the SNN's own input
	Rate          []float32 // SNN output averaged over T, in units of value (spikes/T·θ)
	Residual      []float32 // membrane potential at the end of the window
	SpikeCount    []float32 // spikes per neuron over the window
}

// Field names used in error messages and by need.
const (
	fieldZ             = "Z"
	fieldANN           = "ANN"
	fieldANNOnSNNInput = "ANNOnSNNInput"
	fieldRate          = "Rate"
	fieldResidual      = "Residual"
	fieldSpikeCount    = "SpikeCount"
)

func (d LayerData) field(name string) []float32 {
	switch name {
	case fieldZ:
		return d.Z
	case fieldANN:
		return d.ANN
	case fieldANNOnSNNInput:
		return d.ANNOnSNNInput
	case fieldRate:
		return d.Rate
	case fieldResidual:
		return d.Residual
	case fieldSpikeCount:
		return d.SpikeCount
	}
	panic("analysis: unknown field " + name) // programming error, not user input
}

// label names the layer in error messages.
func (d LayerData) label() string {
	if d.Name != "" {
		return fmt.Sprintf("layer %d (%s)", d.Index, d.Name)
	}
	return fmt.Sprintf("layer %d", d.Index)
}

// need checks that the named fields are present, equally long and finite, and
// that θ (and L, T when asked) are valid. It returns the common length.
func (d LayerData) need(theta, levels, steps bool, fields ...string) (int, error) {
	if theta && (!(d.Theta > 0) || math.IsInf(d.Theta, 0)) {
		return 0, fmt.Errorf("analysis: %s: threshold θ must be positive and finite, got %g", d.label(), d.Theta)
	}
	if levels && d.Levels < 1 {
		return 0, fmt.Errorf("analysis: %s: quantisation levels L must be ≥ 1, got %d", d.label(), d.Levels)
	}
	if steps && d.T < 1 {
		return 0, fmt.Errorf("analysis: %s: time steps T must be ≥ 1, got %d", d.label(), d.T)
	}
	n := -1
	for _, f := range fields {
		v := d.field(f)
		if len(v) == 0 {
			return 0, fmt.Errorf("analysis: %s: %s is empty", d.label(), f)
		}
		if n >= 0 && len(v) != n {
			return 0, fmt.Errorf("analysis: %s: %s has %d values but %s has %d", d.label(), f, len(v), fields[0], n)
		}
		n = len(v)
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return 0, fmt.Errorf("analysis: %s: %s[%d] is %g, want a finite value", d.label(), f, i, x)
			}
		}
	}
	return n, nil
}

// QCFS is the quantisation clip-floor-shift activation
// θ/L · floor(clip(z/θ, 0, 1)·L + 1/2) on one value.
func QCFS(z, theta float64, levels int) float64 {
	y := math.Min(math.Max(z/theta, 0), 1)
	return theta / float64(levels) * math.Floor(y*float64(levels)+0.5)
}

// Moments summarises a sample: size, mean, population standard deviation
// (the maximum-likelihood σ of a fitted Gaussian), mean absolute value and range.
type Moments struct {
	N         int
	Mean, Std float64
	MeanAbs   float64
	Min, Max  float64

	abs, m2 float64 // running sums (Welford) while accumulating
	started bool
}

// add accumulates one value (Welford's update, stable for large N).
func (m *Moments) add(x float64) {
	m.N++
	d := x - m.Mean
	m.Mean += d / float64(m.N)
	m.m2 += d * (x - m.Mean)
	m.abs += math.Abs(x)
	if !m.started {
		m.Min, m.Max, m.started = x, x, true
	}
	m.Min = math.Min(m.Min, x)
	m.Max = math.Max(m.Max, x)
}

// done finalises Std and MeanAbs.
func (m *Moments) done() {
	if m.N > 0 {
		m.Std = math.Sqrt(m.m2 / float64(m.N))
		m.MeanAbs = m.abs / float64(m.N)
	}
}

// MomentsOf summarises values.
func MomentsOf[F ~float32 | ~float64](values []F) Moments {
	var m Moments
	for _, v := range values {
		m.add(float64(v))
	}
	m.done()
	return m
}

// GaussianPDF is the density of N(mean, std²) at x. A degenerate std ≤ 0
// (a constant sample) gives 0.
func GaussianPDF(x, mean, std float64) float64 {
	if !(std > 0) {
		return 0
	}
	u := (x - mean) / std
	return math.Exp(-u*u/2) / (std * math.Sqrt(2*math.Pi))
}
