package purego

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // graph code reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/require"
)

// netInputDims are the shapes of the test network's inputs: image, conv1 kernel, batch-norm
// scale and offset, clip λ (scalar), strided conv kernel, dense weights and bias, and the
// fixed loss weights r.
var netInputDims = [][]int{{2, 8, 8, 3}, {3, 3, 3, 4}, {4}, {4}, {}, {3, 3, 4, 5}, {20, 3}, {3}, {2, 3}}

const numNetParams = 8 // all inputs but r are differentiated

// testNetwork returns a graph function computing a small CNN — conv 3x3 SAME, batch norm
// (training), NQ-style activation clip(h, 0, λ) quantized to 4 levels with a straight-through
// gradient (if quantize), 2x2 average pool, strided conv, dense — and the loss Σ out·r.
// Outputs: out, loss, and the gradient of loss for each of the first numNetParams inputs.
func testNetwork(quantize bool) func([]*Node) []*Node {
	return func(in []*Node) []*Node {
		x, k1, scale, offset, lambda, k2, w, bias, r := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8]
		h := Convolve(x, k1).PadSame().Done()
		h, _, _ = InternalBatchNormForTraining(h, scale, offset, 1e-3, -1)
		y := Min(Max(h, ScalarZero(x.Graph(), x.DType())), lambda)
		if quantize {
			const levels = 4
			q := Mul(Floor(AddScalar(Div(MulScalar(y, levels), lambda), 0.5)), DivScalar(lambda, levels))
			y = Add(y, StopGradient(Sub(q, y)))
		}
		p := MeanPool(y).Window(2).Done()
		h2 := Convolve(p, k2).StridePerAxis(2, 2).PadSame().Done()
		out := Add(Dot(Reshape(h2, 2, 20), w), ExpandAxes(bias, 0))
		loss := ReduceAllSum(Mul(out, r))
		return append([]*Node{out, loss}, Gradient(loss, in[:numNetParams]...)...)
	}
}

// netInputs returns random inputs (float64 values, converted to T).
func netInputs[T float32 | float64](seed uint64) []*tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 99))
	inputs := make([]*tensors.Tensor, len(netInputDims))
	for i, dims := range netInputDims {
		data := make([]T, product(dims))
		for j := range data {
			data[j] = T(rng.Float64()*2 - 1)
		}
		switch i {
		case 2: // batch-norm scale around 1
			for j := range data {
				data[j] += 1.5
			}
		case 4: // λ
			data[0] = 1.3
		}
		if len(dims) == 0 {
			inputs[i] = tensors.FromScalar(data[0])
		} else {
			inputs[i] = tensors.FromFlatDataAndDimensions(data, dims...)
		}
	}
	return inputs
}

func execNetwork(t *testing.T, backend backends.Backend, quantize bool, inputs []*tensors.Tensor) [][]float64 {
	t.Helper()
	exec, err := NewExec(backend, testNetwork(quantize))
	require.NoError(t, err)
	args := make([]any, len(inputs))
	for i, in := range inputs {
		args[i] = in
	}
	outs, err := exec.Exec(args...)
	require.NoError(t, err)
	return flatten(t, outs)
}

func flatten(t *testing.T, outs []*tensors.Tensor) [][]float64 {
	res := make([][]float64, len(outs))
	for i, o := range outs {
		switch v := o.Value().(type) {
		case float32:
			res[i] = []float64{float64(v)}
		case float64:
			res[i] = []float64{v}
		default:
			switch o.DType().GoType().Kind().String() {
			case "float32":
				for _, f := range tensors.MustCopyFlatData[float32](o) {
					res[i] = append(res[i], float64(f))
				}
			case "float64":
				res[i] = tensors.MustCopyFlatData[float64](o)
			default:
				t.Fatalf("unexpected output dtype %s", o.DType())
			}
		}
	}
	return res
}

// requireRelClose checks |want-got| <= tol·max(1, |want|) element-wise.
func requireRelClose(t *testing.T, want, got []float64, tol float64, name string) {
	t.Helper()
	require.Len(t, got, len(want), name)
	for i := range want {
		require.LessOrEqual(t, math.Abs(want[i]-got[i]), tol*max(1, math.Abs(want[i])),
			"%s[%d]: want %g, got %g", name, i, want[i], got[i])
	}
}

var netOutputNames = []string{"out", "loss", "dx", "dk1", "dscale", "doffset", "dlambda", "dk2", "dw", "dbias"}

func maxAbs(xs []float64) float64 {
	m := 0.0
	for _, x := range xs {
		m = max(m, math.Abs(x))
	}
	return m
}

// TestNetworkFiniteDifferences checks purego's float64 gradients of the (unquantized) network
// against central finite differences of its loss.
func TestNetworkFiniteDifferences(t *testing.T) {
	backend := New()
	exec, err := NewExec(backend, testNetwork(false))
	require.NoError(t, err)
	inputs := netInputs[float64](2)
	run := func() [][]float64 {
		args := make([]any, len(inputs))
		for i, in := range inputs {
			args[i] = in
		}
		outs, err := exec.Exec(args...)
		require.NoError(t, err)
		return flatten(t, outs)
	}
	base := run()
	rng := rand.New(rand.NewPCG(5, 5))
	const h = 1e-6
	for p := range numNetParams {
		grad := base[2+p]
		for range 3 {
			idx := rng.IntN(len(grad))
			perturb := func(delta float64) float64 {
				saved := inputs[p]
				data := tensors.MustCopyFlatData[float64](saved)
				data[idx] += delta
				if saved.Rank() == 0 {
					inputs[p] = tensors.FromScalar(data[0])
				} else {
					inputs[p] = tensors.FromFlatDataAndDimensions(data, saved.Shape().Dimensions...)
				}
				loss := run()[1][0]
				inputs[p] = saved
				return loss
			}
			numeric := (perturb(h) - perturb(-h)) / (2 * h)
			name := fmt.Sprintf("%s[%d]", netOutputNames[2+p], idx)
			require.InDelta(t, numeric, grad[idx], 1e-5*max(1, math.Abs(numeric)), name)
		}
	}
}
