package analysis

import (
	"fmt"
	"math"
)

// Histogram counts values in equal-width bins over [Edges[0], Edges[len-1]].
// Values outside the range go to Under/Over and NaNs to NaN, so Total always
// equals the number of values added (no value is silently dropped).
type Histogram struct {
	Edges  []float64 // bin edges, len(Counts)+1, increasing
	Counts []int     // values per bin; bin i is [Edges[i], Edges[i+1]), the last bin also holds Edges[len-1]
	Under  int       // values below Edges[0]
	Over   int       // values above the last edge
	NaN    int       // NaN values
}

// BinSpec chooses a histogram's bins. Lo == Hi (e.g. the zero value's 0, 0)
// takes the range from the data's finite minimum and maximum. Bins ≤ 0 means
// DefaultBins.
type BinSpec struct {
	Bins   int
	Lo, Hi float64
}

// DefaultBins is the number of bins used when a BinSpec leaves it unset.
const DefaultBins = 50

// NewHistogram returns an empty histogram of bins equal bins over [lo, hi].
func NewHistogram(bins int, lo, hi float64) (*Histogram, error) {
	if bins <= 0 {
		return nil, fmt.Errorf("analysis: histogram needs at least 1 bin, got %d", bins)
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(hi > lo) {
		return nil, fmt.Errorf("analysis: histogram range [%g, %g] must be finite with lo < hi", lo, hi)
	}
	h := &Histogram{Edges: make([]float64, bins+1), Counts: make([]int, bins)}
	w := (hi - lo) / float64(bins)
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*w
	}
	h.Edges[bins] = hi // exact upper edge despite rounding
	return h, nil
}

// Add counts one value.
func (h *Histogram) Add(x float64) {
	n := len(h.Counts)
	lo, hi := h.Edges[0], h.Edges[n]
	switch {
	case math.IsNaN(x):
		h.NaN++
		return
	case x < lo:
		h.Under++
		return
	case x > hi:
		h.Over++
		return
	}
	i := int((x - lo) / (hi - lo) * float64(n))
	// Rounding can put a value one bin off near an edge: fix it against the
	// stored edges so that Edges[i] ≤ x < Edges[i+1].
	i = min(max(i, 0), n-1)
	for i > 0 && x < h.Edges[i] {
		i--
	}
	for i < n-1 && x >= h.Edges[i+1] {
		i++
	}
	h.Counts[i]++
}

// Bins is the number of bins.
func (h Histogram) Bins() int { return len(h.Counts) }

// InRange is the number of values that fell in a bin.
func (h Histogram) InRange() int {
	s := 0
	for _, c := range h.Counts {
		s += c
	}
	return s
}

// Total is the number of values added, in range or not.
func (h Histogram) Total() int { return h.InRange() + h.Under + h.Over + h.NaN }

// Width is the width of every bin.
func (h Histogram) Width() float64 {
	return (h.Edges[len(h.Edges)-1] - h.Edges[0]) / float64(len(h.Counts))
}

// Centers returns the middle of each bin.
func (h Histogram) Centers() []float64 {
	c := make([]float64, len(h.Counts))
	for i := range c {
		c[i] = (h.Edges[i] + h.Edges[i+1]) / 2
	}
	return c
}

// Density returns counts normalised by Total·Width, so that it integrates to
// the fraction of values in range and is comparable with a probability density.
func (h Histogram) Density() []float64 {
	d := make([]float64, len(h.Counts))
	t := float64(h.Total()) * h.Width()
	if t == 0 {
		return d
	}
	for i, c := range h.Counts {
		d[i] = float64(c) / t
	}
	return d
}

// Fractions returns each bin's count over Total.
func (h Histogram) Fractions() []float64 {
	f := make([]float64, len(h.Counts))
	t := float64(h.Total())
	if t == 0 {
		return f
	}
	for i, c := range h.Counts {
		f[i] = float64(c) / t
	}
	return f
}

// HistogramOf bins values according to spec.
func HistogramOf[F ~float32 | ~float64](values []F, spec BinSpec) (Histogram, error) {
	bins, lo, hi := spec.resolve(func() (float64, float64) { return finiteRange(values) })
	h, err := NewHistogram(bins, lo, hi)
	if err != nil {
		return Histogram{}, err
	}
	for _, v := range values {
		h.Add(float64(v))
	}
	return *h, nil
}

// resolve fills in defaults; dataRange is only called when the range is automatic.
func (s BinSpec) resolve(dataRange func() (float64, float64)) (bins int, lo, hi float64) {
	bins, lo, hi = s.Bins, s.Lo, s.Hi
	if bins <= 0 {
		bins = DefaultBins
	}
	if lo == hi {
		lo, hi = dataRange()
		lo, hi = widenDegenerate(lo, hi)
	}
	return bins, lo, hi
}

// widenDegenerate turns an empty or single-point range into a small interval
// around it, so that a histogram can still be built.
func widenDegenerate(lo, hi float64) (float64, float64) {
	if lo > hi { // no finite data
		return 0, 1
	}
	if lo == hi {
		d := math.Max(math.Abs(lo)*0.5, 0.5)
		return lo - d, hi + d
	}
	return lo, hi
}

// finiteRange is the minimum and maximum of the finite values; lo > hi when
// there are none.
func finiteRange[F ~float32 | ~float64](values []F) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range values {
		x := float64(v)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		lo = math.Min(lo, x)
		hi = math.Max(hi, x)
	}
	return lo, hi
}
