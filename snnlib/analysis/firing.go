package analysis

// FiringStats describes how a layer fires over a T-step window.
type FiringStats struct {
	Index int
	Name  string
	T     int
	N     int // neurons (times batch)

	MeanRate  float64   // mean spikes per neuron per step, in [0, 1] for one spike per step at most
	Dead      float64   // fraction of neurons that never spiked
	Saturated float64   // fraction that spiked at every step (count ≥ T)
	Hist      Histogram // per-neuron rate (spikes/T), default range [0, 1]
}

// DefaultRateBins is the default histogram of per-neuron firing rates.
var DefaultRateBins = BinSpec{Bins: 20, Lo: 0, Hi: 1}

// Firing computes FiringStats from d.SpikeCount and d.T. Counts must be
// non-negative; a zero spec uses DefaultRateBins.
func Firing(d LayerData, spec BinSpec) (FiringStats, error) {
	n, err := d.need(false, false, true, fieldSpikeCount)
	if err != nil {
		return FiringStats{}, err
	}
	if spec == (BinSpec{}) {
		spec = DefaultRateBins
	}
	steps := float64(d.T)
	bins, lo, hi := spec.resolve(func() (float64, float64) {
		lo, hi := finiteRange(d.SpikeCount)
		return lo / steps, hi / steps
	})
	h, err := NewHistogram(bins, lo, hi)
	if err != nil {
		return FiringStats{}, err
	}
	var total kahan
	dead, sat := 0, 0
	for i, c := range d.SpikeCount {
		if c < 0 {
			return FiringStats{}, errorf("%s: SpikeCount[%d] is %g, want ≥ 0", d.label(), i, c)
		}
		total.add(float64(c))
		h.Add(float64(c) / steps)
		// Counts are integers stored as floats: compare with half a spike of slack.
		if c < 0.5 {
			dead++
		}
		if float64(c) > steps-0.5 {
			sat++
		}
	}
	return FiringStats{
		Index: d.Index, Name: d.Name, T: d.T, N: n,
		MeanRate:  total.sum() / float64(n) / steps,
		Dead:      float64(dead) / float64(n),
		Saturated: float64(sat) / float64(n),
		Hist:      *h,
	}, nil
}

// Firings runs Firing on each layer, in order.
func Firings(layers []LayerData, spec BinSpec) ([]FiringStats, error) {
	out := make([]FiringStats, 0, len(layers))
	for _, d := range layers {
		s, err := Firing(d, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
