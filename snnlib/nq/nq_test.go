package nq_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/snnlib/backend"
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

// AddNoise draws fresh noise per element with the moments each sampler
// promises: mean 0, std σ, excess kurtosis 0 (gaussian) or −0.15 (fast:
// Irwin–Hall n = 8), no correlation between neighbouring elements, a new draw
// every execution, and the same draws for the same seed.
// Both samplers run on the XLA backend (when present) and on the pure-Go
// fallback, whose simplego core lacks shift ops.
func TestAddNoiseStatistics(t *testing.T) {
	pure, _, err := backend.New("go")
	require.NoError(t, err)
	for _, b := range []backends.Backend{testutil.Backend(t), pure} {
		t.Run(b.Name(), func(t *testing.T) { testNoiseStatistics(t, b) })
	}
}

func testNoiseStatistics(t *testing.T, b backends.Backend) {
	const sigma = 0.5
	for _, c := range []struct {
		sampler  nq.Sampler
		kurtosis float64
		maxAbs   float64
	}{{nq.Gaussian, 0, math.Sqrt(-2 * math.Log(nq.MinUniform))}, {nq.Fast, -0.15, 1020 / math.Sqrt(8*65535/12.0)}} {
		t.Run(string(c.sampler), func(t *testing.T) {
			draw := func(seed int64, steps int) [][]float32 {
				ctx := context.New()
				require.NoError(t, ctx.SetRNGStateFromSeed(seed))
				e := context.MustNewExec(b, ctx, func(ctx *context.Context, a *Node) *Node {
					return nq.AddNoise(ctx, a, Scalar(a.Graph(), a.DType(), sigma), c.sampler)
				})
				x := tensors.FromShape(tensors.FromFlatDataAndDimensions(make([]float32, 1<<18), 1<<9, 1<<9).Shape())
				var out [][]float32
				for range steps {
					out = append(out, tensors.MustCopyFlatData[float32](e.MustExec(x)[0]))
				}
				return out
			}
			runs := draw(3, 2)
			first := runs[0]
			var m1, m2, m4, lag, maxAbs float64
			for i, v := range first {
				e := float64(v) / sigma
				require.False(t, math.IsNaN(e) || math.IsInf(e, 0))
				m1 += e
				m2 += e * e
				m4 += e * e * e * e
				maxAbs = math.Max(maxAbs, math.Abs(e))
				if i > 0 {
					lag += e * float64(first[i-1]) / sigma
				}
			}
			n := float64(len(first))
			assert.InDelta(t, 0, m1/n, 0.01, "mean")
			assert.InDelta(t, 1, m2/n, 0.01, "variance")
			assert.InDelta(t, c.kurtosis, m4/n/((m2/n)*(m2/n))-3, 0.04, "excess kurtosis")
			assert.InDelta(t, 0, lag/n, 0.01, "correlation of neighbouring elements")
			assert.LessOrEqual(t, maxAbs, c.maxAbs+1e-4)
			assert.NotEqual(t, first[:8], runs[1][:8], "fresh noise every step")
			assert.Equal(t, first[:64], draw(3, 1)[0][:64], "same seed, same noise")
			assert.NotEqual(t, first[:8], draw(4, 1)[0][:8], "another seed, other noise")
		})
	}
}

func TestParseSampler(t *testing.T) {
	s, err := nq.ParseSampler("")
	require.NoError(t, err)
	assert.Equal(t, nq.DefaultSampler, s)
	s, err = nq.ParseSampler("gaussian")
	require.NoError(t, err)
	assert.Equal(t, nq.Gaussian, s)
	_, err = nq.ParseSampler("uniform")
	assert.EqualError(t, err, `unknown noise sampler "uniform" (known: fast, gaussian)`)
}

// BenchmarkNoise measures each sampler on a ResNet-20 first-stage activation
// ([128, 32, 32, 16], 2.1 M elements): go test -run xxx -bench Noise ./snnlib/nq/
func BenchmarkNoise(b *testing.B) {
	backend := testutil.Backend(b)
	x := tensors.FromFlatDataAndDimensions(make([]float32, 128*32*32*16), 128, 32, 32, 16)
	for _, sampler := range nq.Samplers {
		b.Run(string(sampler), func(b *testing.B) {
			ctx := context.New()
			e := context.MustNewExec(backend, ctx, func(ctx *context.Context, a *Node) *Node {
				return ReduceAllSum(nq.AddNoise(ctx, a, Scalar(a.Graph(), a.DType(), 1), sampler))
			})
			e.MustExec(x)[0].FinalizeAll()
			b.ResetTimer()
			for range b.N {
				e.MustExec(x)[0].FinalizeAll()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(x.Shape().Size()), "ns/element")
		})
	}
}
