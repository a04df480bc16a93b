package purego

import (
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/pkg/errors"
)

// SelectAndScatterMax is the gradient of max-pooling: each window of operand selects its
// first maximal element (row-major window order), and the window's source value is added there.
func (b *Builder) SelectAndScatterMax(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(true, operand, source, windowDimensions, windowStrides, paddings)
}

// SelectAndScatterMin is like SelectAndScatterMax, selecting each window's first minimum.
func (b *Builder) SelectAndScatterMin(operand, source backends.Op, windowDimensions, windowStrides []int, paddings [][2]int) (backends.Op, error) {
	return b.selectAndScatter(false, operand, source, windowDimensions, windowStrides, paddings)
}

// selectAndScatter loops over the window offsets: the elements at one offset of every window
// form a strided slice; those equal to the window's reduced value (and not yet taken by an
// earlier offset) receive the source values, which a strided Pad scatters back in place.
func (b *Builder) selectAndScatter(isMax bool, operand, source backends.Op, window, strides []int, paddings [][2]int) (backends.Op, error) {
	name := "purego SelectAndScatterMin"
	reduceOp, padValue := backends.ReduceOpMin, math.Inf(1)
	if isMax {
		name = "purego SelectAndScatterMax"
		reduceOp, padValue = backends.ReduceOpMax, math.Inf(-1)
	}
	c := b.compose()
	shape := c.shape(operand)
	srcShape := c.shape(source)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, name)
	}
	rank := shape.Rank()
	if len(window) != rank {
		return nil, errors.Errorf("%s: %d window dimensions for operand of rank %d", name, len(window), rank)
	}
	if len(strides) == 0 {
		strides = window
	}
	if len(strides) != rank {
		return nil, errors.Errorf("%s: %d window strides for operand of rank %d", name, len(strides), rank)
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, rank)
	}
	if len(paddings) != rank {
		return nil, errors.Errorf("%s: %d paddings for operand of rank %d", name, len(paddings), rank)
	}
	padConf := make([]backends.PadAxis, rank)
	paddedDims := make([]int, rank)
	for axis := range rank {
		if paddings[axis][0] < 0 || paddings[axis][1] < 0 {
			return nil, errors.Errorf("%s: negative padding %v on axis %d", name, paddings[axis], axis)
		}
		if window[axis] < 1 || strides[axis] < 1 {
			return nil, errors.Errorf("%s: window %d and stride %d on axis %d must be >= 1", name, window[axis], strides[axis], axis)
		}
		padConf[axis] = backends.PadAxis{Start: paddings[axis][0], End: paddings[axis][1]}
		paddedDims[axis] = shape.Dimensions[axis] + paddings[axis][0] + paddings[axis][1]
	}
	reduced := c.set(b.Builder.ReduceWindow(operand, reduceOp, slices.Clone(window), slices.Clone(strides), nil, nil, slices.Clone(paddings)))
	outShape := c.shape(reduced)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, name)
	}
	if !outShape.Equal(srcShape) {
		return nil, errors.Errorf("%s: source shape %s must equal the pooled operand shape %s", name, srcShape, outShape)
	}
	dtype := shape.DType
	padded := c.pad(operand, c.scalar(dtype, padValue), padConf...)
	zero := c.scalar(dtype, 0)
	zeros := c.fill(zero, dtype, outShape.Dimensions...)
	var taken, total backends.Op
	forEachIndex(window, func(offset []int) {
		starts := make([]int, rank)
		limits := make([]int, rank)
		scatter := make([]backends.PadAxis, rank)
		for axis := range rank {
			starts[axis] = offset[axis]
			limits[axis] = offset[axis] + (outShape.Dimensions[axis]-1)*strides[axis] + 1
			scatter[axis] = backends.PadAxis{Start: starts[axis], End: paddedDims[axis] - limits[axis], Interior: strides[axis] - 1}
		}
		candidates := c.slice(padded, starts, limits, strides)
		selected := c.binary(c.b.Equal, candidates, reduced)
		if taken == nil {
			taken = selected
		} else {
			selected = c.binary(c.b.LogicalAnd, selected, c.unary(c.b.LogicalNot, taken))
			taken = c.binary(c.b.LogicalOr, taken, selected)
		}
		contribution := c.pad(c.where(selected, source, zeros), zero, scatter...)
		if total == nil {
			total = contribution
		} else {
			total = c.add(total, contribution)
		}
	})
	if total == nil && c.err == nil {
		return nil, errors.Errorf("%s: empty window %v", name, window)
	}
	unpad := make([]backends.PadAxis, rank)
	for axis := range rank {
		unpad[axis] = backends.PadAxis{Start: -paddings[axis][0], End: -paddings[axis][1]}
	}
	result := c.pad(total, zero, unpad...)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, name)
	}
	return result, nil
}
