package strategy

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"

	"github.com/nqsnn/nqsnn/snnlib/nq"
)

func init() {
	Register("qcfs", Spec{New: func(c Config) Strategy { return QCFS{Config: c} },
		Usage: "quantisation clip-floor-shift ANN (Bu et al. 2022), θ = learned λ"})
	Register("nq", Spec{New: func(c Config) Strategy { return NQ{QCFS{Config: c}} },
		Usage: "QCFS plus noise whose σ per layer is measured from the ANN/SNN gap after every epoch (the paper's method)",
		Params: []Param{{Name: SigmaScaleParam, Default: 1, Min: 0, Max: 100,
			Usage: "multiplies the measured σ before training with it (1: the method; 0: QCFS training; an ablation knob)"}}})
}

// SigmaScaleParam names NQ's parameter that scales the measured σ.
const SigmaScaleParam = "sigma-scale"

// QCFS is Bu et al.'s quantisation clip-floor-shift activation (ICLR 2022):
// no noise, θ = λ.
type QCFS struct {
	Base
	Config
}

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

// ThresholdVar implements Strategy.
func (s QCFS) ThresholdVar() string { return LambdaVar }

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

// AfterEpoch implements Strategy: σ of every site becomes the standard
// deviation of its ANN/SNN gap over the noise-induction window T_n, so the
// next epoch trains with the residual error the SNN really has.
// SigmaScaleParam scales it (1 by default).
func (s NQ) AfterEpoch(c Calibrator) (Calibration, error) {
	mean, std, err := c.Gap(s.NoiseT)
	if err != nil {
		return Calibration{}, err
	}
	if k := s.Param("nq", SigmaScaleParam); k != 1 {
		for i := range std {
			std[i] *= k
		}
	}
	return Calibration{Mu: mean, Sigma: std}, c.SetSiteScalars(SigmaVar, std)
}
