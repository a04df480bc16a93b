package snn_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/analysis"
	"github.com/nqsnn/nqsnn/snnlib/backend"
	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/snn"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// ProbeEach hands over one activation site at a time, in network order, so a
// deep network's diagnostics never hold every layer's data at once. Its
// slices are reused for the next site: keep statistics, or copy.
func ExampleSimulator_ProbeEach() {
	b, _, err := backend.New("")
	if err != nil {
		panic(err)
	}
	relu, err := strategy.ByName("relu", strategy.DefaultConfig())
	if err != nil {
		panic(err)
	}
	nw := snn.Network{Model: model.SmallCNN, NumClasses: 10, Strategy: relu, Neuron: neuron.IF{InitFraction: 0.5}}
	sim, err := snn.NewSimulator(b, context.New(), nw)
	if err != nil {
		panic(err)
	}
	const examples = 2
	pixels := make([]float32, examples*12*12)
	for i := range pixels {
		pixels[i] = 0.5
	}
	images := tensors.FromFlatDataAndDimensions(pixels, examples, 12, 12, 1)
	labels := tensors.FromFlatDataAndDimensions([]int32{3, 7}, examples, 1)
	err = sim.ProbeEach(images, labels, 4, 4, func(l analysis.LayerData) error {
		fmt.Printf("%s: %d neurons per example, T = %d, θ recorded: %v\n", l.Name, len(l.Z)/examples, l.T, l.Theta > 0)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// act00: 2304 neurons per example, T = 4, θ recorded: true
	// act01: 1152 neurons per example, T = 4, θ recorded: true
	// act02: 128 neurons per example, T = 4, θ recorded: true
}
