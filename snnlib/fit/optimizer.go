package fit

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
)

// SGD is PyTorch-style stochastic gradient descent with momentum and weight
// decay (g ← ∇ + wd·w; b ← m·b + g; w ← w − lr·b), the optimizer of the
// reference code. Weight decay applies to every trainable variable, λ
// included, as in the reference. The learning rate is a variable set from Go
// (see SetLearningRate), so a schedule never recompiles the step.
type SGD struct {
	Momentum    float64
	WeightDecay float64
}

const sgdScope = "sgd_momentum"

// learningRateVar is the learning-rate variable in the optimizer scope.
func learningRateVar(ctx *context.Context) *context.Variable {
	return ctx.InAbsPath(context.ScopeSeparator+optimizers.Scope).Checked(false).
		VariableWithValue(optimizers.ParamLearningRate, float32(0)).SetTrainable(false)
}

// SetLearningRate sets the rate used by the next training steps.
func SetLearningRate(ctx *context.Context, lr float64) error {
	return learningRateVar(ctx).SetValue(tensors.FromScalar(float32(lr)))
}

// CosineLR is PyTorch's CosineAnnealingLR stepped once per epoch:
// lr₀·(1 + cos(π·epoch/epochs))/2.
func CosineLR(lr0 float64, epoch, epochs int) float64 {
	return lr0 * (1 + math.Cos(math.Pi*float64(epoch)/float64(epochs))) / 2
}

// UpdateGraph implements optimizers.Interface.
func (o SGD) UpdateGraph(ctx *context.Context, g *Graph, loss *Node) {
	var vars []*context.Variable
	for v := range ctx.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
		}
	}
	grads := ctx.BuildTrainableVariablesGradientsGraph(loss)
	lr := learningRateVar(ctx).ValueGraph(g)
	optimizers.IncrementGlobalStepGraph(ctx.InAbsPath(context.ScopeSeparator), g, loss.DType())
	for i, v := range vars {
		w := v.ValueGraph(g)
		grad := ConvertDType(grads[i], w.DType())
		if o.WeightDecay > 0 {
			grad = Add(grad, MulScalar(w, o.WeightDecay))
		}
		step := grad
		if o.Momentum > 0 {
			buf := ctx.InAbsPath(context.ScopeSeparator+optimizers.Scope+context.ScopeSeparator+sgdScope+v.Scope()).
				Checked(false).WithInitializer(initializers.Zero).
				VariableWithShape(v.Name(), v.Shape()).SetTrainable(false)
			step = Add(MulScalar(buf.ValueGraph(g), o.Momentum), grad)
			buf.SetValueGraph(step)
		}
		v.SetValueGraph(Sub(w, Mul(step, ConvertDType(lr, w.DType()))))
	}
}

// Clear implements optimizers.Interface: it drops the momentum buffers.
func (o SGD) Clear(ctx *context.Context) error {
	return ctx.InAbsPath(context.ScopeSeparator + optimizers.Scope + context.ScopeSeparator + sgdScope).DeleteVariablesInScope()
}
