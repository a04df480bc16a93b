// Package nq implements the noisy quantised (NQ) activation of Huang et al.
// (arXiv 2404.17456): QCFS clip-floor-shift quantisation with a learnable clip λ,
// plus additive Gaussian noise that models the residual error of the converted SNN.
//
//	a = (λ/L)·floor(clip(z/λ, 0, 1)·L + 1/2) − σ·ε,   ε ~ N(0, 1)
package nq

import (
	"math"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// DefaultLambda is the initial value of the learnable clip λ (reference code: 8.0).
const DefaultLambda = 8.0

// DefaultLevels is the default number of quantisation levels L.
const DefaultLevels = 4

// FloorST is floor(x) in the forward pass and the identity in the backward pass
// (a straight-through estimator), so gradients reach the weights and λ.
func FloorST(x *Node) *Node {
	return Add(x, StopGradient(Sub(Floor(x), x)))
}

// QCFS is the quantisation clip-floor-shift activation of Bu et al. (ICLR 2022):
// (λ/L)·floor(clip(z/λ, 0, 1)·L + 1/2). lambda is a scalar (or broadcastable) node;
// gradients flow to both z and λ through the straight-through floor.
func QCFS(z, lambda *Node, levels int) *Node {
	g := z.Graph()
	l := Scalar(g, z.DType(), float64(levels))
	y := ClipScalar(Div(z, lambda), 0, 1)
	q := FloorST(AddScalar(Mul(y, l), 0.5))
	return Mul(Div(q, l), lambda)
}

// AddNoise returns a − σ·ε with a fresh ε (standard normal, drawn with sampler,
// see [Noise]) per element from the context's random number generator, so it
// is reproducible for a seed. The minus sign follows the reference code; ε is
// symmetric so it only matters for bit-exact reproduction.
func AddNoise(ctx *context.Context, a, sigma *Node, sampler Sampler) *Node {
	return Sub(a, Mul(Noise(ctx, a.Graph(), a.Shape(), sampler), sigma))
}

// MinUniform bounds u₁ of the Box-Muller transform from below. GoMLX's
// RandomNormal bounds it by the smallest denormal float, which XLA on the CPU
// flushes to zero, so one draw in ~10⁹ became log(0) = −∞ and turned a whole
// training run into NaN. 1e-7 is a normal float32; it truncates ε at
// |ε| ≤ sqrt(−2 ln 1e-7) ≈ 5.68, a tail of probability < 2e-8.
const MinUniform = 1e-7

// BoxMuller maps two uniform samples in [0, 1) to one standard normal sample,
// always finite (see MinUniform).
func BoxMuller(u1, u2 *Node) *Node {
	u1 = Max(u1, Scalar(u1.Graph(), u1.DType(), MinUniform))
	return Mul(Sqrt(MulScalar(Log(u1), -2)), Cos(MulScalar(u2, 2*math.Pi)))
}

// Value is QCFS on a single float64, for tests, tutorials and plain-Go analysis.
func Value(z, lambda float64, levels int) float64 {
	y := math.Min(math.Max(z/lambda, 0), 1)
	return lambda / float64(levels) * math.Floor(y*float64(levels)+0.5)
}
