package nq_test

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/nq"
)

func TestValue(t *testing.T) {
	// λ = 2, L = 4: levels at 0, 0.5, 1, 1.5, 2 with rounding half up.
	for _, c := range []struct{ z, want float64 }{
		{-1, 0}, {0, 0}, {0.24, 0}, {0.25, 0.5}, {0.74, 0.5}, {1.3, 1.5}, {2, 2}, {9, 2},
	} {
		assert.InDelta(t, c.want, nq.Value(c.z, 2, 4), 1e-12, "z=%g", c.z)
	}
}

// The straight-through floor passes gradients to z (inside the clip) and λ.
func TestQCFSGradients(t *testing.T) {
	b := testutil.Backend(t)
	out := testutil.Run(t, b, func(z, lambda *Node) []*Node {
		a := nq.QCFS(z, lambda, 4)
		grads := Gradient(ReduceAllSum(a), z, lambda)
		return []*Node{a, grads[0], grads[1]}
	}, []float64{-1, 0.3, 1.3, 5}, 2.0)
	assert.Equal(t, []float64{0, 0.5, 1.5, 2}, tensors.MustCopyFlatData[float64](out[0]))
	assert.Equal(t, []float64{0, 1, 1, 0}, tensors.MustCopyFlatData[float64](out[1]), "dA/dz: 1 inside the clip, 0 outside")
	// dA/dλ = Σ (q/L − z/λ) over unclipped + 1 per saturated element (straight-through floor).
	want := (0.25*1 - 0.3/2) + (0.75 - 1.3/2) + 1
	assert.InDelta(t, want, tensors.ToScalar[float64](out[2]), 1e-12)
}

// BoxMuller stays finite at u1 = 0, where log(0) would be −∞.
func TestBoxMullerFinite(t *testing.T) {
	b := testutil.Backend(t)
	out := testutil.Run(t, b, func(u1, u2 *Node) *Node { return nq.BoxMuller(u1, u2) },
		[]float32{0, 0, 1e-30, 0.5}, []float32{0, 0.5, 0, 0.25})
	got := tensors.MustCopyFlatData[float32](out[0])
	limit := math.Sqrt(-2 * math.Log(nq.MinUniform))
	assert.InDelta(t, limit, float64(got[0]), 1e-3)
	assert.InDelta(t, -limit, float64(got[1]), 1e-3)
	assert.InDelta(t, limit, float64(got[2]), 1e-3)
	assert.InDelta(t, 0, float64(got[3]), 1e-5)
}

// AddNoise draws fresh N(0, σ²) noise per element: mean ≈ 0, std ≈ σ, all finite.
func TestAddNoiseStatistics(t *testing.T) {
	b := testutil.Backend(t)
	ctx := context.New()
	require.NoError(t, ctx.SetRNGStateFromSeed(3))
	e := context.MustNewExec(b, ctx, func(ctx *context.Context, a *Node) *Node {
		return nq.AddNoise(ctx, a, Scalar(a.Graph(), a.DType(), 0.5))
	})
	x := tensors.FromShape(tensors.FromFlatDataAndDimensions(make([]float32, 1<<18), 1<<18).Shape())
	first := tensors.MustCopyFlatData[float32](e.MustExec(x)[0])
	second := tensors.MustCopyFlatData[float32](e.MustExec(x)[0])
	var sum, sq float64
	for _, v := range first {
		require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(first))
	assert.InDelta(t, 0, sum/n, 0.005)
	assert.InDelta(t, 0.5, math.Sqrt(sq/n), 0.005)
	assert.NotEqual(t, first[:8], second[:8], "fresh noise every step")
}
