package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGapKnownMoments(t *testing.T) {
	g, err := Gap([]float32{1, 2, 3, 4}, []float32{0, 0, 0, 0}, BinSpec{Bins: 3})
	require.NoError(t, err)
	assert.Equal(t, 4, g.N)
	assert.InDelta(t, 2.5, g.Mean, 1e-15)
	assert.InDelta(t, math.Sqrt(1.25), g.Std, 1e-15, "population std (Gaussian MLE)")
	assert.Equal(t, 4, g.Hist.Total())
	assert.Equal(t, 1.0, g.Min)
	assert.Equal(t, 4.0, g.Max)

	// A large Gaussian sample recovers its parameters and the fitted density
	// matches the histogram's.
	rng := rand.New(rand.NewPCG(3, 4))
	const n, mu, sigma = 200000, 0.3, 0.7
	ann, rate := make([]float64, n), make([]float64, n)
	for i := range ann {
		rate[i] = rng.Float64()
		ann[i] = rate[i] + mu + sigma*rng.NormFloat64()
	}
	g, err = Gap(ann, rate, BinSpec{Bins: 40, Lo: mu - 3*sigma, Hi: mu + 3*sigma})
	require.NoError(t, err)
	assert.InDelta(t, mu, g.Mean, 0.01)
	assert.InDelta(t, sigma, g.Std, 0.01)
	assert.InDelta(t, 1/(g.Std*math.Sqrt(2*math.Pi)), g.PDF(g.Mean), 1e-12)
	dens, centers := g.Hist.Density(), g.Hist.Centers()
	for i := range dens {
		assert.InDelta(t, g.PDF(centers[i]), dens[i], 0.03, "bin %d", i)
	}
}

func TestGapErrors(t *testing.T) {
	_, err := Gap([]float32{1, 2}, []float32{1}, BinSpec{})
	assert.EqualError(t, err, "analysis: gap needs two equally long non-empty samples, got 2 ANN and 1 rate values")
	_, err = Gap([]float64{1, math.NaN()}, []float64{1, 1}, BinSpec{})
	assert.ErrorContains(t, err, "ANN[1] = NaN")
	_, err = LayerGap(LayerData{Index: 2, Name: "act02", ANN: []float32{1}}, BinSpec{})
	assert.EqualError(t, err, "analysis: layer 2 (act02): Rate is empty")
}

func TestResidualFractions(t *testing.T) {
	d := LayerData{Index: 1, Name: "act01", Theta: 2, T: 8,
		Residual: []float32{-0.5, 0, 1, 1.999, 2, 3, -2.5, 0.5}}
	s, err := Residual(d, BinSpec{})
	require.NoError(t, err)
	assert.Equal(t, 2.0/8, s.BelowZero)
	assert.Equal(t, 2.0/8, s.AtOrAboveTheta)
	assert.Equal(t, 4.0/8, s.Outside)
	assert.Equal(t, 8, s.N)
	assert.InDelta(t, 5.499/8, s.Mean, 1e-6)
	// v/θ histogram over [−1, 2]: −2.5/2 = −1.25 is under the range.
	assert.Equal(t, 8, s.Hist.Total())
	assert.Equal(t, 1, s.Hist.Under)
	assert.Equal(t, -1.0, s.Hist.Edges[0])
	assert.Equal(t, 2.0, s.Hist.Edges[s.Hist.Bins()])

	_, err = Residual(LayerData{Index: 1, Theta: 0, Residual: []float32{1}}, BinSpec{})
	assert.EqualError(t, err, "analysis: layer 1: threshold θ must be positive and finite, got 0")
	_, err = Residual(LayerData{Name: "a", Theta: 1, Residual: []float32{1, float32(math.Inf(1))}}, BinSpec{})
	assert.EqualError(t, err, "analysis: layer 0 (a): Residual[1] is +Inf, want a finite value")

	all, err := Residuals([]LayerData{d, d}, BinSpec{Bins: 3})
	require.NoError(t, err)
	require.Len(t, all, 2)
	assert.Equal(t, 3, all[1].Hist.Bins())
}

