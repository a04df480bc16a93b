// Package strategy names the ways an ANN is prepared for conversion.
//
// A Strategy decides two things per activation site: the ANN activation used
// for training and evaluation, and the threshold θ of the spiking neuron that
// replaces it. Training, calibration, conversion and simulation code is shared;
// a new strategy (SRP, COS, ...) is a new type registered with [Register],
// without touching the others.
package strategy

import (
	"fmt"
	"sort"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"

	"github.com/nqsnn/nqsnn/snnlib/nq"
)

// Variable names used in each activation site's scope.
const (
	LambdaVar    = "lambda"    // learnable clip λ (nq, qcfs); also the IF threshold
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
	// CalibratesNoise reports whether σ is measured from the ANN/SNN gap after
	// every epoch (see snn.Calibrate).
	CalibratesNoise() bool
	// BalancePercentile returns the activation percentile thresholds are set
	// to before conversion (data-based threshold balancing), or 0 when the
	// threshold is learned.
	BalancePercentile() float64
}

// Config holds the settings shared by strategies.
type Config struct {
	Levels int     // quantisation levels L (nq, qcfs)
	Lambda float64 // initial clip λ (nq, qcfs)
	// EvalNoise keeps the NQ noise on when evaluating the ANN, as the reference
	// code's "ANN accuracy" does. Off by default: noise is a training device.
	EvalNoise bool
	// Noise is how nq draws ε (default nq.DefaultSampler).
	Noise nq.Sampler
	// Percentile is the threshold-balancing percentile for relu (default 99.9).
	Percentile float64
}

// DefaultConfig is L = 4, λ₀ = 8, 99.9th percentile balancing.
func DefaultConfig() Config {
	return Config{Levels: nq.DefaultLevels, Lambda: nq.DefaultLambda, Percentile: 99.9, Noise: nq.DefaultSampler}
}

var registry = map[string]func(Config) Strategy{
	"nq":   func(c Config) Strategy { return NQ{QCFS{c}} },
	"qcfs": func(c Config) Strategy { return QCFS{c} },
	"relu": func(c Config) Strategy { return ReLU{c} },
}

// Register adds a strategy factory under name, replacing any existing one.
func Register(name string, factory func(Config) Strategy) { registry[name] = factory }

// Names lists the registered strategies, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ByName builds the strategy registered under name.
func ByName(name string, cfg Config) (Strategy, error) {
	f, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown strategy %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	if cfg.Levels < 1 {
		return nil, fmt.Errorf("strategy %q: quantisation levels L must be >= 1, got %d", name, cfg.Levels)
	}
	if cfg.Lambda <= 0 {
		return nil, fmt.Errorf("strategy %q: initial λ must be > 0, got %g", name, cfg.Lambda)
	}
	return f(cfg), nil
}

// QCFS is Bu et al.'s quantisation clip-floor-shift activation (ICLR 2022):
// no noise, θ = λ.
type QCFS struct{ Config }

// Name implements Strategy.
func (s QCFS) Name() string { return "qcfs" }

// Lambda returns the site's learnable clip λ as a scalar node.
func (s QCFS) Lambda(ctx *context.Context, g *Graph) *Node {
	return ctx.WithInitializer(initializers.BroadcastTensorToShape(scalarTensor(s.Config.Lambda))).
		VariableWithShape(LambdaVar, scalarShape()).ValueGraph(g)
}

// Activation implements Strategy.
func (s QCFS) Activation(ctx *context.Context, x *Node) *Node {
	return nq.QCFS(x, ConvertDType(s.Lambda(ctx, x.Graph()), x.DType()), s.Levels)
}

// Threshold implements Strategy.
func (s QCFS) Threshold(ctx *context.Context, g *Graph) *Node { return s.Lambda(ctx, g) }

// CalibratesNoise implements Strategy.
func (s QCFS) CalibratesNoise() bool { return false }

// BalancePercentile implements Strategy.
func (s QCFS) BalancePercentile() float64 { return 0 }

// NQ is the paper's noisy quantised activation: QCFS minus σ·ε while training,
// with σ measured from the ANN/SNN gap after every epoch.
type NQ struct{ QCFS }

// Name implements Strategy.
func (s NQ) Name() string { return "nq" }

// Sigma returns the site's noise level σ (not trainable; 0 until calibrated).
func (s NQ) Sigma(ctx *context.Context, g *Graph) *Node {
	return ctx.WithInitializer(initializers.Zero).
		VariableWithShape(SigmaVar, scalarShape()).SetTrainable(false).ValueGraph(g)
}

// Activation implements Strategy.
func (s NQ) Activation(ctx *context.Context, x *Node) *Node {
	a := s.QCFS.Activation(ctx, x)
	g := x.Graph()
	sigma := s.Sigma(ctx, g)
	if ctx.IsTraining(g) || s.EvalNoise {
		a = nq.AddNoise(ctx, a, ConvertDType(sigma, a.DType()), s.Noise)
	}
	return a
}

// CalibratesNoise implements Strategy.
func (s NQ) CalibratesNoise() bool { return true }

// ReLU is the classic baseline: a ReLU ANN converted with data-based threshold
// balancing (θ = the Percentile-th percentile of the site's activations on
// validation data).
type ReLU struct{ Config }

// Name implements Strategy.
func (s ReLU) Name() string { return "relu" }

// Activation implements Strategy.
func (s ReLU) Activation(ctx *context.Context, x *Node) *Node {
	// Create the threshold variable with the network, so checkpoints carry it.
	_ = s.Threshold(ctx, x.Graph())
	return Max(x, ZerosLike(x))
}

// Threshold implements Strategy.
func (s ReLU) Threshold(ctx *context.Context, g *Graph) *Node {
	return ctx.WithInitializer(initializers.One).
		VariableWithShape(ThresholdVar, scalarShape()).SetTrainable(false).ValueGraph(g)
}

// CalibratesNoise implements Strategy.
func (s ReLU) CalibratesNoise() bool { return false }

// BalancePercentile implements Strategy.
func (s ReLU) BalancePercentile() float64 { return s.Percentile }
