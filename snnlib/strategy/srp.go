package strategy

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"

	"github.com/nqsnn/nqsnn/snnlib/neuron"
)

// TauParam is SRP's warm-up length τ.
const TauParam = "tau"

// SRPMembraneFloor is the membrane (in units of θ) above which a neuron
// stays on after SRP's warm-up, as in the authors' code (v > 1e-3).
const SRPMembraneFloor = 1e-3

func init() {
	Register("srp", Spec{New: func(c Config) Strategy { return SRP{QCFS{Config: c}} },
		Usage: "QCFS ANN; the SNN first runs τ warm-up steps, then a neuron whose residual membrane is not positive stays silent " +
			"(Hao et al., AAAI 2023: reducing conversion error through residual membrane potential)",
		Params: []Param{{Name: TauParam, Default: 4, Integer: true, Min: 0, Max: 1 << 10,
			Usage: "warm-up steps before the scored window (part of the latency, not of T)"}}})
}

// SRP is Hao et al.'s residual-membrane-potential conversion (AAAI 2023),
// on a QCFS-trained ANN. The SNN first runs τ steps as usual; a neuron whose
// membrane then is at most 1e-3·θ fired more than its input warrants (its
// residual potential says so) and is muted for the scored window: it still
// integrates and resets, but emits nothing. Every membrane restarts at its
// initial value (θ/2) and the T scored steps follow. τ = 0 is plain QCFS.
type SRP struct{ QCFS }

// Name implements Strategy.
func (s SRP) Name() string { return "srp" }

// Tau is the warm-up length τ.
func (s SRP) Tau() int { return int(s.Param("srp", TauParam)) }

// Simulation implements Strategy.
func (s SRP) Simulation(base neuron.Model, _ int) Simulation {
	tau := s.Tau()
	if tau == 0 {
		return Simulation{Neuron: base}
	}
	return Simulation{
		Neuron:  gated{base},
		Warmup:  []Phase{{Steps: tau}},
		Latency: tau,
		Start: func(_ int, st neuron.State, theta *Node) neuron.State {
			v := st.Membrane()
			on := ConvertDType(GreaterThan(v, BroadcastToShape(MulScalar(theta, SRPMembraneFloor), v.Shape())), v.DType())
			return append(base.Init(v, theta), on)
		},
	}
}

// gated is a neuron whose emitted spikes are multiplied by a per-neuron gate
// kept as the last state tensor (1 until SRP's warm-up ends).
type gated struct{ base neuron.Model }

func (m gated) Name() string { return m.base.Name() + "+gate" }

func (m gated) Init(like, theta *Node) neuron.State {
	return append(m.base.Init(like, theta), OnesLike(like))
}

func (m gated) Step(s neuron.State, z, theta *Node) (out, spikes *Node, next neuron.State) {
	n := len(s) - 1
	gate := s[n]
	out, spikes, next = m.base.Step(s[:n:n], z, theta)
	return Mul(out, gate), Mul(spikes, gate), append(next, gate)
}
