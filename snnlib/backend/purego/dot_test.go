package purego

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// naiveDotGeneral evaluates DotGeneral's definition: output axes are batch, lhs cross, rhs cross.
func naiveDotGeneral(lhs array, lc, lb []int, rhs array, rc, rb []int) array {
	_, _, lcross, _ := splitAxes("lhs", lhs.dims, lc, lb)
	_, _, rcross, _ := splitAxes("rhs", rhs.dims, rc, rb)
	var outDims, contractDims []int
	for _, a := range lb {
		outDims = append(outDims, lhs.dims[a])
	}
	for _, a := range lcross {
		outDims = append(outDims, lhs.dims[a])
	}
	for _, a := range rcross {
		outDims = append(outDims, rhs.dims[a])
	}
	for _, a := range lc {
		contractDims = append(contractDims, lhs.dims[a])
	}
	out := newArray(outDims...)
	li, ri := make([]int, len(lhs.dims)), make([]int, len(rhs.dims))
	forEachIndex(outDims, func(o []int) {
		pos := 0
		for i := range lb {
			li[lb[i]], ri[rb[i]] = o[pos], o[pos]
			pos++
		}
		for _, a := range lcross {
			li[a] = o[pos]
			pos++
		}
		for _, a := range rcross {
			ri[a] = o[pos]
			pos++
		}
		var sum float64
		forEachIndex(contractDims, func(c []int) {
			for i := range c {
				li[lc[i]], ri[rc[i]] = c[i], c[i]
			}
			sum += lhs.at(li...) * rhs.at(ri...)
		})
		out.data[out.offset(o)] = sum
	})
	return out
}

func TestDotGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	backend := New()
	for ci, tc := range []struct {
		lhsDims, lc, lb, rhsDims, rc, rb []int
	}{
		{[]int{1, 1}, []int{1}, nil, []int{1, 1}, []int{0}, nil},
		{[]int{7, 5}, []int{1}, nil, []int{5, 13}, []int{0}, nil},
		{[]int{129, 33}, []int{1}, nil, []int{33, 65}, []int{0}, nil},
		{[]int{33, 129}, []int{0}, nil, []int{65, 33}, []int{1}, nil},              // both transposed in memory
		{[]int{3, 17, 9}, []int{2}, []int{0}, []int{3, 9, 11}, []int{1}, []int{0}}, // batched
		{[]int{9, 3, 17}, []int{0}, []int{1}, []int{11, 3, 9}, []int{2}, []int{1}}, // batched, odd axes
		{[]int{2, 4, 3, 5}, []int{1, 3}, []int{0}, []int{5, 2, 6, 4}, []int{3, 0}, []int{1}},
		{[]int{6}, []int{0}, nil, []int{6}, []int{0}, nil},
	} {
		lhs, rhs := randArray(rng, tc.lhsDims...), randArray(rng, tc.rhsDims...)
		want := naiveDotGeneral(lhs, tc.lc, tc.lb, rhs, tc.rc, tc.rb)
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			got := runOps(t, backend, dtype, []array{lhs, rhs}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
				y, err := b.DotGeneral(p[0], tc.lc, tc.lb, p[1], tc.rc, tc.rb)
				return []backends.Op{y}, err
			})
			requireArraysClose(t, want, got[0], 1e-4, fmt.Sprintf("case %d %s", ci, dtype))
		}
	}
}
