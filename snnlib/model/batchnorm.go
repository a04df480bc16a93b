package model

import (
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// batchNorm is batch normalisation over the last (channel) axis written with
// plain reductions, so it runs on backends without fused BatchNorm ops and its
// variables are easy to fold.
type batchNorm struct {
	meanVar, varVar               *context.Variable
	scale, offset, mean, variance *Node
}

func newBatchNorm(ctx *context.Context, x *Node, channels int) *batchNorm {
	g := x.Graph()
	s := shapeOf(x, channels)
	bn := &batchNorm{
		meanVar: ctx.WithInitializer(initializers.Zero).VariableWithShape("mean", s).SetTrainable(false),
		varVar:  ctx.WithInitializer(initializers.One).VariableWithShape("variance", s).SetTrainable(false),
	}
	bn.scale = ctx.WithInitializer(initializers.One).VariableWithShape("scale", s).ValueGraph(g)
	bn.offset = ctx.WithInitializer(initializers.Zero).VariableWithShape("offset", s).ValueGraph(g)
	bn.mean = bn.meanVar.ValueGraph(g)
	bn.variance = bn.varVar.ValueGraph(g)
	return bn
}

// invStd is scale / sqrt(running variance + ε), the per-channel factor folding multiplies weights by.
func (bn *batchNorm) invStd() *Node {
	return Div(bn.scale, Sqrt(AddScalar(bn.variance, BatchNormEpsilon)))
}

func (bn *batchNorm) apply(ctx *context.Context, y *Node) *Node {
	g := y.Graph()
	r := y.Rank()
	if !ctx.IsTraining(g) {
		return Add(Mul(Sub(y, ExpandLeftToRank(bn.mean, r)), ExpandLeftToRank(bn.invStd(), r)), ExpandLeftToRank(bn.offset, r))
	}
	axes := []int{0, 1, 2}[:y.Rank()-1]
	mean := ReduceMean(y, axes...)
	centered := Sub(y, ExpandLeftToRank(mean, r))
	variance := ReduceMean(Square(centered), axes...)
	n := float64(y.Shape().Size() / y.Shape().Dimensions[y.Rank()-1])
	unbiased := MulScalar(variance, n/max(n-1, 1))
	m := BatchNormMomentum
	bn.meanVar.SetValueGraph(Add(MulScalar(bn.mean, 1-m), MulScalar(StopGradient(mean), m)))
	bn.varVar.SetValueGraph(Add(MulScalar(bn.variance, 1-m), MulScalar(StopGradient(unbiased), m)))
	return Add(Mul(centered, ExpandLeftToRank(Div(bn.scale, Sqrt(AddScalar(variance, BatchNormEpsilon))), r)), ExpandLeftToRank(bn.offset, r))
}

func shapeOf(x *Node, dims ...int) shapes.Shape { return shapes.Make(x.DType(), dims...) }
