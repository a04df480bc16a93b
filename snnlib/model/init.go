package model

import (
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Init names a weight initialisation scheme.
//
// Under batch normalisation the scale of a convolution's weights does not
// change its output but sets its effective learning rate (∝ lr/‖w‖²), so the
// scheme matters most in short schedules: He-normal weights are ≈2.4× larger
// than PyTorch's defaults, which trains ≈6× slower in the first epochs.
type Init string

const (
	// InitReference initialises as the reference code does: PyTorch's layer
	// defaults (weights and biases uniform in ±1/√fan_in, i.e. weight
	// std 1/√(3·fan_in)), except that VGG-16's convolutions are Kaiming-normal
	// on fan_out (std √(2/fan_out)) and its dense biases zero.
	InitReference Init = "reference"
	// InitHe is He-normal on fan_in (std √(2/fan_in)) for convolutions,
	// uniform ±1/√fan_in for dense weights, and zero biases.
	InitHe Init = "he"
)

// DefaultInit is the scheme used when none is given.
const DefaultInit = InitReference

// Inits lists the known schemes.
var Inits = []Init{InitReference, InitHe}

// ParseInit returns the scheme called s ("" is DefaultInit).
func ParseInit(s string) (Init, error) {
	if s == "" {
		return DefaultInit, nil
	}
	for _, i := range Inits {
		if string(i) == s {
			return i, nil
		}
	}
	names := make([]string, len(Inits))
	for k, i := range Inits {
		names[k] = string(i)
	}
	return "", fmt.Errorf("unknown weight initialisation %q (known: %s)", s, strings.Join(names, ", "))
}

// convFamily says how a model's reference code initialises its convolutions.
type convFamily int

const (
	convTorchDefault  convFamily = iota // PyTorch's Conv2d default
	convKaimingFanOut                   // kaiming_normal_(mode="fan_out", nonlinearity="relu"), zero dense biases (VGG)
)

// uniformFn draws from U(−bound, bound).
func uniformFn(ctx *context.Context, bound float64) initializers.VariableInitializer {
	return initializers.RandomUniformFn(ctx, -bound, bound)
}

// convWeightInit returns the initializer of a kernel×kernel×cin→cout kernel.
func (n *Net) convWeightInit(ctx *context.Context, kernel, cin, cout int) initializers.VariableInitializer {
	fanIn := float64(kernel * kernel * cin)
	switch {
	case n.init == InitHe:
		return initializers.HeFn(ctx)
	case n.convs == convKaimingFanOut:
		return initializers.RandomNormalFn(ctx, math.Sqrt(2/float64(kernel*kernel*cout)))
	default:
		return uniformFn(ctx, 1/math.Sqrt(fanIn))
	}
}

// biasInit returns the initializer of the bias of a layer with fanIn inputs.
func (n *Net) biasInit(ctx *context.Context, fanIn int) initializers.VariableInitializer {
	if n.init == InitHe || n.convs == convKaimingFanOut {
		return initializers.Zero
	}
	return uniformFn(ctx, 1/math.Sqrt(float64(fanIn)))
}

// variable creates (or reuses) a variable with the given initializer.
func variable(ctx *context.Context, name string, init initializers.VariableInitializer, shape shapes.Shape, g *Graph) *Node {
	return ctx.WithInitializer(init).VariableWithShape(name, shape).ValueGraph(g)
}
