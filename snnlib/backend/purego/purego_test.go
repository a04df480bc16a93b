package purego

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/require"
)

func TestRegistered(t *testing.T) {
	b, err := backends.NewWithConfig("purego")
	require.NoError(t, err)
	require.Equal(t, BackendName, b.Name())
	require.IsType(t, &Backend{}, b)
	for _, op := range addedOps {
		require.True(t, b.Capabilities().Operations[op], op.String())
	}
	// simplego's own capability table is left untouched.
	require.False(t, simplego.Capabilities.Operations[backends.OpTypeReverse])

	_, err = NewWithConfig("no_such_option")
	require.ErrorContains(t, err, `unknown configuration option "no_such_option"`)
}

// TestHookedExecutors checks the replaced executors only act on purego-built nodes: plain
// simplego graphs still run simplego's own executors, which record nothing in purego's
// registry, and the results agree on both backends (large slices split across goroutines).
func TestHookedExecutors(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	sg, err := simplego.New("")
	require.NoError(t, err)
	pg := New()
	require.True(t, fromPurego(mustNode(t, pg)))
	require.False(t, fromPurego(mustNode(t, sg)))
	lhs, rhs := randArray(rng, 4, 9, 3), randArray(rng, 4, 3, 11)
	want := naiveDotGeneral(lhs, []int{2}, []int{0}, rhs, []int{1}, []int{0})
	for _, backend := range []backends.Backend{sg, pg} {
		got := runOps(t, backend, dtypes.Float32, []array{lhs, rhs}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
			y, err := b.DotGeneral(p[0], []int{2}, []int{0}, p[1], []int{1}, []int{0})
			return []backends.Op{y}, err
		})
		requireArraysClose(t, want, got[0], 1e-5, backend.Name())
	}

	big := randArray(rng, 40, 30, 70) // above sliceParallelElems: copied by several goroutines
	starts, limits, strides := []int{3, 0, 1}, []int{40, 29, 70}, []int{2, 3, 1}
	for i, v := range big.data { // exact in float32, so both dtypes copy the same values
		big.data[i] = float64(float32(v))
	}
	for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, strided := range []bool{false, true} {
			st := strides
			if strided {
				st = []int{2, 3, 4}
			}
			want := newArray((40-3+st[0]-1)/st[0], (29+st[1]-1)/st[1], (69+st[2]-1)/st[2])
			forEachIndex(want.dims, func(idx []int) {
				want.data[want.offset(idx)] = big.at(starts[0]+idx[0]*st[0], starts[1]+idx[1]*st[1], starts[2]+idx[2]*st[2])
			})
			for _, backend := range []backends.Backend{sg, pg} {
				got := runOps(t, backend, dtype, []array{big}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
					y, err := b.Slice(p[0], starts, limits, st)
					return []backends.Op{y}, err
				})
				requireArraysClose(t, want, got[0], 0, fmt.Sprintf("%s %s strides=%v", backend.Name(), dtype, st))
			}
		}
	}
}

// mustNode returns a node built on backend.
func mustNode(t *testing.T, backend backends.Backend) *simplego.Node {
	b := backend.Builder("node")
	op, err := b.Constant([]float32{1, 2}, 2)
	require.NoError(t, err)
	node, ok := op.(*simplego.Node)
	require.True(t, ok)
	return node
}

// ExampleNew runs a strided convolution — which simplego alone rejects without explicit
// strides and cannot differentiate — and its gradient on the purego backend.
func ExampleNew() {
	backend := New()
	grads := graph.MustExecOnceN(backend, func(x, k *graph.Node) []*graph.Node {
		y := graph.Convolve(x, k).StridePerAxis(2, 2).PadSame().Done() // [1, 2, 2, 1]
		return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(y), x, k)...)
	}, tensors.FromValue([][][][]float32{{{{1}, {2}, {3}, {4}}, {{5}, {6}, {7}, {8}}, {{9}, {10}, {11}, {12}}, {{13}, {14}, {15}, {16}}}}),
		tensors.FromValue([][][][]float32{{{{1}}, {{0}}}, {{{0}}, {{1}}}})) // 2x2 kernel: x[i,j] + x[i+1,j+1]
	fmt.Println("y:", grads[0].Value())
	fmt.Println("dy/dk:", grads[2].Value())
	// Output:
	// y: [[[[7] [11]] [[23] [27]]]]
	// dy/dk: [[[[24]] [[28]]] [[[40]] [[44]]]]
}

// TestFastPathsRecognizeNodes guards against a GoMLX upgrade silently disabling the fast
// executors: they read simplego's unexported node data by field name.
func TestFastPathsRecognizeNodes(t *testing.T) {
	b := New().Builder("nodes").(*Builder)
	x, err := b.Parameter("x", shapeOf(dtypes.Float32, 2, 5, 5, 3), nil)
	require.NoError(t, err)
	k, err := b.Parameter("k", shapeOf(dtypes.Float32, 3, 3, 3, 4), nil)
	require.NoError(t, err)
	node := func(op backends.Op, wantType backends.OpType) *simplego.Node {
		t.Helper()
		// Walk back through Reshape/Transpose wrappers to the node of the wanted type.
		v := reflect.ValueOf(op.(*simplego.Node)).Elem()
		for v.FieldByName("opType").Int() != int64(wantType) {
			inputs := v.FieldByName("inputs")
			require.Positive(t, inputs.Len(), "no %s node found", wantType)
			v = inputs.Index(0).Elem()
		}
		return (*simplego.Node)(v.Addr().UnsafePointer())
	}
	axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	conv, err := b.ConvGeneral(x, k, axes, nil, [][2]int{{1, 1}, {1, 1}}, nil, nil, 1, 1)
	require.NoError(t, err)
	_, outShape, ok := readConvPlan(node(conv, backends.OpTypeConvGeneral), shapeOf(dtypes.Float32, 2, 5, 5, 3), shapeOf(dtypes.Float32, 3, 3, 3, 4))
	require.True(t, ok)
	require.Equal(t, []int{2, 5, 5, 4}, outShape.Dimensions)

	dot, err := b.DotGeneral(x, []int{3}, nil, k, []int{2}, nil)
	require.NoError(t, err)
	lc, lb, rc, rb, ok := dotAxes(node(dot, backends.OpTypeDotGeneral))
	require.True(t, ok)
	require.Equal(t, [][]int{{2}, {0}, {1}, {0}}, [][]int{lc, lb, rc, rb})

	sl, err := b.Slice(x, []int{0, 1, 0, 0}, []int{2, 5, 5, 3}, []int{1, 2, 1, 1})
	require.NoError(t, err)
	f, ok := nodeDataInts(node(sl, backends.OpTypeSlice), "starts", "limits", "strides")
	require.True(t, ok)
	require.Equal(t, []int{1, 2, 1, 1}, f[2])
}
