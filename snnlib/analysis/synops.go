package analysis

import (
	"math"
	"strings"
)

// Synapse is a weighted layer (convolution or dense) as the operation counter
// sees it.
type Synapse struct {
	Name   string
	Input  int     // index of the activation site feeding the layer; -1 for the analog input
	InSize int     // input elements per example
	MACs   float64 // multiply-accumulates per example of the layer in the ANN

	// FanOut, when set, is the exact number of synaptic operations one spike
	// of each input element triggers (len InSize, in the flattened order of the
	// site's spike counts). Nil means the mean fan-out MACs/InSize for all.
	FanOut []float64
}

// MeanFanOut is the average number of synaptic operations per input spike.
func (s Synapse) MeanFanOut() float64 { return s.MACs / float64(s.InSize) }

func (s Synapse) validate(i int) error {
	switch {
	case s.Input < -1:
		return errorf("synapse %d (%s): input site %d, want ≥ 0 or -1 for the analog input", i, s.Name, s.Input)
	case s.InSize <= 0:
		return errorf("synapse %d (%s): InSize %d, want > 0", i, s.Name, s.InSize)
	case !(s.MACs >= 0) || math.IsInf(s.MACs, 0):
		return errorf("synapse %d (%s): MACs %g, want finite and ≥ 0", i, s.Name, s.MACs)
	case s.FanOut != nil && len(s.FanOut) != s.InSize:
		return errorf("synapse %d (%s): FanOut has %d entries, want InSize = %d", i, s.Name, len(s.FanOut), s.InSize)
	}
	return nil
}

// Dense describes a fully connected layer of units outputs fed by in inputs:
// every input element reaches every unit, so its fan-out is units.
func Dense(name string, input, in, units int) Synapse {
	return Synapse{Name: name, Input: input, InSize: in, MACs: float64(in) * float64(units)}
}

// Conv2D is the geometry of a 2-D convolution on NHWC inputs, used to count
// exactly how many output positions each input position feeds.
type Conv2D struct {
	InH, InW, InC     int
	OutC              int
	KernelH, KernelW  int
	StrideH, StrideW  int
	PadTop, PadBottom int
	PadLeft, PadRight int
}

// ConvSame is a square convolution with GoMLX's PadSame padding rule:
// (k−1)/2 before and k/2 after on each axis, whatever the stride, so the output
// is ceil(in/stride) long.
func ConvSame(inH, inW, inC, outC, kernel, stride int) Conv2D {
	return Conv2D{
		InH: inH, InW: inW, InC: inC, OutC: outC,
		KernelH: kernel, KernelW: kernel, StrideH: stride, StrideW: stride,
		PadTop: (kernel - 1) / 2, PadBottom: kernel / 2,
		PadLeft: (kernel - 1) / 2, PadRight: kernel / 2,
	}
}

// Validate reports a non-positive size or stride, a negative padding, or a
// kernel larger than the padded input.
func (c Conv2D) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"InH", c.InH}, {"InW", c.InW}, {"InC", c.InC}, {"OutC", c.OutC}, {"KernelH", c.KernelH},
		{"KernelW", c.KernelW}, {"StrideH", c.StrideH}, {"StrideW", c.StrideW}} {
		if f.v <= 0 {
			return errorf("conv: %s is %d, want > 0", f.name, f.v)
		}
	}
	if c.PadTop < 0 || c.PadBottom < 0 || c.PadLeft < 0 || c.PadRight < 0 {
		return errorf("conv: negative padding (%d, %d, %d, %d)", c.PadTop, c.PadBottom, c.PadLeft, c.PadRight)
	}
	if c.InH+c.PadTop+c.PadBottom < c.KernelH || c.InW+c.PadLeft+c.PadRight < c.KernelW {
		return errorf("conv: kernel %dx%d larger than padded input %dx%d", c.KernelH, c.KernelW,
			c.InH+c.PadTop+c.PadBottom, c.InW+c.PadLeft+c.PadRight)
	}
	return nil
}

// OutH is the output height.
func (c Conv2D) OutH() int { return (c.InH+c.PadTop+c.PadBottom-c.KernelH)/c.StrideH + 1 }

// OutW is the output width.
func (c Conv2D) OutW() int { return (c.InW+c.PadLeft+c.PadRight-c.KernelW)/c.StrideW + 1 }

// MACs is the ANN cost per example: OutH·OutW·OutC·KernelH·KernelW·InC,
// counting taps on padding as frameworks do.
func (c Conv2D) MACs() float64 {
	return float64(c.OutH()) * float64(c.OutW()) * float64(c.OutC) *
		float64(c.KernelH) * float64(c.KernelW) * float64(c.InC)
}

// axisFanOut counts, for each input index along one axis, the output indices
// whose receptive field [o·s − pad, o·s − pad + k − 1] contains it.
func axisFanOut(in, k, s, pad, out int) []int {
	n := make([]int, in)
	for i := range n {
		p := i + pad // position in the padded input
		lo := max(0, ceilDiv(p-k+1, s))
		hi := min(out-1, floorDiv(p, s))
		n[i] = max(0, hi-lo+1)
	}
	return n
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// FanOutPerPosition is the exact fan-out of each input position h·InW + w:
// the number of (output position, output channel) pairs it feeds. Taps that
// fall on padding are not counted, and strides larger than the kernel leave
// some inputs with fan-out 0. The approximation KernelH·KernelW·OutC /
// (StrideH·StrideW) is its interior value for strides dividing the kernel.
func (c Conv2D) FanOutPerPosition() ([]int, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	rows := axisFanOut(c.InH, c.KernelH, c.StrideH, c.PadTop, c.OutH())
	cols := axisFanOut(c.InW, c.KernelW, c.StrideW, c.PadLeft, c.OutW())
	f := make([]int, c.InH*c.InW)
	for h, r := range rows {
		for w, cc := range cols {
			f[h*c.InW+w] = r * cc * c.OutC
		}
	}
	return f, nil
}

// Synapse describes the convolution for operation counting, with the exact
// per-element fan-out in NHWC order (every channel of a position shares it).
func (c Conv2D) Synapse(name string, input int) (Synapse, error) {
	pos, err := c.FanOutPerPosition()
	if err != nil {
		return Synapse{}, errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "analysis: "))
	}
	fan := make([]float64, len(pos)*c.InC)
	for p, f := range pos {
		for ch := range c.InC {
			fan[p*c.InC+ch] = float64(f)
		}
	}
	return Synapse{Name: name, Input: input, InSize: len(fan), MACs: c.MACs(), FanOut: fan}, nil
}

