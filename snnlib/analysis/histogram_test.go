package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramConservesCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, 10001)
	for i := range values {
		values[i] = rng.NormFloat64() * 3
	}
	values[5] = math.NaN()
	values[6] = math.Inf(1)
	values[7] = math.Inf(-1)
	h, err := HistogramOf(values, BinSpec{Bins: 17, Lo: -2, Hi: 2})
	require.NoError(t, err)
	assert.Equal(t, len(values), h.Total())
	assert.Equal(t, 1, h.NaN)
	assert.Positive(t, h.Under)
	assert.Positive(t, h.Over)
	// Each bin holds exactly the values in [lo, hi).
	for i, c := range h.Counts {
		want := 0
		for _, v := range values {
			if v >= h.Edges[i] && (v < h.Edges[i+1] || (i == h.Bins()-1 && v == h.Edges[i+1])) {
				want++
			}
		}
		assert.Equal(t, want, c, "bin %d", i)
	}
}

func TestHistogramEdgesAndAutoRange(t *testing.T) {
	h, err := HistogramOf([]float32{0, 0.25, 0.5, 0.75, 1}, BinSpec{Bins: 4})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0.25, 0.5, 0.75, 1}, h.Edges)
	assert.Equal(t, []int{1, 1, 1, 2}, h.Counts, "the upper edge belongs to the last bin")
	assert.Equal(t, 0.25, h.Width())
	assert.Equal(t, []float64{0.125, 0.375, 0.625, 0.875}, h.Centers())
	assert.InDelta(t, 1.0, sum(h.Density())*h.Width(), 1e-12)
	assert.InDelta(t, 1.0, sum(h.Fractions()), 1e-12)

	// A constant sample still gets a usable range around its value.
	c, err := HistogramOf([]float64{3, 3, 3}, BinSpec{Bins: 3})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 3, 0}, c.Counts)

	// Zero bins means DefaultBins.
	d, err := HistogramOf([]float64{1, 2}, BinSpec{})
	require.NoError(t, err)
	assert.Equal(t, DefaultBins, d.Bins())
}

func TestHistogramRejectsBadSpec(t *testing.T) {
	_, err := NewHistogram(0, 0, 1)
	assert.EqualError(t, err, "analysis: histogram needs at least 1 bin, got 0")
	_, err = NewHistogram(3, 1, 1)
	assert.EqualError(t, err, "analysis: histogram range [1, 1] must be finite with lo < hi")
	_, err = HistogramOf([]float64{1}, BinSpec{Bins: 2, Lo: 2, Hi: 1})
	assert.ErrorContains(t, err, "range [2, 1]")
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}
