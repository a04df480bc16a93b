package purego

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/pkg/errors"
)

// DotGeneral contracts lhs and rhs over the contracting axes, aligned on the batch axes; the
// output axes are batch, lhs cross, rhs cross. Float32 operands are transposed (only when
// needed) and reshaped to rank 3 — lhs [batch, M, K] or [batch, K, M], rhs [batch, K, N] or
// [batch, N, K] — so that the fast executor (see execDotGeneral) picks the node up.
func (b *Builder) DotGeneral(lhs backends.Op, lhsContractingAxes, lhsBatchAxes []int, rhs backends.Op, rhsContractingAxes, rhsBatchAxes []int) (backends.Op, error) {
	c := b.compose()
	lhsShape, rhsShape := c.shape(lhs), c.shape(rhs)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego DotGeneral")
	}
	if lhsShape.DType != dtypes.Float32 || rhsShape.DType != dtypes.Float32 {
		// simplego normalizes the axes in place: hand it copies.
		return b.Builder.DotGeneral(lhs, slices.Clone(lhsContractingAxes), slices.Clone(lhsBatchAxes),
			rhs, slices.Clone(rhsContractingAxes), slices.Clone(rhsBatchAxes))
	}
	lc, lb, lcross, err := splitAxes("lhs", lhsShape.Dimensions, lhsContractingAxes, lhsBatchAxes)
	if err != nil {
		return nil, err
	}
	rc, rb, rcross, err := splitAxes("rhs", rhsShape.Dimensions, rhsContractingAxes, rhsBatchAxes)
	if err != nil {
		return nil, err
	}
	if len(lc) != len(rc) || len(lb) != len(rb) {
		return nil, errors.Errorf("purego DotGeneral: lhs has %d contracting/%d batch axes, rhs has %d/%d",
			len(lc), len(lb), len(rc), len(rb))
	}
	for i := range lc {
		if lhsShape.Dimensions[lc[i]] != rhsShape.Dimensions[rc[i]] {
			return nil, errors.Errorf("purego DotGeneral: contracting dimensions differ: lhs[%d]=%d, rhs[%d]=%d",
				lc[i], lhsShape.Dimensions[lc[i]], rc[i], rhsShape.Dimensions[rc[i]])
		}
	}
	for i := range lb {
		if lhsShape.Dimensions[lb[i]] != rhsShape.Dimensions[rb[i]] {
			return nil, errors.Errorf("purego DotGeneral: batch dimensions differ: lhs[%d]=%d, rhs[%d]=%d",
				lb[i], lhsShape.Dimensions[lb[i]], rb[i], rhsShape.Dimensions[rb[i]])
		}
	}
	gather := func(dims, axes []int) []int {
		out := make([]int, len(axes))
		for i, a := range axes {
			out[i] = dims[a]
		}
		return out
	}
	batchDims := gather(lhsShape.Dimensions, lb)
	lhsCrossDims, rhsCrossDims := gather(lhsShape.Dimensions, lcross), gather(rhsShape.Dimensions, rcross)
	batch, m, n, k := product(batchDims), product(lhsCrossDims), product(rhsCrossDims), product(gather(lhsShape.Dimensions, lc))

	// lhs as [batch, M, K] (contracting axis 2) unless it is already [batch, K, M] in memory.
	lhsAxis := 2
	lhsPerm := slices.Concat(lb, lcross, lc)
	if km := slices.Concat(lb, lc, lcross); !isIdentity(lhsPerm) && isIdentity(km) {
		lhsPerm, lhsAxis = km, 1
	}
	lhs3 := c.transpose(lhs, lhsPerm...)
	if lhsAxis == 2 {
		lhs3 = c.reshape(lhs3, batch, m, k)
	} else {
		lhs3 = c.reshape(lhs3, batch, k, m)
	}
	// rhs as [batch, K, N] (contracting axis 1) unless it is already [batch, N, K] in memory.
	rhsAxis := 1
	rhsPerm := slices.Concat(rb, rc, rcross)
	if nk := slices.Concat(rb, rcross, rc); !isIdentity(rhsPerm) && isIdentity(nk) {
		rhsPerm, rhsAxis = nk, 2
	}
	rhs3 := c.transpose(rhs, rhsPerm...)
	if rhsAxis == 1 {
		rhs3 = c.reshape(rhs3, batch, k, n)
	} else {
		rhs3 = c.reshape(rhs3, batch, n, k)
	}
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego DotGeneral")
	}
	out := c.set(b.Builder.DotGeneral(lhs3, []int{lhsAxis}, []int{0}, rhs3, []int{rhsAxis}, []int{0}))
	out = c.reshape(out, slices.Concat(batchDims, lhsCrossDims, rhsCrossDims)...)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego DotGeneral")
	}
	return out, nil
}

// splitAxes validates contracting and batch axes (negative values count from the end) and
// returns them with the remaining (cross) axes in order.
func splitAxes(side string, dims, contracting, batch []int) (c, b, cross []int, err error) {
	rank := len(dims)
	used := make([]bool, rank)
	norm := func(kind string, axes []int) ([]int, error) {
		out := make([]int, len(axes))
		for i, a := range axes {
			if a < 0 {
				a += rank
			}
			if a < 0 || a >= rank {
				return nil, errors.Errorf("purego DotGeneral: %s %s axis %d out of range for rank %d", side, kind, axes[i], rank)
			}
			if used[a] {
				return nil, errors.Errorf("purego DotGeneral: %s axis %d used twice", side, a)
			}
			used[a] = true
			out[i] = a
		}
		return out, nil
	}
	if c, err = norm("contracting", contracting); err != nil {
		return
	}
	if b, err = norm("batch", batch); err != nil {
		return
	}
	for a := range rank {
		if !used[a] {
			cross = append(cross, a)
		}
	}
	return
}

// Dot is the matrix/vector product; it is routed through DotGeneral so it gets the fast path.
func (b *Builder) Dot(lhs, rhs backends.Op) (backends.Op, error) {
	c := b.compose()
	ls, rs := c.shape(lhs), c.shape(rhs)
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego Dot")
	}
	switch {
	case ls.Rank() == 1 && rs.Rank() == 1:
		return b.DotGeneral(lhs, []int{0}, nil, rhs, []int{0}, nil)
	case ls.Rank() == 2 && (rs.Rank() == 1 || rs.Rank() == 2):
		return b.DotGeneral(lhs, []int{1}, nil, rhs, []int{0}, nil)
	}
	return nil, errors.Errorf("purego Dot: operands must be rank 1 or 2 (lhs %s, rhs %s)", ls, rs)
}
