package purego

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	. "github.com/gomlx/gomlx/pkg/core/graph" //nolint:staticcheck // graph code reads best unqualified
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/require"
)

func randTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	data := make([]float32, product(dims))
	for i := range data {
		data[i] = rng.Float32()*2 - 1
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}

// benchGraph executes fn on backend repeatedly (after one warm-up run that compiles it) and
// reports flopsPerRun/time as GFLOP/s.
func benchGraph(b *testing.B, backend backends.Backend, flopsPerRun float64, fn func(x, y *Node) *Node, dims ...[]int) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randTensor(rng, dims[0]...), randTensor(rng, dims[1]...)
	exec, err := NewExec(backend, fn)
	require.NoError(b, err)
	run := func() {
		out, err := exec.Exec(x, y)
		require.NoError(b, err)
		out[0].FinalizeAll()
	}
	run()
	b.ResetTimer()
	for b.Loop() {
		run()
	}
	b.ReportMetric(flopsPerRun*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

var benchBackends = []struct {
	name string
	new  func() backends.Backend
}{
	{"purego", New},
	{"simplego", func() backends.Backend { b, _ := simplego.New(""); return b }},
}

// BenchmarkMatMul2048 multiplies two 2048x2048 float32 matrices through a GoMLX graph.
func BenchmarkMatMul2048(b *testing.B) {
	const n = 2048
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			benchGraph(b, be.new(), 2*n*n*n, func(x, y *Node) *Node { return Dot(x, y) }, []int{n, n}, []int{n, n})
		})
	}
}

// BenchmarkConv runs a CIFAR-like 3x3 SAME convolution: [128,32,32,16] x [3,3,16,16].
func BenchmarkConv(b *testing.B) {
	const batch, size, cin, cout = 128, 32, 16, 16
	flops := float64(2 * batch * size * size * cout * 3 * 3 * cin)
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			benchGraph(b, be.new(), flops, func(x, k *Node) *Node { return Convolve(x, k).StridePerAxis(1, 1).PadSame().Done() },
				[]int{batch, size, size, cin}, []int{3, 3, cin, cout})
		})
	}
}

// BenchmarkConvGradient runs the same convolution forward and backward (gradients for input
// and kernel: three convolutions' worth of FLOPs). simplego cannot run it.
func BenchmarkConvGradient(b *testing.B) {
	const batch, size, cin, cout = 128, 32, 16, 16
	flops := float64(3 * 2 * batch * size * size * cout * 3 * 3 * cin)
	benchGraph(b, New(), flops, func(x, k *Node) *Node {
		y := Convolve(x, k).PadSame().Done()
		grads := Gradient(ReduceAllSum(Mul(y, y)), x, k)
		return Add(ReduceAllSum(grads[0]), ReduceAllSum(grads[1]))
	}, []int{batch, size, size, cin}, []int{3, 3, cin, cout})
}
