package purego

import (
	"math"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// composer builds a chain of simplego ops, keeping the first error so that compositions read
// as straight-line code; after an error every method is a no-op returning nil.
type composer struct {
	b   *simplego.Builder
	err error
}

func (b *Builder) compose() *composer { return &composer{b: b.Builder} }

func (c *composer) set(op backends.Op, err error) backends.Op {
	if err != nil {
		c.err = err
		return nil
	}
	return op
}

func (c *composer) shape(x backends.Op) shapes.Shape {
	if c.err != nil {
		return shapes.Invalid()
	}
	s, err := c.b.OpShape(x)
	if err != nil {
		c.err = err
	}
	return s
}

func (c *composer) slice(x backends.Op, starts, limits, strides []int) backends.Op {
	if c.err != nil {
		return nil
	}
	// simplego keeps the slices it is given: pass copies, callers reuse theirs.
	return c.set(c.b.Slice(x, slices.Clone(starts), slices.Clone(limits), slices.Clone(strides)))
}

func (c *composer) concat(axis int, xs ...backends.Op) backends.Op {
	if c.err != nil {
		return nil
	}
	if len(xs) == 1 {
		return xs[0]
	}
	return c.set(c.b.Concatenate(axis, xs...))
}

func (c *composer) reshape(x backends.Op, dims ...int) backends.Op {
	if c.err != nil {
		return nil
	}
	return c.set(c.b.Reshape(x, slices.Clone(dims)...))
}

// transpose skips identity permutations, which simplego would otherwise copy.
func (c *composer) transpose(x backends.Op, perm ...int) backends.Op {
	if c.err != nil {
		return nil
	}
	if isIdentity(perm) {
		return x
	}
	return c.set(c.b.Transpose(x, slices.Clone(perm)...))
}

// broadcast expands x to shape, mapping x's axes to axes of the output.
func (c *composer) broadcast(x backends.Op, shape shapes.Shape, axes ...int) backends.Op {
	if c.err != nil {
		return nil
	}
	if axes == nil {
		axes = []int{}
	}
	return c.set(c.b.BroadcastInDim(x, shape.Clone(), slices.Clone(axes)))
}

// fill returns a tensor of the given dtype and dimensions filled with the scalar op value.
func (c *composer) fill(value backends.Op, dtype dtypes.DType, dims ...int) backends.Op {
	return c.broadcast(value, shapes.Make(dtype, dims...))
}

// scalar returns a constant of the given dtype holding v (ints truncate; ±Inf saturates).
func (c *composer) scalar(dtype dtypes.DType, v float64) backends.Op {
	if c.err != nil {
		return nil
	}
	var flat any
	switch dtype {
	case dtypes.Float32:
		flat = []float32{float32(v)}
	case dtypes.Float64:
		flat = []float64{v}
	case dtypes.Int32:
		flat = []int32{int32(max(min(v, math.MaxInt32), math.MinInt32))}
	case dtypes.Int64:
		flat = []int64{int64(max(min(v, math.MaxInt64), math.MinInt64))}
	default:
		c.err = errors.Errorf("purego: dtype %s not supported here (only Float32, Float64, Int32, Int64)", dtype)
		return nil
	}
	return c.set(c.b.Constant(flat))
}

func (c *composer) binary(f func(a, b backends.Op) (backends.Op, error), x, y backends.Op) backends.Op {
	if c.err != nil {
		return nil
	}
	return c.set(f(x, y))
}

func (c *composer) add(x, y backends.Op) backends.Op { return c.binary(c.b.Add, x, y) }
func (c *composer) sub(x, y backends.Op) backends.Op { return c.binary(c.b.Sub, x, y) }
func (c *composer) mul(x, y backends.Op) backends.Op { return c.binary(c.b.Mul, x, y) }

func (c *composer) unary(f func(a backends.Op) (backends.Op, error), x backends.Op) backends.Op {
	if c.err != nil {
		return nil
	}
	return c.set(f(x))
}

func (c *composer) reduceSum(x backends.Op, axes ...int) backends.Op {
	if c.err != nil {
		return nil
	}
	return c.set(c.b.ReduceSum(x, slices.Clone(axes)...))
}

func (c *composer) where(cond, onTrue, onFalse backends.Op) backends.Op {
	if c.err != nil {
		return nil
	}
	return c.set(c.b.Where(cond, onTrue, onFalse))
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if i != p {
			return false
		}
	}
	return true
}

func product(xs []int) int {
	p := 1
	for _, x := range xs {
		p *= x
	}
	return p
}

// ones returns a slice of n ones (default strides/dilations).
func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// orOnes returns s, or n ones when s is empty; it errors when s has the wrong length or
// holds values < 1.
func orOnes(what string, s []int, n int) ([]int, error) {
	if len(s) == 0 {
		return ones(n), nil
	}
	if len(s) != n {
		return nil, errors.Errorf("purego: %s has %d values, want %d (one per spatial axis)", what, len(s), n)
	}
	for i, v := range s {
		if v < 1 {
			return nil, errors.Errorf("purego: %s[%d]=%d must be >= 1", what, i, v)
		}
	}
	return s, nil
}

// forEachIndex calls fn with every multi-index of dims in row-major order; fn must not keep idx.
func forEachIndex(dims []int, fn func(idx []int)) {
	idx := make([]int, len(dims))
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	for {
		fn(idx)
		axis := len(dims) - 1
		for ; axis >= 0; axis-- {
			idx[axis]++
			if idx[axis] < dims[axis] {
				break
			}
			idx[axis] = 0
		}
		if axis < 0 {
			return
		}
	}
}
