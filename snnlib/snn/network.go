// Package snn converts a trained network to integrate-and-fire neurons and
// simulates it, step by step, on GoMLX.
//
// Conversion is done in the graph: the network is rebuilt with batch norm
// folded into the convolutions and every activation site replaced by the
// strategy's threshold θ and a spiking neuron. Input is the analog image at
// every step (direct encoding); the last layer stays analog and its outputs
// are summed, so the prediction at step t is the argmax of the summed output.
//
// One compiled step graph is run T times, carrying membrane potentials as
// device tensors, and a single call returns the accuracy at every t = 1..T
// together with per-layer spike counts.
package snn

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/model"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// ModelScope is the context scope the network's variables live in.
const ModelScope = "model"

// Network is everything needed to build the ANN and its converted SNN from
// the same variables.
type Network struct {
	Model      model.Fn
	NumClasses int
	Strategy   strategy.Strategy
	Neuron     neuron.Model
	Dropout    float64 // dropout of dense classifiers while training (VGG)
	// Init is the weight initialisation of variables not yet created
	// ("": model.DefaultInit).
	Init model.Init
}

// Validate reports a missing piece of the network with a clear message.
func (nw Network) Validate() error {
	switch {
	case nw.Model == nil:
		return fmt.Errorf("snn: network has no model")
	case nw.Strategy == nil:
		return fmt.Errorf("snn: network has no conversion strategy")
	case nw.Neuron == nil:
		return fmt.Errorf("snn: network has no neuron model")
	case nw.NumClasses < 2:
		return fmt.Errorf("snn: network needs at least 2 classes, got %d", nw.NumClasses)
	}
	return nil
}

// ANN builds the network's ANN forward pass (logits) under ctx, which should be
// the model scope. It is a train.ModelFn body: training mode comes from ctx.
func (nw Network) ANN(ctx *context.Context, images *Node) (*Node, *model.Net) {
	net := model.NewNet(ctx, func(ctx *context.Context, _ int, x *Node) *Node {
		return nw.Strategy.Activation(ctx, x)
	}).Dropout(nw.Dropout).Init(nw.Init)
	return nw.Model(net, images, nw.NumClasses), net
}

// ANNWithSites builds the ANN forward pass with fn called on every site's
// activation (after the strategy's activation), e.g. to export activations.
func (nw Network) ANNWithSites(ctx *context.Context, images *Node, fn func(ctx *context.Context, site int, pre, act *Node) *Node) (*Node, *model.Net) {
	net := model.NewNet(ctx, func(ctx *context.Context, i int, x *Node) *Node {
		return fn(ctx, i, x, nw.Strategy.Activation(ctx, x))
	}).Dropout(nw.Dropout).Init(nw.Init)
	return nw.Model(net, images, nw.NumClasses), net
}

// Describe builds the network once on a small batch and returns its sites and
// synapses (shapes, fan-outs, MACs), e.g. for reports and energy estimates.
func (nw Network) Describe(backend backends.Backend, ctx *context.Context, exampleShape []int) (sites []model.Site, syn []model.Synapse, err error) {
	if err := nw.Validate(); err != nil {
		return nil, nil, err
	}
	g := NewGraph(backend, "describe")
	defer g.Finalize()
	err = TryCatchError(func() {
		x := Parameter(g, "x", imagesShape(1, exampleShape))
		_, net := nw.ANN(ctx.In(ModelScope).Reuse().Checked(false), x)
		sites, syn = net.Sites, net.Synapses
	})
	return sites, syn, err
}

// NeuronsPerExample is the number of spiking neurons (activation-site
// elements) one example of exampleShape passes through: what the
// simulation's per-neuron state scales with.
func (nw Network) NeuronsPerExample(backend backends.Backend, ctx *context.Context, exampleShape []int) (int, error) {
	sites, _, err := nw.Describe(backend, ctx, exampleShape)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range sites {
		size := 1
		for _, d := range s.Shape {
			size *= d
		}
		n += size
	}
	return n, nil
}
