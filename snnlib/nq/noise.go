package nq

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Sampler names how the standard normal noise ε of the NQ activation is drawn.
type Sampler string

const (
	// Gaussian draws exact N(0, 1) samples: Box–Muller on two uniforms from
	// the context's Philox generator. On XLA CPU it costs ≈31 ns per element
	// (`go test -run XXX -bench Noise ./snnlib/nq/`), ≈38 % of a ResNet-20
	// training step.
	Gaussian Sampler = "gaussian"
	// Fast draws ε as the standardised sum of 8 uniform bytes (Irwin–Hall,
	// n = 8) taken from a counter-based hash of (per-step seed, element
	// index): mean 0 and variance 1 exactly, excess kurtosis −0.15 (normal: 0),
	// |ε| ≤ 4.90. It costs ≈1.3 ns per element on XLA CPU, ≈25× less than
	// Gaussian. The per-step seed comes from the context's generator, so runs
	// stay reproducible for a seed.
	Fast Sampler = "fast"
)

// DefaultSampler is the sampler used when none is named.
const DefaultSampler = Fast

// Samplers lists the known samplers.
var Samplers = []Sampler{Fast, Gaussian}

// ParseSampler returns the sampler named s ("" gives DefaultSampler).
func ParseSampler(s string) (Sampler, error) {
	if s == "" {
		return DefaultSampler, nil
	}
	for _, k := range Samplers {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown noise sampler %q (known: %s)", s, samplerNames())
}

// samplerNames lists Samplers for error messages: "fast, gaussian".
func samplerNames() string {
	names := make([]string, len(Samplers))
	for i, k := range Samplers {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Noise returns standard normal noise of the given shape drawn with sampler
// from ctx's random number generator (fresh for every execution).
func Noise(ctx *context.Context, g *Graph, shape shapes.Shape, sampler Sampler) *Node {
	switch sampler {
	case Gaussian:
		return BoxMuller(ctx.RandomUniform(g, shape), ctx.RandomUniform(g, shape))
	case Fast, "":
		seed := ctx.RandomIntN(g, uint64(1)<<32, shapes.Make(dtypes.Uint32))
		return ConvertDType(IrwinHall8(HashIndex(seed, shape.Dimensions...)), shape.DType)
	}
	panic(fmt.Sprintf("nq.Noise: unknown sampler %q (known: %s)", sampler, samplerNames()))
}

// HashIndex returns, for every element of a tensor with the given dimensions,
// two 32-bit words hashed from (seed, flat element index). The mixer is
// Wellons' "lowbias32" (two xor-shift-multiply rounds), applied once per word,
// so neighbouring indices and neighbouring seeds give unrelated words.
func HashIndex(seed *Node, dims ...int) (w1, w2 *Node) {
	g := seed.Graph()
	idx := IotaFull(g, shapes.Make(dtypes.Uint32, dims...))
	// The golden-ratio stride spreads consecutive indices over the whole word
	// before mixing; the seed shifts the whole sequence each step.
	w1 = lowbias32(Add(MulScalar(idx, 0x9E3779B9), seed))
	w2 = lowbias32(BitwiseXor(w1, Scalar(g, dtypes.Uint32, 0x85EBCA6B)))
	return w1, w2
}

func lowbias32(x *Node) *Node {
	g := x.Graph()
	c := func(v uint32) *Node { return Scalar(g, dtypes.Uint32, v) }
	x = BitwiseXor(x, shiftRight(x, 16))
	x = Mul(x, c(0x7FEB352D))
	x = BitwiseXor(x, shiftRight(x, 15))
	x = Mul(x, c(0x846CA68B))
	return BitwiseXor(x, shiftRight(x, 16))
}

// shiftRight is x >> k for uint32 x, written as a division by 2^k: the
// compiler turns it into a shift on XLA, and the pure-Go backend (simplego)
// has division but no shift ops.
func shiftRight(x *Node, k int) *Node {
	return Div(x, Scalar(x.Graph(), dtypes.Uint32, uint32(1)<<k))
}

// irwinHallScale is the standard deviation of a sum of 8 independent uniform
// bytes: sqrt(8·(256²−1)/12).
var irwinHallScale = math.Sqrt(8 * (256*256 - 1) / 12.0)

// IrwinHall8 maps two uint32 words per element (8 uniform bytes) to their
// byte sum, centred and scaled to mean 0 and variance 1, as float32.
func IrwinHall8(w1, w2 *Node) *Node {
	total := Add(byteSum(w1), byteSum(w2)) // 0 … 2040
	return MulScalar(AddScalar(ConvertDType(total, dtypes.Float32), -8*127.5), 1/irwinHallScale)
}

// byteSum adds the four bytes of each word (SWAR: pairs first, so no lane
// overflows).
func byteSum(w *Node) *Node {
	g := w.Graph()
	c := func(v uint32) *Node { return Scalar(g, dtypes.Uint32, v) }
	m := c(0x00FF00FF)
	pairs := Add(BitwiseAnd(w, m), BitwiseAnd(shiftRight(w, 8), m))
	return Add(BitwiseAnd(pairs, c(0xFFFF)), shiftRight(pairs, 16))
}
