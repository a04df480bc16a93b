// Package neuron holds spiking neuron dynamics used by the converted SNN.
//
// A neuron model is stateless code: the simulator owns the membrane potentials
// and hands them to Step once per time step. Models are chosen by name
// (see ByName), so a user can swap the neuron of a conversion without touching
// the network or the conversion strategy.
package neuron

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/nqsnn/nqsnn/snnlib/registry"
)

// State is a layer's neuron state: one tensor per state variable, each shaped
// like the layer's input current. State[0] is the membrane potential (what
// analysis reads as the residual membrane); models with more state (adaptive
// thresholds, gates, counters) append theirs after it.
type State []*Node

// Membrane returns the membrane potential, State[0].
func (s State) Membrane() *Node { return s[0] }

// Model is a spiking neuron's dynamics.
type Model interface {
	// Name is the registry name of the model.
	Name() string
	// Init returns the state at t = 0 for a layer whose input current has the
	// shape of like, given the threshold θ (a scalar node).
	Init(like, theta *Node) State
	// Step integrates input current z into state s and fires. It returns the
	// output passed to the next layer (spikes scaled by θ, so that the firing
	// rate times θ estimates the ANN activation), the number of spikes each
	// neuron emitted (what energy estimates count; not always output/θ, e.g.
	// for burst or signed spikes) and the next state.
	Step(s State, z, theta *Node) (out, spikes *Node, next State)
}

// IF is the integrate-and-fire neuron of the paper: membrane starting at
// InitFraction·θ (0.5 by default), one spike of value θ when v ≥ θ, reset by
// subtraction (v ← v − θ), so charge above threshold is kept, not lost.
type IF struct {
	// InitFraction sets v(0) = InitFraction·θ. 0.5 makes the IF neuron equal to
	// QCFS at T = L (the rounding "shift" of clip-floor-shift).
	InitFraction float64
}

// Name implements Model.
func (m IF) Name() string { return "if" }

// Init implements Model.
func (m IF) Init(like, theta *Node) State {
	return State{MulScalar(BroadcastToShape(theta, like.Shape()), m.InitFraction)}
}

// Step implements Model.
func (m IF) Step(s State, z, theta *Node) (out, spikes *Node, next State) {
	v := Add(s.Membrane(), z)
	spikes = ConvertDType(GreaterOrEqual(v, BroadcastToShape(theta, v.Shape())), v.DType())
	out = Mul(spikes, theta)
	return out, spikes, State{Sub(v, out)}
}

// IFResetToZero is the integrate-and-fire neuron with reset to zero: the charge
// above threshold is discarded at each spike. It is the classic baseline whose
// information loss motivated reset by subtraction.
type IFResetToZero struct{ IF }

// Name implements Model.
func (m IFResetToZero) Name() string { return "if-reset-zero" }

// Step implements Model.
func (m IFResetToZero) Step(s State, z, theta *Node) (out, spikes *Node, next State) {
	v := Add(s.Membrane(), z)
	spikes = ConvertDType(GreaterOrEqual(v, BroadcastToShape(theta, v.Shape())), v.DType())
	out = Mul(spikes, theta)
	return out, spikes, State{Mul(v, OneMinus(spikes))}
}

// Registry holds the neuron models by name; register a new one from an init
// function so that `nqsnn run -neuron` and notebooks can pick it.
var Registry = registry.New[func() Model]("neuron model")

func init() {
	Registry.Register("if", func() Model { return IF{InitFraction: 0.5} })
	Registry.Register("if-reset-zero", func() Model { return IFResetToZero{IF{InitFraction: 0.5}} })
}

// Register adds a neuron model under name; it replaces an existing entry.
func Register(name string, factory func() Model) { Registry.Register(name, factory) }

// Names lists the registered neuron models, sorted.
func Names() []string { return Registry.Names() }

// ByName returns the neuron model registered under name.
func ByName(name string) (Model, error) {
	f, err := Registry.Lookup(name)
	if err != nil {
		return nil, err
	}
	return f(), nil
}

// Trace is the evolution of one scalar neuron over time.
type Trace struct {
	Membrane []float64 // v(t) after reset, t = 1..T
	Output   []float64 // output at t (θ when it spiked, else 0)
}

// SimulateIF runs one reset-by-subtraction IF neuron in plain Go on the input
// currents z (one per step), starting at v0. It is the reference the graph
// version is tested against, and what tutorials step through by hand.
func SimulateIF(z []float64, theta, v0 float64) Trace {
	tr := Trace{Membrane: make([]float64, len(z)), Output: make([]float64, len(z))}
	v := v0
	for t, zt := range z {
		v += zt
		if v >= theta {
			tr.Output[t] = theta
			v -= theta
		}
		tr.Membrane[t] = v
	}
	return tr
}