// simulateIF runs reset-by-subtraction IF neurons on constant currents z from
// v(0) = θ/2 and returns the layer data the simulator would record.
func simulateIF(z []float32, theta float64, levels, steps int) LayerData {
	d := LayerData{Theta: theta, Levels: levels, T: steps, Z: z}
	for _, zi := range z {
		v, n := theta/2, 0
		for range steps {
			v += float64(zi)
			if v >= theta {
				v -= theta
				n++
			}
		}
		d.Rate = append(d.Rate, float32(float64(n)*theta/float64(steps)))
		d.Residual = append(d.Residual, float32(v))
		d.SpikeCount = append(d.SpikeCount, float32(n))
		d.ANNOnSNNInput = append(d.ANNOnSNNInput, float32(QCFS(float64(zi), theta, levels)))
	}
	return d
}

func TestSplitErrorHandComputed(t *testing.T) {
	// θ = 1, L = 4, T = 4: an IF neuron from θ/2 reproduces QCFS exactly for
	// constant input in [0, θ], so only clipping and quantisation remain.
	d := simulateIF([]float32{-0.5, 0.1, 0.375, 0.625, 1.5}, 1, 4, 4)
	require.Equal(t, []float32{0, 0, 0.5, 0.75, 1}, d.Rate)
	s, err := SplitError(d)
	require.NoError(t, err)
	// ReLU(z): 0, .1, .375, .625, 1.5; clip: 0, .1, .375, .625, 1; QCFS: 0, 0, .5, .75, 1.
	assert.InDelta(t, 0.5/5, s.Clipping.MeanSigned, 1e-7)
	assert.InDelta(t, (0.1-0.125-0.125)/5, s.Quantisation.MeanSigned, 1e-7)
	assert.InDelta(t, (0.1+0.125+0.125)/5, s.Quantisation.MeanAbs, 1e-7)
	assert.Equal(t, ErrorPart{}, s.Residual)
	assert.Equal(t, s.Total.MeanSigned, s.Clipping.MeanSigned+s.Quantisation.MeanSigned+s.Residual.MeanSigned)
	assert.Equal(t, 5, s.N)
}

func TestSplitErrorPartsSumToTotal(t *testing.T) {
	// Dyadic values: every difference is exact, so the identity is exact.
	rng := rand.New(rand.NewPCG(5, 6))
	d := LayerData{Theta: 2, Levels: 8, T: 16}
	for range 4096 {
		d.Z = append(d.Z, float32(rng.IntN(64)-16)/16)
		d.Rate = append(d.Rate, float32(rng.IntN(17))/8)
	}
	s, err := SplitError(d)
	require.NoError(t, err)
	assert.Equal(t, s.Total.MeanSigned, s.Clipping.MeanSigned+s.Quantisation.MeanSigned+s.Residual.MeanSigned)
	assert.NotZero(t, s.Clipping.MeanSigned)
	assert.NotZero(t, s.Quantisation.MeanSigned)
	assert.NotZero(t, s.Residual.MeanSigned)

	// Arbitrary values from a real simulation: equal to float64 rounding.
	z := make([]float32, 20000)
	for i := range z {
		z[i] = float32(rng.NormFloat64()*0.7 + 0.3)
	}
	r := simulateIF(z, 1.37, 4, 7)
	s, err = SplitError(r)
	require.NoError(t, err)
	sum := s.Clipping.MeanSigned + s.Quantisation.MeanSigned + s.Residual.MeanSigned
	assert.InDelta(t, s.Total.MeanSigned, sum, 1e-14)
	assert.Greater(t, s.Residual.MeanAbs, 0.0, "T ≠ L leaves a residual error")
	assert.GreaterOrEqual(t, s.Clipping.MeanAbs+s.Quantisation.MeanAbs+s.Residual.MeanAbs, s.Total.MeanAbs-1e-12,
		"triangle inequality")

	_, err = SplitError(LayerData{Name: "x", Theta: 1, Levels: 0, Z: []float32{1}, Rate: []float32{1}})
	assert.EqualError(t, err, "analysis: layer 0 (x): quantisation levels L must be ≥ 1, got 0")
	_, err = SplitError(LayerData{Theta: 1, Levels: 2, Z: []float32{1, 2}, Rate: []float32{1}})
	assert.EqualError(t, err, "analysis: layer 0: Rate has 1 values but Z has 2")
}

