package model_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/model"
)

// initialised builds fn once on a 32×32×3 batch with scheme and returns the
// flattened values of every variable by scope/name.
func initialised(t *testing.T, fn model.Fn, scheme model.Init) map[string][]float32 {
	t.Helper()
	be := testutil.Backend(t)
	ctx := context.New()
	require.NoError(t, ctx.SetRNGStateFromSeed(7))
	// Building the graph creates the variables; initialising them compiles
	// only the initialisers, not the network.
	g := NewGraph(be, "init")
	defer g.Finalize()
	x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, 32, 32, 3))
	n := model.NewNet(ctx, func(_ *context.Context, _ int, x *Node) *Node { return Max(x, ZerosLike(x)) }).Init(scheme)
	fn(n, x, 10)
	require.NoError(t, ctx.InitializeVariables(be, nil))
	vars := map[string][]float32{}
	for v := range ctx.IterVariables() {
		val, err := v.Value()
		require.NoError(t, err)
		if val.DType() == dtypes.Float32 {
			flat, err := tensors.CopyFlatData[float32](val)
			require.NoError(t, err)
			vars[v.Scope()+"/"+v.Name()] = flat
		}
	}
	return vars
}

func moments(xs []float32) (mean, std, maxAbs float64) {
	for _, x := range xs {
		mean += float64(x)
		maxAbs = math.Max(maxAbs, math.Abs(float64(x)))
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs))), maxAbs
}

// The reference ResNet-20 is PyTorch's default: U(±1/√fan_in) weights and
// biases; He-normal is √6 ≈ 2.45× wider and has zero biases.
func TestResNet20Init(t *testing.T) {
	ref := initialised(t, model.ResNet20, model.InitReference)
	he := initialised(t, model.ResNet20, model.InitHe)
	// conv05 of ResNet-20 is a 3×3, 16→16 convolution: fan_in 144.
	w := ref["/conv05/weights"]
	require.Len(t, w, 3*3*16*16)
	mean, std, maxAbs := moments(w)
	bound := 1 / math.Sqrt(144)
	assert.InDelta(t, 0, mean, 0.01)
	assert.InDelta(t, bound/math.Sqrt(3), std, 0.1*bound/math.Sqrt(3))
	assert.LessOrEqual(t, maxAbs, bound)
	_, heStd, _ := moments(he["/conv05/weights"])
	assert.InDelta(t, math.Sqrt(2.0/144), heStd, 0.1*math.Sqrt(2.0/144))

	// The classifier (64 → 10): weights and bias U(±1/8) under reference, zero bias under he.
	_, _, maxB := moments(ref["/dense00/bias"])
	assert.Greater(t, maxB, 0.0)
	assert.LessOrEqual(t, maxB, 1/8.0)
	assert.Equal(t, make([]float32, 10), he["/dense00/bias"])
	// Batch norm starts as the identity under every scheme.
	assert.Equal(t, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, ref["/conv05/bn/scale"])
}

// The reference VGG-16 initialises convolutions Kaiming-normal on fan_out and
// dense biases at zero.
func TestVGG16Init(t *testing.T) {
	if testing.Short() {
		t.Skip("builds VGG-16")
	}
	ref := initialised(t, model.VGG16, model.InitReference)
	// conv00: 3×3, 3→64: fan_out 576, std √(2/576).
	_, std, _ := moments(ref["/conv00/weights"])
	assert.InDelta(t, math.Sqrt(2.0/576), std, 0.1*math.Sqrt(2.0/576))
	assert.Equal(t, make([]float32, 10), ref["/dense02/bias"])
}

func TestParseInit(t *testing.T) {
	i, err := model.ParseInit("")
	require.NoError(t, err)
	assert.Equal(t, model.InitReference, i)
	i, err = model.ParseInit("he")
	require.NoError(t, err)
	assert.Equal(t, model.InitHe, i)
	_, err = model.ParseInit("xavier")
	assert.EqualError(t, err, `unknown weight initialisation "xavier" (known: reference, he)`)
}
