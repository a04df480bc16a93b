package analysis_test

import (
	"fmt"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
)

// A layer simulated for T = 4 steps with θ = 1 and L = 4: the error split
// shows how much of the ANN−SNN difference each mechanism causes.
func ExampleSplitError() {
	d := analysis.LayerData{
		Name: "act00", Theta: 1, Levels: 4, T: 4,
		Z:    []float32{-0.5, 0.1, 0.375, 1.5},
		Rate: []float32{0, 0.25, 0.5, 0.75},
	}
	s, err := analysis.SplitError(d)
	if err != nil {
		panic(err)
	}
	fmt.Printf("total %+.4f = clipping %+.4f + quantisation %+.4f + residual %+.4f\n",
		s.Total.MeanSigned, s.Clipping.MeanSigned, s.Quantisation.MeanSigned, s.Residual.MeanSigned)
	// Output: total +0.1188 = clipping +0.1250 + quantisation -0.0062 + residual +0.0000
}

// Residual membranes outside [0, θ) are the error NQ models as noise.
func ExampleResidual() {
	d := analysis.LayerData{Name: "act01", Theta: 2, T: 8,
		Residual: []float32{-0.5, 0.3, 1.2, 2.4}}
	s, err := analysis.Residual(d, analysis.BinSpec{Bins: 3, Lo: -1, Hi: 2})
	if err != nil {
		panic(err)
	}
	fmt.Printf("below 0: %.2f, at/above θ: %.2f, v/θ bins %v\n", s.BelowZero, s.AtOrAboveTheta, s.Hist.Counts)
	// Output: below 0: 0.25, at/above θ: 0.25, v/θ bins [1 2 1]
}

// Counting synaptic operations and energy for a two-layer network whose first
// layer receives the analog image. In so small a network the analog layer,
// paying T·MACs, dominates and the SNN costs more than the ANN.
func ExampleLatencyEnergyTable() {
	conv, err := analysis.ConvSame(8, 8, 3, 4, 3, 1).Synapse("conv0", -1)
	if err != nil {
		panic(err)
	}
	syn := []analysis.Synapse{conv, analysis.Dense("fc1", 0, 8*8*4, 10)}
	var points []analysis.LatencyPoint
	for _, p := range []struct {
		T      int
		acc    float64
		spikes float64 // spikes per example of site 0 over the window
	}{{2, 0.61, 40}, {8, 0.92, 150}} {
		ops, err := analysis.CountOpsFromTotals(syn, []float64{p.spikes}, analysis.OpsOptions{T: p.T})
		if err != nil {
			panic(err)
		}
		points = append(points, analysis.LatencyPoint{T: p.T, Accuracy: p.acc, Ops: ops})
	}
	table, err := analysis.LatencyEnergyTable(points, analysis.DefaultEnergyModel())
	if err != nil {
		panic(err)
	}
	for _, r := range table {
		fmt.Printf("T=%d acc=%.2f ACs=%.0f MACs=%.0f SNN/ANN energy=%.2f\n", r.T, r.Accuracy, r.ACs, r.MACs, r.Ratio)
	}
	// Output:
	// T=2 acc=0.61 ACs=400 MACs=13824 SNN/ANN energy=1.47
	// T=8 acc=0.92 ACs=1500 MACs=55296 SNN/ANN energy=5.87
}
