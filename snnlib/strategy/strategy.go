// Package strategy names the ways an ANN is prepared for conversion and how
// its SNN is run.
//
// A Strategy owns its whole lifecycle through hooks that training (package
// fit) and simulation (package snn) call without knowing which strategy runs:
// the ANN activation at every site, the threshold θ of the spiking neuron that
// replaces it, the calibration after every epoch (NQ's σ), the calibration
// before conversion (ReLU's threshold balancing) and the simulation itself
// (the neuron it runs, warm-up phases before the scored window: SRP, COS).
// A new strategy is one file: a type with these hooks (embed [Base] for the
// ones it does not need) and a [Register] call in its init function.
package strategy

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/nq"
	"github.com/nqsnn/nqsnn/snnlib/registry"
)

// Variable names used in each activation site's scope.
const (
	LambdaVar    = "lambda"    // learnable clip λ (nq, qcfs, srp, cos); also the IF threshold
	SigmaVar     = "sigma"     // noise σ (nq), set by calibration, not learned
	ThresholdVar = "threshold" // IF threshold of data-balanced strategies (relu)
)

// Strategy is a conversion strategy.
type Strategy interface {
	// Name is the registry name.
	Name() string
	// Activation is the ANN activation at a site; ctx is the site's scope.
	// ctx.IsTraining(x.Graph()) tells training from evaluation.
	Activation(ctx *context.Context, x *Node) *Node
	// Threshold is the firing threshold θ of the site's spiking neuron (scalar).
	Threshold(ctx *context.Context, g *Graph) *Node
	// ThresholdVar is the name of the site variable that holds θ.
	ThresholdVar() string
	// AfterEpoch runs after every training epoch (and before the first epoch
	// of a warm start), before the epoch's SNN validation; NQ measures σ here.
	AfterEpoch(c Calibrator) (Calibration, error)
	// BeforeConversion sets what the SNN needs and training does not learn,
	// e.g. thresholds balanced on data (ReLU); it runs before every SNN
	// validation of a freshly trained epoch.
	BeforeConversion(c Calibrator) error
	// Simulation is how the SNN runs: the neuron at every site (base, the
	// network's neuron, or a wrapper around it with more state) and the
	// phases before the scored window. sites is the number of activation sites.
	Simulation(base neuron.Model, sites int) Simulation
}

// Calibrator is what a strategy's calibration hooks may ask of the SNN of the
// network being trained; package snn implements it on the run's data.
type Calibrator interface {
	// Gap simulates T steps and returns, per site, the mean and standard
	// deviation of the gap between the noise-free ANN activation and the
	// SNN's firing rate times θ on the calibration data (the residual error).
	Gap(T int) (mean, std []float64, err error)
	// ActivationPercentile returns, per site, the p-th percentile (0..100) of
	// the ANN's activations on the validation data.
	ActivationPercentile(p float64) ([]float64, error)
	// SetSiteScalars writes values[i] into the scalar variable name of site i.
	SetSiteScalars(name string, values []float64) error
}

// Calibration is what an AfterEpoch hook measured, for the training log.
type Calibration struct {
	Mu, Sigma []float64 // per site; NQ's gap mean and the σ it trains with next
}

// Simulation is a strategy's way of running its SNN on one batch: the
// Warmup phases run first (their outputs are not scored), then Start maps
// every site's state and the scored window of T steps begins, with the
// summed outputs (the prediction) starting from zero.
type Simulation struct {
	// Neuron runs at every site.
	Neuron neuron.Model
	// Warmup lists the phases run before the scored window.
	Warmup []Phase
	// Start maps each site's state before the scored window (nil: keep it).
	Start StartFunc
	// Latency is the number of steps the method needs before its scored
	// window, as its authors count it (SRP's τ, COS's ρ); the warm-up may
	// simulate more steps than that (COS replays one warm-up per layer).
	Latency int
}

// StartFunc maps site's neuron state s before a phase; theta is the site's θ.
// It builds graph operations (it is compiled once per phase).
type StartFunc func(site int, s neuron.State, theta *Node) neuron.State

// Phase is a stretch of unscored simulation steps.
type Phase struct {
	Steps int
	// Start maps each site's state before the phase's first step (nil: keep it).
	Start StartFunc
	// Charged reports whether a site's spikes in this phase are part of the
	// method's cost (latency, energy); nil charges every site. A phase that
	// re-runs sites only to rebuild another site's input charges only that site.
	Charged func(site int) bool
}

// WarmupSteps is the number of steps run before the scored window.
func (s Simulation) WarmupSteps() int {
	n := 0
	for _, p := range s.Warmup {
		n += p.Steps
	}
	return n
}

// Base gives a strategy the hooks it does not need: no calibration and the
// plain simulation (the network's neuron, no warm-up).
type Base struct{}

// AfterEpoch implements Strategy: nothing to calibrate.
func (Base) AfterEpoch(Calibrator) (Calibration, error) { return Calibration{}, nil }

// BeforeConversion implements Strategy: nothing to calibrate.
func (Base) BeforeConversion(Calibrator) error { return nil }

// Simulation implements Strategy: the network's neuron, scored from t = 1.
func (Base) Simulation(base neuron.Model, _ int) Simulation { return Simulation{Neuron: base} }

