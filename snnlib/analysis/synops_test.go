package analysis

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twoLayerDense is analog input (3) → fc0 (2 IF neurons, site 0) → fc1 (4 outputs).
func twoLayerDense() []Synapse {
	return []Synapse{Dense("fc0", -1, 3, 2), Dense("fc1", 0, 2, 4)}
}

func TestCountOpsTwoLayerDenseByHand(t *testing.T) {
	// Batch of 2: site 0 spikes (3, 1) and (0, 2) over T = 4 steps.
	spikes := [][]float32{{3, 1, 0, 2}}
	ops, err := CountOps(twoLayerDense(), spikes, 2, OpsOptions{T: 4})
	require.NoError(t, err)
	require.Len(t, ops, 2)
	// fc0 gets the analog input at every step: 3·2 MACs × 4 steps.
	assert.Equal(t, LayerOps{Name: "fc0", Input: -1, MACs: 24, ANNMACs: 6}, ops[0])
	// fc1: 6 spikes / 2 examples × fan-out 4 = 12 ACs per example.
	assert.Equal(t, LayerOps{Name: "fc1", Input: 0, ACs: 12, ANNMACs: 8}, ops[1])
	assert.Equal(t, LayerOps{Name: "total", Input: -1, ACs: 12, MACs: 24, ANNMACs: 14}, SumOps(ops))

	once, err := CountOps(twoLayerDense(), spikes, 2, OpsOptions{T: 4, AnalogInputOnce: true})
	require.NoError(t, err)
	assert.Equal(t, 6.0, once[0].MACs)

	// Totals give the same answer for dense layers (uniform fan-out).
	tot, err := CountOpsFromTotals(twoLayerDense(), []float64{3}, OpsOptions{T: 4})
	require.NoError(t, err)
	assert.Equal(t, ops, tot)

	e := DefaultEnergyModel()
	assert.InDelta(t, 12*0.9+24*4.6, e.SNN(ops), 1e-12)
	assert.InDelta(t, 14*4.6, e.ANN(ops), 1e-12)
}

func TestCountOpsConvExactFanOut(t *testing.T) {
	// Site 0 is 4×4×1; conv1 is 3×3, stride 1, SAME, 2 output channels.
	conv := ConvSame(4, 4, 1, 2, 3, 1)
	syn1, err := conv.Synapse("conv1", 0)
	require.NoError(t, err)
	syn := []Synapse{{Name: "conv0", Input: -1, InSize: 16 * 3, MACs: 100}, syn1}
	spikes := make([]float32, 16)
	spikes[0] = 1     // corner (0,0): feeds 2×2 outputs × 2 channels
	spikes[1*4+1] = 1 // interior (1,1): feeds 3×3 × 2
	spikes[0*4+2] = 2 // edge (0,2): 2×3 × 2, spiked twice
	ops, err := CountOps(syn, [][]float32{spikes}, 1, OpsOptions{T: 1})
	require.NoError(t, err)
	assert.Equal(t, 8.0+18+2*12, ops[1].ACs)
	assert.Equal(t, 100.0, ops[0].MACs)

	// The mean fan-out (MACs/InSize = 18) ignores borders and overestimates.
	tot, err := CountOpsFromTotals(syn, []float64{4}, OpsOptions{T: 1})
	require.NoError(t, err)
	assert.Equal(t, 72.0, tot[1].ACs)
}

// bruteFanOut counts, for every input position, the (output position, kernel
// tap) pairs that read it, by walking every output and tap.
func bruteFanOut(c Conv2D) []int {
	f := make([]int, c.InH*c.InW)
	for oh := range c.OutH() {
		for ow := range c.OutW() {
			for kh := range c.KernelH {
				for kw := range c.KernelW {
					h, w := oh*c.StrideH-c.PadTop+kh, ow*c.StrideW-c.PadLeft+kw
					if h >= 0 && h < c.InH && w >= 0 && w < c.InW {
						f[h*c.InW+w] += c.OutC
					}
				}
			}
		}
	}
	return f
}

func TestConvFanOutMatchesBruteForce(t *testing.T) {
	cases := []Conv2D{
		ConvSame(4, 4, 1, 2, 3, 1),
		ConvSame(32, 32, 3, 8, 3, 1),
		ConvSame(7, 9, 2, 3, 3, 2),
		ConvSame(8, 8, 1, 1, 2, 2),
		ConvSame(5, 5, 1, 4, 1, 1),
		{InH: 7, InW: 6, InC: 1, OutC: 2, KernelH: 2, KernelW: 3, StrideH: 3, StrideW: 2, PadTop: 1, PadBottom: 0, PadLeft: 0, PadRight: 2},
		{InH: 5, InW: 5, InC: 1, OutC: 1, KernelH: 5, KernelW: 5, StrideH: 1, StrideW: 1},
	}
	for i, c := range cases {
		got, err := c.FanOutPerPosition()
		require.NoError(t, err, "case %d", i)
		assert.Equal(t, bruteFanOut(c), got, "case %d: %+v", i, c)
	}
	// Stride 3 > kernel 2 skips a row: those inputs feed nothing.
	f, err := cases[5].FanOutPerPosition()
	require.NoError(t, err)
	assert.Contains(t, f, 0)

	// Interior value is the k²·OutC/s² approximation; corners see less.
	c := ConvSame(32, 32, 3, 8, 3, 1)
	f, err = c.FanOutPerPosition()
	require.NoError(t, err)
	assert.Equal(t, 9*8, f[5*32+5])
	assert.Equal(t, 4*8, f[0])
	assert.Equal(t, 32, c.OutH())
	s, err := c.Synapse("c", 0)
	require.NoError(t, err)
	assert.Equal(t, 32*32*3, s.InSize)
	assert.Equal(t, float64(32*32*8*9*3), s.MACs)
	assert.Equal(t, s.FanOut[0], s.FanOut[2], "channels of a position share its fan-out")
	// Σ fan-out over inputs = MACs minus taps on padding.
	padTaps := 4*31*3*8*3 + 4*3*8*3 - 4*8*3 // border rows/cols minus double-counted corners, by hand
	assert.Equal(t, s.MACs-float64(padTaps), sum(s.FanOut))
}

