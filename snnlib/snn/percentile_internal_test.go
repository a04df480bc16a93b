package snn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedStream replays batches[b][site] in order on every pass.
func fixedStream(batches [][][]float32) replay {
	return func(visit func(int, []float32)) error {
		for _, b := range batches {
			for site, xs := range b {
				visit(site, xs)
			}
		}
		return nil
	}
}

func TestPercentilesOfEqualsSortingEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Sites like ReLU activations (half exact zeros, a long tail), a constant
	// site, values on a coarse grid (ties), and a site with one value.
	draw := map[int]func() float32{
		0: func() float32 { return float32(max(0, rng.NormFloat64()*rng.ExpFloat64())) },
		1: func() float32 { return 0.25 },
		2: func() float32 { return float32(rng.IntN(7)) / 4 },
	}
	var batches [][][]float32
	for range 5 {
		b := make([][]float32, 4)
		for site := range 3 {
			for range 1000 + rng.IntN(500) {
				b[site] = append(b[site], draw[site]())
			}
		}
		batches = append(batches, b)
	}
	batches[2][3] = []float32{-1.5} // site 3 holds a single value
	for _, p := range []float64{0.1, 50, 99, 99.9, 100} {
		got, err := percentilesOf(p, fixedStream(batches))
		require.NoError(t, err)
		require.Len(t, got, 4)
		for site := range 4 {
			var all []float32
			for _, b := range batches {
				all = append(all, b[site]...)
			}
			want := Percentile(slices.Clone(all), p)
			assert.Equal(t, want, got[site], "site %d, p = %g: the same order statistics as sorting all values", site, p)
		}
	}
}

func TestPercentilesOfErrors(t *testing.T) {
	nan := [][][]float32{{{1, 2}, {3, float32(math.NaN())}}}
	_, err := percentilesOf(50, fixedStream(nan))
	require.ErrorContains(t, err, "site 1: an activation is NaN")

	// A stream that changes between passes (shuffled or augmented data).
	pass := 0
	shifting := func(visit func(int, []float32)) error {
		pass++
		visit(0, []float32{float32(pass), float32(pass) + 1})
		return nil
	}
	_, err = percentilesOf(50, shifting)
	require.ErrorIs(t, err, errNotReplayable)
}
