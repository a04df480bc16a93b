package purego

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/pkg/errors"
)

// Reverse returns x with the order of elements along each of axes reversed, composed from
// size-1 slices concatenated in reverse order.
func (b *Builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	c := b.compose()
	shape := c.shape(x)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego Reverse")
	}
	seen := make([]bool, shape.Rank())
	for _, axis := range axes {
		if axis < 0 || axis >= shape.Rank() {
			return nil, errors.Errorf("purego Reverse: axis %d out of range for operand shape %s", axis, shape)
		}
		if seen[axis] {
			return nil, errors.Errorf("purego Reverse: axis %d given twice", axis)
		}
		seen[axis] = true
		dim := shape.Dimensions[axis]
		if dim <= 1 {
			continue
		}
		parts := make([]backends.Op, dim)
		for i := range dim {
			parts[dim-1-i] = c.sliceAxis(x, shape.Dimensions, axis, i, i+1, 1)
		}
		x = c.concat(axis, parts...)
	}
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego Reverse")
	}
	return x, nil
}

// sliceAxis slices x (of the given dims) along one axis only.
func (c *composer) sliceAxis(x backends.Op, dims []int, axis, start, limit, stride int) backends.Op {
	starts := make([]int, len(dims))
	limits := slices.Clone(dims)
	strides := ones(len(dims))
	starts[axis], limits[axis], strides[axis] = start, limit, stride
	return c.slice(x, starts, limits, strides)
}

// Pad pads x with fillValue: per axis, Interior copies between consecutive elements, then
// Start/End copies before/after (negative Start/End remove elements), as in XLA's Pad.
func (b *Builder) Pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	c := b.compose()
	y := c.pad(x, fillValue, axesConfig...)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego Pad")
	}
	return y, nil
}

func (c *composer) pad(x, fillValue backends.Op, axesConfig ...backends.PadAxis) backends.Op {
	shape := c.shape(x)
	fillShape := c.shape(fillValue)
	if c.err != nil {
		return nil
	}
	if len(axesConfig) > shape.Rank() {
		c.err = errors.Errorf("%d padding configs given for operand of rank %d (shape %s)", len(axesConfig), shape.Rank(), shape)
		return nil
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		c.err = errors.Errorf("fill value must be a scalar of dtype %s, got shape %s", shape.DType, fillShape)
		return nil
	}
	dims := slices.Clone(shape.Dimensions)
	for axis, conf := range axesConfig {
		if conf.Interior < 0 {
			c.err = errors.Errorf("axis %d: interior padding %d must be >= 0", axis, conf.Interior)
			return nil
		}
		if conf.Interior > 0 && dims[axis] > 1 {
			// Interleave: [.., D, ..] -> [.., D, 1+I, ..] -> [.., D*(1+I), ..], then drop the
			// trailing I fill values.
			d, n := dims[axis], conf.Interior
			expanded := slices.Insert(slices.Clone(dims), axis+1, 1)
			xe := c.reshape(x, expanded...)
			expanded[axis+1] = n
			fill := c.fill(fillValue, shape.DType, expanded...)
			xe = c.concat(axis+1, xe, fill)
			merged := slices.Clone(dims)
			merged[axis] = d * (1 + n)
			x = c.reshape(xe, merged...)
			x = c.sliceAxis(x, merged, axis, 0, d+(d-1)*n, 1)
			dims[axis] = d + (d-1)*n
		}
		start, end := conf.Start, conf.End
		if start < 0 || end < 0 {
			lo, hi := max(-start, 0), dims[axis]-max(-end, 0)
			if lo > hi {
				c.err = errors.Errorf("axis %d: negative padding (start=%d, end=%d) removes more than the %d elements available",
					axis, start, end, dims[axis])
				return nil
			}
			x = c.sliceAxis(x, dims, axis, lo, hi, 1)
			dims[axis] = hi - lo
		}
		if start > 0 || end > 0 {
			parts := make([]backends.Op, 0, 3)
			if start > 0 {
				fillDims := slices.Clone(dims)
				fillDims[axis] = start
				parts = append(parts, c.fill(fillValue, shape.DType, fillDims...))
			}
			parts = append(parts, x)
			if end > 0 {
				fillDims := slices.Clone(dims)
				fillDims[axis] = end
				parts = append(parts, c.fill(fillValue, shape.DType, fillDims...))
			}
			x = c.concat(axis, parts...)
			dims[axis] += max(start, 0) + max(end, 0)
		}
	}
	return x
}