// Config holds the settings shared by strategies.
type Config struct {
	Levels int     // quantisation levels L (nq, qcfs, srp, cos)
	Lambda float64 // initial clip λ (nq, qcfs, srp, cos)
	// NoiseT is the noise-induction window T_n: the SNN steps whose gap sets σ (nq).
	NoiseT int
	// EvalNoise keeps the NQ noise on when evaluating the ANN, as the reference
	// code's "ANN accuracy" does. Off by default: noise is a training device.
	EvalNoise bool
	// Noise is how nq draws ε (default nq.DefaultSampler).
	Noise nq.Sampler
	// Params are the strategy's own settings by name (see Spec.Params);
	// missing ones take their defaults.
	Params map[string]float64
}

// DefaultConfig is L = 4, λ₀ = 8, T_n = 4.
func DefaultConfig() Config {
	return Config{Levels: nq.DefaultLevels, Lambda: nq.DefaultLambda, NoiseT: 4, Noise: nq.DefaultSampler}
}

// Param is a numeric setting that belongs to one strategy (SRP's τ, COS's ρ,
// ReLU's percentile). Users set it with `nqsnn run -strategy-param name=value`;
// it is saved with the run's config and checkpoints.
type Param struct {
	Name    string
	Default float64
	Usage   string
	// Integer requires a whole number; Min and Max bound the value (Max ≤ Min:
	// no upper bound).
	Integer  bool
	Min, Max float64
}

func (p Param) check(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s must be a finite number, got %g", p.Name, v)
	case p.Max > p.Min && (v < p.Min || v > p.Max):
		return fmt.Errorf("%s must be in [%g, %g], got %g", p.Name, p.Min, p.Max, v)
	case p.Max <= p.Min && v < p.Min:
		return fmt.Errorf("%s must be >= %g, got %g", p.Name, p.Min, v)
	case p.Integer && v != math.Trunc(v):
		return fmt.Errorf("%s must be a whole number, got %g", p.Name, v)
	}
	return nil
}

// Spec is a registered strategy: how to build it and what it can be told.
type Spec struct {
	New    func(Config) Strategy
	Usage  string // one line for help texts
	Params []Param
}

// Param returns the value of parameter name of strategy: the one set in
// c.Params, else its registered default (so that a strategy built as a
// struct literal, not by ByName, still gets its defaults).
func (c Config) Param(strategy, name string) float64 {
	if v, ok := c.Params[name]; ok {
		return v
	}
	spec, _ := Registry.Lookup(strategy)
	for _, p := range spec.Params {
		if p.Name == name {
			return p.Default
		}
	}
	return 0
}

// Registry holds the strategies by name.
var Registry = registry.New[Spec]("strategy")

// Register adds a strategy under name, replacing any existing one.
func Register(name string, spec Spec) { Registry.Register(name, spec) }

// Names lists the registered strategies, sorted.
func Names() []string { return Registry.Names() }

// ParamsOf returns the parameters of the strategy registered under name.
func ParamsOf(name string) ([]Param, error) {
	spec, err := Registry.Lookup(name)
	return spec.Params, err
}

// ByName builds the strategy registered under name. cfg.Params may only name
// the strategy's own parameters; the others take their defaults.
func ByName(name string, cfg Config) (Strategy, error) {
	spec, err := Registry.Lookup(name)
	if err != nil {
		return nil, err
	}
	if cfg.Levels < 1 {
		return nil, fmt.Errorf("strategy %q: quantisation levels L must be >= 1, got %d", name, cfg.Levels)
	}
	if cfg.Lambda <= 0 {
		return nil, fmt.Errorf("strategy %q: initial λ must be > 0, got %g", name, cfg.Lambda)
	}
	if cfg.NoiseT < 1 {
		return nil, fmt.Errorf("strategy %q: noise-induction T must be >= 1, got %d", name, cfg.NoiseT)
	}
	params := make(map[string]float64, len(spec.Params))
	for _, p := range spec.Params {
		params[p.Name] = p.Default
	}
	keys := make([]string, 0, len(cfg.Params))
	for k := range cfg.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i := slices.IndexFunc(spec.Params, func(p Param) bool { return p.Name == k })
		if i < 0 {
			return nil, fmt.Errorf("strategy %q has no parameter %q (%s)", name, k, describeParams(spec.Params))
		}
		if err := spec.Params[i].check(cfg.Params[k]); err != nil {
			return nil, fmt.Errorf("strategy %q: %w", name, err)
		}
		params[k] = cfg.Params[k]
	}
	cfg.Params = params
	return spec.New(cfg), nil
}

func describeParams(ps []Param) string {
	if len(ps) == 0 {
		return "it has none"
	}
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return "its parameters: " + strings.Join(names, ", ")
}

// Help describes every registered strategy and its parameters, one per
// line, for the command line's help.
func Help() string {
	var b strings.Builder
	for _, name := range Names() {
		spec, _ := Registry.Lookup(name)
		fmt.Fprintf(&b, "%s: %s", name, spec.Usage)
		for _, p := range spec.Params {
			fmt.Fprintf(&b, "; %s=%g: %s", p.Name, p.Default, p.Usage)
		}
		b.WriteString("\n")
	}
	return b.String()
}
