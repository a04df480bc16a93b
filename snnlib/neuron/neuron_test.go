package neuron_test

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/internal/testutil"
	"github.com/nqsnn/nqsnn/snnlib/neuron"
	"github.com/nqsnn/nqsnn/snnlib/nq"
)

// With constant input and T = L steps, an IF neuron starting at θ/2 with reset
// by subtraction emits exactly QCFS(z; λ=θ, L) on average (Bu et al., Thm 2).
func TestIFEqualsQCFSAtTEqualsL(t *testing.T) {
	b := testutil.Backend(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, theta := range []float64{0.5, 1, 3.7} {
		for _, L := range []int{1, 2, 4, 8, 16} {
			z := make([]float64, 500)
			for i := range z {
				z[i] = (r.Float64()*1.6 - 0.3) * theta // covers < 0, [0, θ] and > θ
			}
			got := testutil.Run(t, b, func(z *Node) []*Node {
				g := z.Graph()
				th := Scalar(g, z.DType(), theta)
				m := neuron.IF{InitFraction: 0.5}
				v := m.Init(z, th)
				sum := ZerosLike(z)
				for range L {
					var out *Node
					out, _, v = m.Step(v, z, th)
					sum = Add(sum, out)
				}
				return []*Node{DivScalar(sum, float64(L)), nq.QCFS(z, th, L)}
			}, z)
			rate := tensors.MustCopyFlatData[float64](got[0])
			qcfs := tensors.MustCopyFlatData[float64](got[1])
			for i := range z {
				require.InDelta(t, qcfs[i], rate[i], 1e-12, "θ=%g L=%d z=%g", theta, L, z[i])
				require.InDelta(t, nq.Value(z[i], theta, L), qcfs[i], 1e-12)
			}
		}
	}
}

// The graph neuron and the plain-Go reference agree step by step.
func TestIFGraphMatchesScalarReference(t *testing.T) {
	b := testutil.Backend(t)
	zs := []float64{0.3, 1.2, -0.4, 0.9, 0.05, 2.5, -1, 0.7}
	trace := neuron.SimulateIF(zs, 1, 0.5)
	got := testutil.Run(t, b, func(z *Node) []*Node {
		g := z.Graph()
		th := Scalar(g, z.DType(), 1.0)
		m := neuron.IF{InitFraction: 0.5}
		v := m.Init(Slice(z, AxisElem(0)), th)
		var outs, mems, counts []*Node
		for i := range len(zs) {
			var out, spikes *Node
			out, spikes, v = m.Step(v, Slice(z, AxisElem(i)), th)
			outs, mems, counts = append(outs, out), append(mems, v.Membrane()), append(counts, spikes)
		}
		return []*Node{Concatenate(outs, 0), Concatenate(mems, 0), Concatenate(counts, 0)}
	}, zs)
	// At θ = 1 the spike count equals the output.
	assert.InDeltaSlice(t, trace.Output, tensors.MustCopyFlatData[float64](got[2]), 1e-12)
	assert.InDeltaSlice(t, trace.Output, tensors.MustCopyFlatData[float64](got[0]), 1e-12)
	assert.InDeltaSlice(t, trace.Membrane, tensors.MustCopyFlatData[float64](got[1]), 1e-12)
	// Reset by subtraction keeps the charge: membrane + emitted = v0 + input.
	var in, emitted float64
	for i := range zs {
		in += zs[i]
		emitted += trace.Output[i]
	}
	assert.InDelta(t, 0.5+in, emitted+trace.Membrane[len(zs)-1], 1e-12)
}

func TestIFResetToZeroLosesCharge(t *testing.T) {
	b := testutil.Backend(t)
	got := testutil.Run(t, b, func(z *Node) []*Node {
		th := Scalar(z.Graph(), z.DType(), 1.0)
		out, spikes, v := neuron.IFResetToZero{}.Step(neuron.State{ZerosLike(z)}, z, MulScalar(th, 2))
		return []*Node{out, v.Membrane(), spikes}
	}, []float64{3.2, 0.8})
	assert.Equal(t, []float64{2, 0}, tensors.MustCopyFlatData[float64](got[0]), "output is spikes·θ")
	assert.Equal(t, []float64{0, 0.8}, tensors.MustCopyFlatData[float64](got[1]), "the 1.2 above threshold is lost")
	assert.Equal(t, []float64{1, 0}, tensors.MustCopyFlatData[float64](got[2]), "one spike, not output/θ")
}

func TestByName(t *testing.T) {
	m, err := neuron.ByName("if")
	require.NoError(t, err)
	assert.Equal(t, "if", m.Name())
	_, err = neuron.ByName("lif")
	require.ErrorContains(t, err, `unknown neuron model "lif" (known: if, if-reset-zero)`)
	assert.False(t, math.IsNaN(neuron.SimulateIF([]float64{1}, 1, 0).Output[0]))
}
