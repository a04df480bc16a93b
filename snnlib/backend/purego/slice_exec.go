package purego

import (
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// execSlice replaces simplego's element-by-element Slice executor (the im2col in ConvGeneral
// is mostly slices): it copies contiguous innermost runs with copy() and splits large slices
// across goroutines. Dtypes other than float32/float64 go to simplego's executor.
func execSlice(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	if !fromPurego(node) {
		return simplegoSlice(backend, node, inputs, inputsOwned)
	}
	if out, ok := fastSlice(backend, node, inputs); ok {
		return out, nil
	}
	return simplegoSlice(backend, node, inputs, inputsOwned)
}

func fastSlice(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer) (*simplego.Buffer, bool) {
	if len(inputs) != 1 {
		return nil, false
	}
	shape, err := backend.BufferShape(inputs[0])
	if err != nil || shape.Rank() == 0 || (shape.DType != dtypes.Float32 && shape.DType != dtypes.Float64) {
		return nil, false
	}
	f, ok := nodeDataInts(node, "starts", "limits", "strides")
	if !ok {
		return nil, false
	}
	starts, limits, strides := f[0], f[1], f[2]
	rank := shape.Rank()
	if len(starts) != rank || len(limits) != rank || len(strides) != rank {
		return nil, false
	}
	outDims := make([]int, rank)
	for i := range rank {
		if strides[i] < 1 || starts[i] < 0 || limits[i] > shape.Dimensions[i] || limits[i] <= starts[i] {
			return nil, false
		}
		outDims[i] = (limits[i] - starts[i] + strides[i] - 1) / strides[i]
	}
	output := backend.NewBuffer(shapes.Make(shape.DType, outDims...))
	if output == nil {
		return nil, false
	}
	src, err1 := backend.BufferData(inputs[0])
	dst, err2 := backend.BufferData(output)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	switch shape.DType {
	case dtypes.Float32:
		sliceCopy(src.([]float32), shape.Dimensions, starts, strides, dst.([]float32), outDims)
	case dtypes.Float64:
		sliceCopy(src.([]float64), shape.Dimensions, starts, strides, dst.([]float64), outDims)
	}
	return output, true
}

// sliceParallelElems is the output size above which a slice is copied by several goroutines.
const sliceParallelElems = 1 << 16

// sliceCopy copies the strided slice of src (dims srcDims) starting at starts into dst (dims dstDims).
func sliceCopy[T any](src []T, srcDims, starts, strides []int, dst []T, dstDims []int) {
	rank := len(srcDims)
	step := make([]int, rank) // flat src step per output index along each axis
	base, stride := 0, 1
	for axis := rank - 1; axis >= 0; axis-- {
		base += starts[axis] * stride
		step[axis] = stride * strides[axis]
		stride *= srcDims[axis]
	}
	inner, innerStep := dstDims[rank-1], step[rank-1]
	numRows := len(dst) / inner
	copyRows := func(r0, r1 int) {
		idx := make([]int, rank-1) // multi-index of row r0 over dstDims[:rank-1]
		off := base
		for axis, rem := rank-2, r0; axis >= 0; axis-- {
			idx[axis] = rem % dstDims[axis]
			rem /= dstDims[axis]
			off += idx[axis] * step[axis]
		}
		for r := r0; r < r1; r++ {
			row := dst[r*inner : (r+1)*inner]
			if innerStep == 1 {
				copy(row, src[off:off+inner])
			} else {
				for j := range row {
					row[j] = src[off+j*innerStep]
				}
			}
			for axis := rank - 2; axis >= 0; axis-- {
				idx[axis]++
				off += step[axis]
				if idx[axis] < dstDims[axis] {
					break
				}
				off -= idx[axis] * step[axis]
				idx[axis] = 0
			}
		}
	}
	workers := defaultWorkers()
	if len(dst) < sliceParallelElems || workers == 1 || numRows < 2*workers {
		copyRows(0, numRows)
		return
	}
	chunks := 4 * workers
	parallelFor(chunks, workers, func(i int) {
		copyRows(i*numRows/chunks, (i+1)*numRows/chunks)
	})
}
