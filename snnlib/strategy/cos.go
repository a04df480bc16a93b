package strategy

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/nqsnn/nqsnn/snnlib/neuron"
)

// RhoParam is COS's warm-up length ρ.
const RhoParam = "rho"

func init() {
	Register("cos", Spec{New: func(c Config) Strategy { return COS{QCFS{Config: c}} },
		Usage: "QCFS ANN; layer by layer, ρ warm-up steps detect offset spikes and shift each neuron's initial membrane " +
			"(Hao et al., ICLR 2023: calibrating offset spikes)",
		Params: []Param{{Name: RhoParam, Default: 4, Integer: true, Min: 0, Max: 1 << 10,
			Usage: "warm-up steps per layer (part of the latency, not of T)"}}})
}

// COS is Hao et al.'s offset-spike calibration (ICLR 2023), on a QCFS-trained
// ANN. Layer by layer, in network order, the layer runs ρ steps from v = θ/2
// on the (already calibrated) output of the layers before it. A neuron that
// ends below 0 after firing at least once sent one spike too many: its
// initial membrane is lowered by max(1, a − 0.999)·θ, a being its lowest
// potential at a spike. One that ends at or above θ sent too few: it is
// raised by max(1, 1.001 − b)·θ, b being its highest potential without a
// spike. Then the whole scored window is re-run from step 1 with these
// initial membranes, on the same input (so the accuracy at t < ρ uses input
// the SNN has not seen yet at t, as in the authors' code).
//
// The authors run each layer's whole time line before the next layer; this
// simulation steps every layer at once, so it replays the network ρ steps
// per layer (only the layer being calibrated is charged for its spikes).
type COS struct{ QCFS }

// Name implements Strategy.
func (s COS) Name() string { return "cos" }

// Rho is the warm-up length ρ.
func (s COS) Rho() int { return int(s.Param("cos", RhoParam)) }

// State tensors the offset neuron keeps after its base neuron's state.
const (
	cosInit    = iota // initial membrane of the scored window
	cosCount          // spikes so far in the phase
	cosLowest         // lowest potential at which it spiked
	cosHighest        // highest potential at which it did not spike
	cosExtra
)

// cosFar stands for "no such step yet" in the lowest/highest trackers, in
// units of θ, as the authors' ±1000.
const cosFar = 1000

// Simulation implements Strategy.
func (s COS) Simulation(base neuron.Model, sites int) Simulation {
	rho := s.Rho()
	if rho == 0 {
		return Simulation{Neuron: base}
	}
	m := offset{base}
	sim := Simulation{Neuron: m, Latency: rho, Start: m.restart(sites - 1)}
	for k := range sites {
		p := Phase{Steps: rho, Charged: func(site int) bool { return site == k }}
		if k > 0 {
			p.Start = m.restart(k - 1)
		}
		sim.Warmup = append(sim.Warmup, p)
	}
	return sim
}

// offset is a neuron with a settable initial membrane that tracks what COS
// measures during a warm-up.
type offset struct{ base neuron.Model }

func (m offset) Name() string { return m.base.Name() + "+offset" }

func (m offset) Init(like, theta *Node) neuron.State {
	s := m.base.Init(like, theta)
	return append(s, m.fresh(s.Membrane(), theta)...)
}

// fresh is the tracking state at a phase start: the given initial membrane,
// no spikes, no extremes yet.
func (m offset) fresh(init, theta *Node) []*Node {
	far := BroadcastToShape(MulScalar(theta, cosFar), init.Shape())
	return []*Node{init, ZerosLike(init), far, Neg(far)}
}

func (m offset) Step(s neuron.State, z, theta *Node) (out, spikes *Node, next neuron.State) {
	n := len(s) - cosExtra
	own, track := s[:n:n], s[n:]
	u := Add(own.Membrane(), z) // the potential the neuron fires from
	out, spikes, next = m.base.Step(own, z, theta)
	fired := GreaterThan(spikes, ZerosLike(spikes))
	far := BroadcastToShape(MulScalar(theta, cosFar), u.Shape())
	lowest := Min(track[cosLowest], Where(fired, u, far))
	highest := Max(track[cosHighest], Where(fired, Neg(far), next.Membrane()))
	return out, spikes, append(next, track[cosInit], Add(track[cosCount], spikes), lowest, highest)
}

// restart returns the phase start that first sets site calibrated's initial
// membrane from its warm-up, as the authors' code does, then restarts every
// site from its initial membrane.
func (m offset) restart(calibrated int) StartFunc {
	return func(site int, s neuron.State, theta *Node) neuron.State {
		n := len(s) - cosExtra
		track := s[n:]
		init := track[cosInit]
		if site == calibrated {
			init = m.calibrate(s[:n].Membrane(), track, theta)
		}
		own := m.base.Init(init, theta)
		own[0] = init
		return append(own, m.fresh(init, theta)...)
	}
}

// calibrate is COS's rule, in units of θ: v < 0 after ≥ 1 spike lowers the
// initial membrane by max(1, lowest − 0.999); v ≥ 1 raises it by
// max(1, 1.001 − highest) (and wins over lowering).
func (m offset) calibrate(v *Node, track []*Node, theta *Node) *Node {
	th := BroadcastToShape(theta, v.Shape())
	vn, init := Div(v, th), Div(track[cosInit], th)
	one := OnesLike(vn)
	atLeastOne := func(x *Node) *Node { return Where(GreaterThan(x, one), x, one) }
	down := atLeastOne(AddScalar(Div(track[cosLowest], th), -0.999))
	up := atLeastOne(Sub(MulScalar(one, 1.001), Div(track[cosHighest], th)))
	tooMany := LogicalAnd(LessThan(vn, ZerosLike(vn)), GreaterThan(track[cosCount], MulScalar(one, 1e-3)))
	init = Where(tooMany, Sub(init, down), init)
	init = Where(GreaterOrEqual(vn, one), Add(init, up), init)
	return Mul(init, th)
}
