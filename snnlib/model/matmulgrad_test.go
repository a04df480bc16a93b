package model_test

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	_ "github.com/nqsnn/nqsnn/snnlib/model" // registers the matrix-product gradient
)

// The gradient of L = Σ (A·B) ⊙ C is dL/dA = C·Bᵀ and dL/dB = Aᵀ·C, and it is
// built from matrix products only: no node of the gradient graph has the
// i·j·k elements GoMLX's own gradient broadcasts to.
func TestMatrixProductGradient(t *testing.T) {
	const i, j, k = 3, 5, 4
	fill := func(n int, f func(int) float32) []float32 {
		v := make([]float32, n)
		for x := range v {
			v[x] = f(x)
		}
		return v
	}
	a := fill(i*j, func(x int) float32 { return float32(x%7) - 2.5 })
	b := fill(j*k, func(x int) float32 { return float32(x%5)*0.5 - 1 })
	c := fill(i*k, func(x int) float32 { return float32(x%3) + 0.25 })

	be := testutil.Backend(t)
	g := NewGraph(be, "grad")
	defer g.Finalize()
	na := Parameter(g, "a", shapes.Make(dtypes.Float32, i, j))
	nb := Parameter(g, "b", shapes.Make(dtypes.Float32, j, k))
	nc := Parameter(g, "c", shapes.Make(dtypes.Float32, i, k))
	loss := ReduceAllSum(Mul(Dot(na, nb), nc))
	grads := Gradient(loss, na, nb)
	for _, node := range g.Nodes() {
		assert.NotEqual(t, []int{i, j, k}, node.Shape().Dimensions, "node %s", node)
	}
	g.Compile(grads...)
	out := g.Run(tensors.FromFlatDataAndDimensions(a, i, j), tensors.FromFlatDataAndDimensions(b, j, k),
		tensors.FromFlatDataAndDimensions(c, i, k))
	gotA, err := tensors.CopyFlatData[float32](out[0])
	require.NoError(t, err)
	gotB, err := tensors.CopyFlatData[float32](out[1])
	require.NoError(t, err)

	wantA := make([]float32, i*j) // C·Bᵀ
	wantB := make([]float32, j*k) // Aᵀ·C
	for r := range i {
		for s := range j {
			for q := range k {
				wantA[r*j+s] += c[r*k+q] * b[s*k+q]
				wantB[s*k+q] += a[r*j+s] * c[r*k+q]
			}
		}
	}
	assert.InDeltaSlice(t, wantA, gotA, 1e-5)
	assert.InDeltaSlice(t, wantB, gotB, 1e-5)
}

// The vector cases keep GoMLX's gradient: d(v·w)/dv = w.
func TestVectorDotGradientUnchanged(t *testing.T) {
	be := testutil.Backend(t)
	g := NewGraph(be, "grad")
	defer g.Finalize()
	v := Parameter(g, "v", shapes.Make(dtypes.Float32, 3))
	w := Const(g, []float32{1, -2, 0.5})
	grads := Gradient(Dot(v, w), v)
	g.Compile(grads...)
	out := g.Run([]float32{4, 5, 6})
	got, err := tensors.CopyFlatData[float32](out[0])
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -2, 0.5}, got)
}
