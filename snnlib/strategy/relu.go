package strategy

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// PercentileParam is ReLU's threshold-balancing percentile.
const PercentileParam = "percentile"

func init() {
	Register("relu", Spec{New: func(c Config) Strategy { return ReLU{Config: c} },
		Usage:  "plain ReLU ANN, thresholds balanced on data (Rueckauer et al. 2017)",
		Params: []Param{{Name: PercentileParam, Default: 99.9, Min: 1e-9, Max: 100, Usage: "activation percentile the thresholds are set to"}}})
}

// ReLU is the classic baseline: a ReLU ANN converted with data-based threshold
// balancing (θ = the percentile-th percentile of the site's activations on
// validation data).
type ReLU struct {
	Base
	Config
}

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

// ThresholdVar implements Strategy.
func (s ReLU) ThresholdVar() string { return ThresholdVar }

// Percentile is the balancing percentile in use.
func (s ReLU) Percentile() float64 { return s.Param("relu", PercentileParam) }

// BeforeConversion implements Strategy: every threshold becomes the
// percentile of its site's activations (a dead site gets 1: any positive
// threshold gives the same silent layer).
func (s ReLU) BeforeConversion(c Calibrator) error {
	th, err := c.ActivationPercentile(s.Percentile())
	if err != nil {
		return err
	}
	for i := range th {
		if th[i] <= 0 {
			th[i] = 1
		}
	}
	return c.SetSiteScalars(ThresholdVar, th)
}
