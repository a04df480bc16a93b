package purego

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/stretchr/testify/require"
)

// array is a dense row-major test tensor held as float64.
type array struct {
	dims []int
	data []float64
}

func newArray(dims ...int) array {
	if dims == nil {
		dims = []int{}
	}
	return array{dims: dims, data: make([]float64, product(dims))}
}

func randArray(rng *rand.Rand, dims ...int) array {
	a := newArray(dims...)
	for i := range a.data {
		a.data[i] = rng.Float64()*2 - 1
	}
	return a
}

// offset of a multi-index.
func (a array) offset(idx []int) int {
	off := 0
	for i, d := range a.dims {
		off = off*d + idx[i]
	}
	return off
}

func (a array) at(idx ...int) float64 { return a.data[a.offset(idx)] }

// runOps builds a computation directly on backend ops (not through the graph package), runs
// it on the given inputs converted to dtype and returns the outputs as arrays.
func runOps(t *testing.T, backend backends.Backend, dtype dtypes.DType, inputs []array,
	build func(b backends.Builder, params []backends.Op) ([]backends.Op, error)) []array {
	t.Helper()
	b := backend.Builder("test")
	params := make([]backends.Op, len(inputs))
	buffers := make([]backends.Buffer, len(inputs))
	for i, in := range inputs {
		p, err := b.Parameter(fmt.Sprintf("x%d", i), shapes.Make(dtype, in.dims...), nil)
		require.NoError(t, err)
		params[i] = p
		var flat any
		switch dtype {
		case dtypes.Float32:
			f := make([]float32, len(in.data))
			for j, v := range in.data {
				f[j] = float32(v)
			}
			flat = f
		case dtypes.Float64:
			flat = append([]float64(nil), in.data...)
		default:
			t.Fatalf("unsupported test dtype %s", dtype)
		}
		buffers[i], err = backend.BufferFromFlatData(0, flat, shapes.Make(dtype, in.dims...))
		require.NoError(t, err)
	}
	outs, err := build(b, params)
	require.NoError(t, err)
	exec, err := b.Compile(outs, nil)
	require.NoError(t, err)
	results, err := exec.Execute(buffers, nil, 0)
	require.NoError(t, err)
	arrays := make([]array, len(results))
	for i, r := range results {
		s, err := backend.BufferShape(r)
		require.NoError(t, err)
		a := newArray(s.Dimensions...)
		switch dtype {
		case dtypes.Float32:
			f := make([]float32, s.Size())
			require.NoError(t, backend.BufferToFlatData(r, f))
			for j, v := range f {
				a.data[j] = float64(v)
			}
		case dtypes.Float64:
			require.NoError(t, backend.BufferToFlatData(r, a.data))
		}
		arrays[i] = a
	}
	return arrays
}

func requireArraysClose(t *testing.T, want, got array, tol float64, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, want.dims, got.dims, msgAndArgs...)
	require.InDeltaSlice(t, want.data, got.data, tol, msgAndArgs...)
}

func shapeOf(dtype dtypes.DType, dims ...int) shapes.Shape { return shapes.Make(dtype, dims...) }
