package strategy_test

import (
	"fmt"

	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/strategy"
)

// A strategy is built by name; its own parameters are set by name too and
// the rest keep their defaults. SRP's simulation runs τ warm-up steps before
// the scored window, which count in its latency.
func ExampleByName() {
	cfg := strategy.DefaultConfig()
	cfg.Params = map[string]float64{"tau": 2}
	srp, err := strategy.ByName("srp", cfg)
	if err != nil {
		panic(err)
	}
	sim := srp.Simulation(neuron.IF{InitFraction: 0.5}, 19)
	fmt.Println(srp.Name(), srp.ThresholdVar(), sim.Latency, sim.WarmupSteps())

	cos, _ := strategy.ByName("cos", strategy.DefaultConfig())
	sim = cos.Simulation(neuron.IF{InitFraction: 0.5}, 19)
	fmt.Println(cos.Name(), sim.Latency, sim.WarmupSteps(), "(ρ steps per layer, charged once per layer)")

	_, err = strategy.ByName("srp", strategy.Config{Levels: 4, Lambda: 8, NoiseT: 4, Params: map[string]float64{"rho": 2}})
	fmt.Println(err)
	// Output:
	// srp lambda 2 2
	// cos 4 76 (ρ steps per layer, charged once per layer)
	// strategy "srp" has no parameter "rho" (its parameters: tau)
}