// LayerOps is the per-example operation count of one weighted layer.
type LayerOps struct {
	Name    string
	Input   int
	ACs     float64 // SNN accumulates (one per spike per synapse)
	MACs    float64 // SNN multiply-accumulates (the analog first layer)
	ANNMACs float64 // multiply-accumulates of the same layer in the ANN
}

// OpsOptions sets how the analog first layer is counted.
type OpsOptions struct {
	// T is the number of time steps: with direct encoding the analog image is
	// presented at every step, so the first layer costs T·MACs.
	T int
	// AnalogInputOnce counts the first layer's MACs once instead of T times,
	// for hardware that caches its constant output.
	AnalogInputOnce bool
}

func (o OpsOptions) analogSteps() (float64, error) {
	if o.T < 1 {
		return 0, errorf("operation count needs T ≥ 1, got %d", o.T)
	}
	if o.AnalogInputOnce {
		return 1, nil
	}
	return float64(o.T), nil
}

// CountOps counts per-example operations from per-neuron spike totals over the
// window: spikes[site] holds batch·(neurons per example) counts, flattened in
// the order Synapse.FanOut uses. AC_l = Σ input spikes × fan-out / batch; the
// analog layer (Input −1) counts MACs instead.
func CountOps(syn []Synapse, spikes [][]float32, batch int, opt OpsOptions) ([]LayerOps, error) {
	steps, err := opt.analogSteps()
	if err != nil {
		return nil, err
	}
	if batch < 1 {
		return nil, errorf("operation count needs batch ≥ 1, got %d", batch)
	}
	return countOps(syn, steps, len(spikes), "spike counts", func(i int, s Synapse) (float64, error) {
		sp := spikes[s.Input]
		if len(sp)%batch != 0 {
			return 0, errorf("synapse %d (%s): site %d has %d spike counts, not a multiple of batch %d", i, s.Name, s.Input, len(sp), batch)
		}
		if s.FanOut != nil && len(sp) != batch*s.InSize {
			return 0, errorf("synapse %d (%s): site %d has %d spike counts, want batch·InSize = %d·%d", i, s.Name, s.Input, len(sp), batch, s.InSize)
		}
		var acc kahan
		mean := s.MeanFanOut()
		for j, c := range sp {
			if !(c >= 0) || math.IsInf(float64(c), 0) {
				return 0, errorf("synapse %d (%s): site %d spike count [%d] is %g, want finite and ≥ 0", i, s.Name, s.Input, j, c)
			}
			f := mean
			if s.FanOut != nil {
				f = s.FanOut[j%s.InSize]
			}
			acc.add(float64(c) * f)
		}
		return acc.sum() / float64(batch), nil
	})
}

// CountOpsFromTotals is CountOps when only the spikes per example of each site
// are known (summed over its neurons and the window): it uses the mean
// fan-out. Each spike of a site triggers the fan-out of the element it feeds,
// so this also holds when pooling sits between the site and the layer.
func CountOpsFromTotals(syn []Synapse, spikesPerExample []float64, opt OpsOptions) ([]LayerOps, error) {
	steps, err := opt.analogSteps()
	if err != nil {
		return nil, err
	}
	return countOps(syn, steps, len(spikesPerExample), "spike total", func(i int, s Synapse) (float64, error) {
		c := spikesPerExample[s.Input]
		if !(c >= 0) || math.IsInf(c, 0) {
			return 0, errorf("synapse %d (%s): site %d spike total is %g, want finite and ≥ 0", i, s.Name, s.Input, c)
		}
		return c * s.MeanFanOut(), nil
	})
}

// countOps is the loop both counts share: the analog first layer costs its
// MACs at every step, every other layer the ACs that acs computes from its
// input site's spikes (what names that data in errors).
func countOps(syn []Synapse, steps float64, sites int, what string, acs func(i int, s Synapse) (float64, error)) ([]LayerOps, error) {
	out := make([]LayerOps, len(syn))
	for i, s := range syn {
		if err := s.validate(i); err != nil {
			return nil, err
		}
		out[i] = LayerOps{Name: s.Name, Input: s.Input, ANNMACs: s.MACs}
		if s.Input < 0 {
			out[i].MACs = s.MACs * steps
			continue
		}
		if s.Input >= sites {
			return nil, errorf("synapse %d (%s): input site %d has no %s (%d sites given)", i, s.Name, s.Input, what, sites)
		}
		a, err := acs(i, s)
		if err != nil {
			return nil, err
		}
		out[i].ACs = a
	}
	return out, nil
}

// SumOps adds up the layers' counts (Name "total", Input −1).
func SumOps(ops []LayerOps) LayerOps {
	t := LayerOps{Name: "total", Input: -1}
	for _, o := range ops {
		t.ACs += o.ACs
		t.MACs += o.MACs
		t.ANNMACs += o.ANNMACs
	}
	return t
}
