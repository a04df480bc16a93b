package purego

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/stretchr/testify/require"
)

func naiveReverse(x array, axes []int) array {
	out := newArray(x.dims...)
	src := make([]int, len(x.dims))
	forEachIndex(x.dims, func(idx []int) {
		copy(src, idx)
		for _, a := range axes {
			src[a] = x.dims[a] - 1 - idx[a]
		}
		out.data[out.offset(idx)] = x.at(src...)
	})
	return out
}

func TestReverse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	backend := New()
	for _, tc := range []struct {
		dims, axes []int
	}{{[]int{5}, []int{0}}, {[]int{3, 1, 4}, []int{0, 1, 2}}, {[]int{2, 3, 5, 7}, []int{1, 3}}, {[]int{4, 3}, nil}} {
		x := randArray(rng, tc.dims...)
		got := runOps(t, backend, dtypes.Float64, []array{x}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
			y, err := b.Reverse(p[0], tc.axes...)
			return []backends.Op{y}, err
		})
		requireArraysClose(t, naiveReverse(x, tc.axes), got[0], 0, "dims=%v axes=%v", tc.dims, tc.axes)
	}
	_, err := backend.Builder("bad").(*Builder).Reverse(nil, 0)
	require.Error(t, err)
}

func naivePad(x array, fill float64, conf []backends.PadAxis) array {
	dims := slices.Clone(x.dims)
	for a, c := range conf {
		dims[a] = c.Start + c.End + x.dims[a] + max(x.dims[a]-1, 0)*c.Interior
	}
	out := newArray(dims...)
	for i := range out.data {
		out.data[i] = fill
	}
	dst := make([]int, len(dims))
	forEachIndex(x.dims, func(idx []int) {
		for a := range idx {
			dst[a] = idx[a]
			if a < len(conf) {
				dst[a] = conf[a].Start + idx[a]*(conf[a].Interior+1)
			}
			if dst[a] < 0 || dst[a] >= dims[a] {
				return
			}
		}
		out.data[out.offset(dst)] = x.at(idx...)
	})
	return out
}

func TestPad(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	backend := New()
	for _, tc := range []struct {
		dims []int
		conf []backends.PadAxis
	}{
		{[]int{5}, []backends.PadAxis{{Start: 2, End: 1}}},
		{[]int{5}, []backends.PadAxis{{Start: 1, End: 3, Interior: 2}}},
		{[]int{3, 4}, []backends.PadAxis{{Start: -1, End: 2}, {Start: 0, End: -2, Interior: 1}}},
		{[]int{2, 3, 5}, []backends.PadAxis{{}, {Start: -2, End: -1, Interior: 3}, {Start: 3, End: -4, Interior: 1}}},
		{[]int{1, 7}, []backends.PadAxis{{Start: 1, End: 1, Interior: 5}}},
		{[]int{4, 3, 2}, []backends.PadAxis{{Start: 1}}},
	} {
		x := randArray(rng, tc.dims...)
		for _, dtype := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
			got := runOps(t, backend, dtype, []array{x}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
				fill, err := b.Constant([]float64{-7.5}) // exactly representable in float32 too
				if err != nil {
					return nil, err
				}
				if dtype == dtypes.Float32 {
					fill, err = b.ConvertDType(fill, dtypes.Float32)
					if err != nil {
						return nil, err
					}
				}
				y, err := b.Pad(p[0], fill, tc.conf...)
				return []backends.Op{y}, err
			})
			requireArraysClose(t, naivePad(x, -7.5, tc.conf), got[0], 1e-6, "dims=%v conf=%+v %s", tc.dims, tc.conf, dtype)
		}
	}
}

func TestPadErrors(t *testing.T) {
	backend := New()
	b := backend.Builder("pad")
	x, err := b.Parameter("x", shapeOf(dtypes.Float32, 3), nil)
	require.NoError(t, err)
	fill, err := b.Constant([]float32{0})
	require.NoError(t, err)
	_, err = b.Pad(x, fill, backends.PadAxis{Start: -2, End: -2})
	require.ErrorContains(t, err, "removes more than the 3 elements")
	_, err = b.Pad(x, fill, backends.PadAxis{}, backends.PadAxis{})
	require.ErrorContains(t, err, "2 padding configs given for operand of rank 1")
	_, err = b.Pad(x, fill, backends.PadAxis{Interior: -1})
	require.ErrorContains(t, err, "interior padding -1")
}

func naiveSelectAndScatter(isMax bool, x, src array, window, strides []int, paddings [][2]int) array {
	out := newArray(x.dims...)
	rank := len(x.dims)
	pos := make([]int, rank)
	best := make([]int, rank)
	forEachIndex(src.dims, func(o []int) {
		bestVal := math.Inf(-1)
		if !isMax {
			bestVal = math.Inf(1)
		}
		found, inside := false, false
		forEachIndex(window, func(k []int) {
			in := true
			for a := range rank {
				pos[a] = o[a]*strides[a] + k[a] - paddings[a][0]
				in = in && pos[a] >= 0 && pos[a] < x.dims[a]
			}
			v := math.Inf(-1)
			if !isMax {
				v = math.Inf(1)
			}
			if in {
				v = x.at(pos...)
			}
			if !found || (isMax && v > bestVal) || (!isMax && v < bestVal) {
				found, inside, bestVal = true, in, v
				copy(best, pos)
			}
		})
		if inside {
			out.data[out.offset(best)] += src.at(o...)
		}
	})
	return out
}

func TestSelectAndScatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	backend := New()
	for _, tc := range []struct {
		dims, window, strides []int
		paddings              [][2]int
		ties                  bool
	}{
		{[]int{2, 6, 6, 3}, []int{1, 2, 2, 1}, []int{1, 2, 2, 1}, nil, false},
		{[]int{1, 7, 5, 2}, []int{1, 3, 3, 1}, []int{1, 2, 1, 1}, [][2]int{{0, 0}, {1, 1}, {1, 0}, {0, 0}}, false},
		{[]int{9}, []int{3}, []int{2}, [][2]int{{2, 1}}, true},
		{[]int{2, 5, 4}, []int{2, 2, 3}, []int{1, 1, 1}, nil, true},
	} {
		x := randArray(rng, tc.dims...)
		if tc.ties { // few distinct values: the first maximum in window order must win
			for i := range x.data {
				x.data[i] = math.Round(x.data[i] * 2)
			}
		}
		paddings := tc.paddings
		if paddings == nil {
			paddings = make([][2]int, len(tc.dims))
		}
		outDims := make([]int, len(tc.dims))
		for a := range outDims {
			outDims[a] = (tc.dims[a]+paddings[a][0]+paddings[a][1]-tc.window[a])/tc.strides[a] + 1
		}
		src := randArray(rng, outDims...)
		for _, isMax := range []bool{true, false} {
			got := runOps(t, backend, dtypes.Float64, []array{x, src}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
				var y backends.Op
				var err error
				if isMax {
					y, err = b.SelectAndScatterMax(p[0], p[1], tc.window, tc.strides, tc.paddings)
				} else {
					y, err = b.SelectAndScatterMin(p[0], p[1], tc.window, tc.strides, tc.paddings)
				}
				return []backends.Op{y}, err
			})
			want := naiveSelectAndScatter(isMax, x, src, tc.window, tc.strides, paddings)
			requireArraysClose(t, want, got[0], 1e-12, "dims=%v window=%v strides=%v max=%v", tc.dims, tc.window, tc.strides, isMax)
		}
	}
}

func TestBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	backend := New()
	const eps = 1e-3
	for _, tc := range []struct {
		dims        []int
		featureAxis int
	}{{[]int{4, 3, 3, 5}, 3}, {[]int{3, 2, 5}, 1}, {[]int{7, 2}, 0}} {
		x := randArray(rng, tc.dims...)
		for i := range x.data {
			x.data[i] = 3*x.data[i] + 1
		}
		nf := tc.dims[tc.featureAxis]
		scale, offset, dy := randArray(rng, nf), randArray(rng, nf), randArray(rng, tc.dims...)
		mean, variance := newArray(nf), newArray(nf)
		count := float64(len(x.data) / nf)
		forEachIndex(tc.dims, func(idx []int) { mean.data[idx[tc.featureAxis]] += x.at(idx...) / count })
		forEachIndex(tc.dims, func(idx []int) {
			d := x.at(idx...) - mean.data[idx[tc.featureAxis]]
			variance.data[idx[tc.featureAxis]] += d * d / count
		})
		norm, gradX := newArray(tc.dims...), newArray(tc.dims...)
		gradScale, gradOffset := newArray(nf), newArray(nf)
		xhat := func(idx []int) float64 {
			f := idx[tc.featureAxis]
			return (x.at(idx...) - mean.data[f]) / math.Sqrt(variance.data[f]+eps)
		}
		forEachIndex(tc.dims, func(idx []int) {
			f := idx[tc.featureAxis]
			norm.data[norm.offset(idx)] = xhat(idx)*scale.data[f] + offset.data[f]
			gradOffset.data[f] += dy.at(idx...)
			gradScale.data[f] += dy.at(idx...) * xhat(idx)
		})
		forEachIndex(tc.dims, func(idx []int) {
			f := idx[tc.featureAxis]
			gradX.data[gradX.offset(idx)] = scale.data[f] / math.Sqrt(variance.data[f]+eps) *
				(dy.at(idx...) - gradOffset.data[f]/count - xhat(idx)*gradScale.data[f]/count)
		})
		got := runOps(t, backend, dtypes.Float64, []array{x, scale, offset, dy}, func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
			n, m, v, err := b.BatchNormForTraining(p[0], p[1], p[2], eps, tc.featureAxis)
			if err != nil {
				return nil, err
			}
			inf, err := b.BatchNormForInference(p[0], p[1], p[2], m, v, eps, tc.featureAxis)
			if err != nil {
				return nil, err
			}
			gx, gs, go_, err := b.BatchNormGradient(p[0], p[1], m, v, p[3], eps, tc.featureAxis)
			return []backends.Op{n, m, v, inf, gx, gs, go_}, err
		})
		name := fmt.Sprintf("dims=%v axis=%d", tc.dims, tc.featureAxis)
		requireArraysClose(t, norm, got[0], 1e-9, name)
		requireArraysClose(t, mean, got[1], 1e-9, name)
		requireArraysClose(t, variance, got[2], 1e-9, name)
		requireArraysClose(t, norm, got[3], 1e-9, name)
		requireArraysClose(t, gradX, got[4], 1e-9, name)
		requireArraysClose(t, gradScale, got[5], 1e-9, name)
		requireArraysClose(t, gradOffset, got[6], 1e-9, name)
	}
	b := backend.Builder("bn")
	x, _ := b.Parameter("x", shapeOf(dtypes.Float32, 2, 3), nil)
	s, _ := b.Parameter("s", shapeOf(dtypes.Float32, 2), nil)
	_, _, _, err := b.BatchNormForTraining(x, s, s, 1e-3, 1)
	require.ErrorContains(t, err, "want (Float32)[3]")
}
