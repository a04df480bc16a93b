package purego

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randFloats(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

func naiveGemm(m, n, k int, a, b matrix) []float32 {
	c := make([]float32, m*n)
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(a.at(i, p)) * float64(b.at(p, j))
			}
			c[i*n+j] = float32(s)
		}
	}
	return c
}

// TestSGEMM checks the blocked multiplication against the naive triple loop on odd shapes,
// both operand layouts, the SIMD and Go micro-kernels and 1 or 2 workers.
func TestSGEMM(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kernels := []bool{false}
	if hasSIMDKernel {
		kernels = append(kernels, true)
	}
	defer func() { useSIMDKernel = hasSIMDKernel }()
	for _, dims := range [][3]int{{1, 1, 1}, {7, 13, 5}, {129, 65, 33}, {6, 16, 300}, {100, 2100, 3}, {97, 17, 513}} {
		m, n, k := dims[0], dims[1], dims[2]
		aData, bData := randFloats(rng, m*k), randFloats(rng, k*n)
		for _, transA := range []bool{false, true} {
			for _, transB := range []bool{false, true} {
				a := matrix{data: aData, rowStride: k, colStride: 1}
				if transA {
					a = matrix{data: aData, rowStride: 1, colStride: m}
				}
				b := matrix{data: bData, rowStride: n, colStride: 1}
				if transB {
					b = matrix{data: bData, rowStride: 1, colStride: k}
				}
				want := naiveGemm(m, n, k, a, b)
				for _, simd := range kernels {
					for _, workers := range []int{1, 2} {
						useSIMDKernel = simd
						name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/simd=%v/w=%d", m, n, k, transA, transB, simd, workers)
						got := make([]float32, m*n)
						for i := range got {
							got[i] = 1e6 // must be overwritten
						}
						sgemm(m, n, k, a, b, got, n, workers)
						require.InDeltaSlice(t, want, got, 1e-4*float64(k), name)
					}
				}
			}
		}
	}
}

// BenchmarkSGEMM2048 measures the raw multiplication (no graph) of two 2048x2048 matrices;
// GFLOP/s is reported as a metric.
func BenchmarkSGEMM2048(b *testing.B) {
	const n = 2048
	rng := rand.New(rand.NewPCG(1, 2))
	a := matrix{data: randFloats(rng, n*n), rowStride: n, colStride: 1}
	bm := matrix{data: randFloats(rng, n*n), rowStride: n, colStride: 1}
	c := make([]float32, n*n)
	b.ResetTimer()
	for b.Loop() {
		sgemm(n, n, n, a, bm, c, n, defaultWorkers())
	}
	b.ReportMetric(2*n*n*n*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
