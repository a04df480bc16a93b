package analysis

import "math"

// ResidualStats describes the membrane potentials left at the end of the
// window. A reset-by-subtraction IF neuron whose rate equals its quantised
// input keeps its membrane in [0, θ); values outside that interval are the
// misrepresentation the NQ noise models.
type ResidualStats struct {
	Index int
	Name  string
	T     int
	Theta float64

	Moments                // of the raw membrane potential, in units of value
	BelowZero      float64 // fraction of neurons with v < 0
	AtOrAboveTheta float64 // fraction with v ≥ θ
	Outside        float64 // BelowZero + AtOrAboveTheta

	// Hist bins v/θ, so that layers with different thresholds share an axis
	// and [0, 1) is the well-represented band. The default range is [−1, 2].
	Hist Histogram
}

// DefaultResidualBins is the default histogram of v/θ for residuals.
var DefaultResidualBins = BinSpec{Bins: 60, Lo: -1, Hi: 2}

// Residual summarises d.Residual (needs Theta and Residual). A zero spec uses
// DefaultResidualBins; a spec with Lo == Hi takes the range from the data.
func Residual(d LayerData, spec BinSpec) (ResidualStats, error) {
	n, err := d.need(true, false, false, fieldResidual)
	if err != nil {
		return ResidualStats{}, err
	}
	if spec == (BinSpec{}) {
		spec = DefaultResidualBins
	}
	bins, lo, hi := spec.resolve(func() (float64, float64) {
		lo, hi := finiteRange(d.Residual)
		return lo / d.Theta, hi / d.Theta
	})
	h, err := NewHistogram(bins, lo, hi)
	if err != nil {
		return ResidualStats{}, err
	}
	s := ResidualStats{Index: d.Index, Name: d.Name, T: d.T, Theta: d.Theta}
	below, above := 0, 0
	for _, x := range d.Residual {
		v := float64(x)
		s.Moments.add(v)
		h.Add(v / d.Theta)
		if v < 0 {
			below++
		} else if v >= d.Theta {
			above++
		}
	}
	s.Moments.done()
	s.Hist = *h
	s.BelowZero = float64(below) / float64(n)
	s.AtOrAboveTheta = float64(above) / float64(n)
	s.Outside = s.BelowZero + s.AtOrAboveTheta
	return s, nil
}

// Residuals runs Residual on each layer (or on one layer at several T), in order.
func Residuals(layers []LayerData, spec BinSpec) ([]ResidualStats, error) {
	out := make([]ResidualStats, 0, len(layers))
	for _, d := range layers {
		s, err := Residual(d, spec)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// GapStats describes a gap sample (ANN activation minus SNN rate) and the
// Gaussian N(Mean, Std²) fitted to it by maximum likelihood, the noise model of
// the NQ activation.
type GapStats struct {
	Moments
	Hist Histogram
}

// PDF is the fitted Gaussian density at x.
func (g GapStats) PDF(x float64) float64 { return GaussianPDF(x, g.Mean, g.Std) }

// Gap computes ann − rate element-wise and fits a Gaussian to it. The
// histogram range defaults to the data range (spec with Lo == Hi).
func Gap[F ~float32 | ~float64](ann, rate []F, spec BinSpec) (GapStats, error) {
	if len(ann) == 0 || len(ann) != len(rate) {
		return GapStats{}, errorf("gap needs two equally long non-empty samples, got %d ANN and %d rate values", len(ann), len(rate))
	}
	diff := make([]float64, len(ann))
	for i := range ann {
		diff[i] = float64(ann[i]) - float64(rate[i])
		if math.IsNaN(diff[i]) || math.IsInf(diff[i], 0) {
			return GapStats{}, errorf("gap: ANN[%d] = %g, rate[%d] = %g: want finite values", i, ann[i], i, rate[i])
		}
	}
	return gapOf(diff, spec)
}

func gapOf(diff []float64, spec BinSpec) (GapStats, error) {
	h, err := HistogramOf(diff, spec)
	if err != nil {
		return GapStats{}, err
	}
	return GapStats{Moments: MomentsOf(diff), Hist: h}, nil
}

// LayerGap is Gap(d.ANN, d.Rate) with the layer's checks and error messages.
func LayerGap(d LayerData, spec BinSpec) (GapStats, error) {
	if _, err := d.need(false, false, false, fieldANN, fieldRate); err != nil {
		return GapStats{}, err
	}
	return Gap(d.ANN, d.Rate, spec)
}