func TestConvSameOutputSizeAndErrors(t *testing.T) {
	for _, tc := range []struct{ in, k, s, out int }{{32, 3, 1, 32}, {32, 3, 2, 16}, {7, 3, 2, 4}, {8, 2, 2, 4}} {
		c := ConvSame(tc.in, tc.in, 1, 1, tc.k, tc.s)
		assert.Equal(t, tc.out, c.OutH(), "%+v", tc)
		assert.Equal(t, tc.out, c.OutW(), "%+v", tc)
	}
	_, err := ConvSame(4, 4, 1, 2, 3, 0).FanOutPerPosition()
	assert.EqualError(t, err, "analysis: conv: StrideH is 0, want > 0")
	_, err = Conv2D{InH: 2, InW: 2, InC: 1, OutC: 1, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1}.Synapse("c9", 0)
	assert.EqualError(t, err, "analysis: c9: conv: kernel 3x3 larger than padded input 2x2")
}

func TestCountOpsErrors(t *testing.T) {
	syn := twoLayerDense()
	_, err := CountOps(syn, [][]float32{{1, 1}}, 1, OpsOptions{})
	assert.EqualError(t, err, "analysis: operation count needs T ≥ 1, got 0")
	_, err = CountOps(syn, nil, 1, OpsOptions{T: 2})
	assert.EqualError(t, err, "analysis: synapse 1 (fc1): input site 0 has no spike counts (0 sites given)")
	_, err = CountOps(syn, [][]float32{{1, 1, 1}}, 2, OpsOptions{T: 2})
	assert.EqualError(t, err, "analysis: synapse 1 (fc1): site 0 has 3 spike counts, not a multiple of batch 2")
	_, err = CountOps(syn, [][]float32{{1, float32(math.NaN())}}, 1, OpsOptions{T: 2})
	assert.EqualError(t, err, "analysis: synapse 1 (fc1): site 0 spike count [1] is NaN, want finite and ≥ 0")
	bad := []Synapse{{Name: "x", Input: 0, InSize: 2, MACs: 4, FanOut: []float64{1}}}
	_, err = CountOps(bad, [][]float32{{1, 1}}, 1, OpsOptions{T: 1})
	assert.EqualError(t, err, "analysis: synapse 0 (x): FanOut has 1 entries, want InSize = 2")
	_, err = CountOpsFromTotals(syn, []float64{-1}, OpsOptions{T: 1})
	assert.EqualError(t, err, "analysis: synapse 1 (fc1): site 0 spike total is -1, want finite and ≥ 0")
}

func TestLatencyEnergyTable(t *testing.T) {
	var points []LatencyPoint
	for _, tc := range []struct {
		T     int
		acc   float64
		total float64
	}{{1, 0.5, 1}, {4, 0.9, 3}} {
		ops, err := CountOpsFromTotals(twoLayerDense(), []float64{tc.total}, OpsOptions{T: tc.T})
		require.NoError(t, err)
		points = append(points, LatencyPoint{T: tc.T, Accuracy: tc.acc, Ops: ops})
	}
	tab, err := LatencyEnergyTable(points, EnergyModel{AC: 1, MAC: 2})
	require.NoError(t, err)
	require.Len(t, tab, 2)
	// T=1: ACs 4, MACs 6 → 4 + 12 = 16 pJ; ANN 14 MACs → 28 pJ.
	assert.Equal(t, TableRow{T: 1, Accuracy: 0.5, ACs: 4, MACs: 6, SNNEnergy: 16, ANNEnergy: 28, Ratio: 16.0 / 28}, tab[0])
	assert.Equal(t, 12.0+48, tab[1].SNNEnergy)
	md := tab.Markdown()
	assert.Equal(t, 4, strings.Count(md, "\n"))
	assert.Contains(t, md, "| 4 | 90.00 |")

	_, err = LatencyEnergyTable([]LatencyPoint{{T: 2, Accuracy: 90}}, DefaultEnergyModel())
	assert.EqualError(t, err, "analysis: latency point 0 (T=2): accuracy 90, want a fraction in [0, 1]")
	_, err = LatencyEnergyTable(nil, EnergyModel{AC: -1})
	assert.EqualError(t, err, "analysis: energy model needs finite non-negative energies, got AC -1 pJ, MAC 0 pJ")
	empty, err := LatencyEnergyTable([]LatencyPoint{{T: 1, Accuracy: 1}}, DefaultEnergyModel())
	require.NoError(t, err)
	assert.True(t, math.IsNaN(empty[0].Ratio))
}