func TestResidualMembraneConsistentWithRate(t *testing.T) {
	// v(T) = v(0) + T·z − θ·spikes: the recorded quantities must agree.
	z := []float32{-0.2, 0.05, 0.33, 0.61, 0.9, 1.4}
	d := simulateIF(z, 1, 4, 9)
	for i := range z {
		want := 0.5 + 9*float64(z[i]) - float64(d.SpikeCount[i])
		assert.InDelta(t, want, float64(d.Residual[i]), 1e-5, "neuron %d", i)
	}
	s, err := Residual(d, BinSpec{})
	require.NoError(t, err)
	// z < 0 drains below 0 and z > θ overcharges above θ: 2 of 6 outside.
	assert.InDelta(t, 1.0/6, s.BelowZero, 1e-12)
	assert.InDelta(t, 1.0/6, s.AtOrAboveTheta, 1e-12)
}

func TestPropagation(t *testing.T) {
	layers := []LayerData{
		{Index: 0, Name: "a0", ANN: []float32{1, 1}, ANNOnSNNInput: []float32{1, 1}, Rate: []float32{1, 0.5}},
		{Index: 1, Name: "a1", ANN: []float32{2, 0}, ANNOnSNNInput: []float32{1, 0.5}, Rate: []float32{1, 1}},
	}
	rows, err := Propagation(layers)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, 0.25, rows[0].WithANNInput.Mean)
	assert.Equal(t, 0.25, rows[0].WithANNInput.MeanAbs)
	assert.Equal(t, 0.25, rows[0].WithANNInput.Std)
	assert.Equal(t, -0.25, rows[1].WithSNNInput.Mean) // 0 and −0.5
	assert.Equal(t, 0.0, rows[1].WithANNInput.Mean)   // 1 and −1
	assert.Equal(t, 1.0, rows[1].WithANNInput.MeanAbs)
	assert.Equal(t, 1.0, rows[1].WithANNInput.Std)
	assert.Equal(t, "a1", rows[1].Name)

	_, err = Propagation([]LayerData{{Index: 3, ANN: []float32{1}, Rate: []float32{1}}})
	assert.EqualError(t, err, "analysis: layer 3: ANNOnSNNInput is empty")
}

func TestFiring(t *testing.T) {
	d := LayerData{Index: 0, Name: "act00", T: 4, SpikeCount: []float32{0, 0, 1, 2, 4, 4, 3, 2}}
	f, err := Firing(d, BinSpec{})
	require.NoError(t, err)
	assert.Equal(t, 16.0/8/4, f.MeanRate)
	assert.Equal(t, 0.25, f.Dead)
	assert.Equal(t, 0.25, f.Saturated)
	assert.Equal(t, 8, f.Hist.Total())
	assert.Equal(t, 2, f.Hist.Counts[0])               // rate 0
	assert.Equal(t, 2, f.Hist.Counts[f.Hist.Bins()-1]) // rate 1

	_, err = Firing(LayerData{T: 0, SpikeCount: []float32{1}}, BinSpec{})
	assert.EqualError(t, err, "analysis: layer 0: time steps T must be ≥ 1, got 0")
	_, err = Firing(LayerData{Name: "x", T: 2, SpikeCount: []float32{1, -1}}, BinSpec{})
	assert.EqualError(t, err, "analysis: layer 0 (x): SpikeCount[1] is -1, want ≥ 0")
	all, err := Firings([]LayerData{d}, BinSpec{Bins: 4})
	require.NoError(t, err)
	assert.Equal(t, []int{2, 1, 2, 3}, all[0].Hist.Counts) // rates 0,0 | .25 | .5,.5 | .75,1,1
}
