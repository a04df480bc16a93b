package purego

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/stretchr/testify/require"
)

// convCase describes a convolution in a canonical [batch, spatial..., channels] form plus the
// axis layouts used to actually lay out input, kernel and output.
type convCase struct {
	batch, inCh, outCh, groups         int
	inSpatial, kSpatial                []int
	strides, inDil, kDil               []int
	paddings                           [][2]int
	inPerm, kPerm, outPerm             []int // canonical axis -> physical axis
	canonicalChannelsLast, nilDefaults bool
}

// permute lays a canonical array out physically: physical axis perm[i] holds canonical axis i.
func permute(x array, perm []int) array {
	dims := make([]int, len(perm))
	for i, p := range perm {
		dims[p] = x.dims[i]
	}
	out := newArray(dims...)
	dst := make([]int, len(perm))
	forEachIndex(x.dims, func(idx []int) {
		for i, p := range perm {
			dst[p] = idx[i]
		}
		out.data[out.offset(dst)] = x.at(idx...)
	})
	return out
}

// naiveConv evaluates XLA's convolution definition on canonical layouts:
// x [batch, spatial..., inCh], k [spatial..., inCh/groups, outCh] -> [batch, outSpatial..., outCh].
func naiveConv(tc convCase, x, k array) array {
	ns := len(tc.inSpatial)
	outSpatial := make([]int, ns)
	for i := range ns {
		dilated := (tc.inSpatial[i]-1)*tc.inDil[i] + 1 + tc.paddings[i][0] + tc.paddings[i][1]
		effK := (tc.kSpatial[i]-1)*tc.kDil[i] + 1
		outSpatial[i] = (dilated-effK)/tc.strides[i] + 1
	}
	outDims := append(append([]int{tc.batch}, outSpatial...), tc.outCh)
	out := newArray(outDims...)
	cg, og := tc.inCh/tc.groups, tc.outCh/tc.groups
	xIdx := make([]int, ns+2)
	kIdx := make([]int, ns+2)
	forEachIndex(outDims, func(o []int) {
		oc := o[ns+1]
		g := oc / og
		var sum float64
		forEachIndex(tc.kSpatial, func(kk []int) {
			for i := range ns {
				p := o[i+1]*tc.strides[i] + kk[i]*tc.kDil[i] - tc.paddings[i][0]
				if p < 0 || p%tc.inDil[i] != 0 || p/tc.inDil[i] >= tc.inSpatial[i] {
					return
				}
				xIdx[i+1] = p / tc.inDil[i]
				kIdx[i] = kk[i]
			}
			xIdx[0] = o[0]
			for c := range cg {
				xIdx[ns+1] = g*cg + c
				kIdx[ns], kIdx[ns+1] = c, oc
				sum += x.at(xIdx...) * k.at(kIdx...)
			}
		})
		out.data[out.offset(o)] = sum
	})
	return out
}

func TestConvGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	backend := New()
	pad := func(p ...int) [][2]int {
		out := make([][2]int, len(p)/2)
		for i := range out {
			out[i] = [2]int{p[2*i], p[2*i+1]}
		}
		return out
	}
	cases := []convCase{
		// 3x3 SAME, channels last.
		{batch: 2, inCh: 3, outCh: 4, groups: 1, inSpatial: []int{5, 6}, kSpatial: []int{3, 3},
			strides: []int{1, 1}, inDil: []int{1, 1}, kDil: []int{1, 1}, paddings: pad(1, 1, 1, 1), nilDefaults: true},
		// Strided, asymmetric padding, channels first.
		{batch: 3, inCh: 2, outCh: 5, groups: 1, inSpatial: []int{7, 9}, kSpatial: []int{3, 2},
			strides: []int{2, 3}, inDil: []int{1, 1}, kDil: []int{1, 1}, paddings: pad(1, 0, 0, 2),
			inPerm: []int{0, 2, 3, 1}, kPerm: []int{2, 3, 1, 0}, outPerm: []int{0, 2, 3, 1}},
		// Input and kernel dilation with negative padding (as in conv gradients).
		{batch: 1, inCh: 3, outCh: 2, groups: 1, inSpatial: []int{6, 5}, kSpatial: []int{2, 3},
			strides: []int{1, 2}, inDil: []int{2, 3}, kDil: []int{2, 1}, paddings: pad(-1, 2, 1, -2)},
		// Kernel larger than output (loops over output positions), odd layouts.
		{batch: 2, inCh: 3, outCh: 2, groups: 1, inSpatial: []int{8, 7}, kSpatial: []int{6, 5},
			strides: []int{1, 1}, inDil: []int{1, 1}, kDil: []int{1, 1}, paddings: pad(0, 1, 0, 0),
			inPerm: []int{3, 1, 0, 2}, kPerm: []int{0, 3, 2, 1}, outPerm: []int{2, 0, 3, 1}},
		// Channel groups.
		{batch: 2, inCh: 6, outCh: 4, groups: 2, inSpatial: []int{5, 4}, kSpatial: []int{3, 3},
			strides: []int{1, 1}, inDil: []int{1, 1}, kDil: []int{1, 2}, paddings: pad(1, 1, 2, 2)},
		// 1D and 3D.
		{batch: 2, inCh: 3, outCh: 3, groups: 1, inSpatial: []int{11}, kSpatial: []int{4},
			strides: []int{3}, inDil: []int{1}, kDil: []int{2}, paddings: pad(2, 1)},
		{batch: 1, inCh: 2, outCh: 3, groups: 1, inSpatial: []int{4, 3, 5}, kSpatial: []int{2, 2, 3},
			strides: []int{1, 2, 1}, inDil: []int{1, 1, 2}, kDil: []int{1, 1, 1}, paddings: pad(0, 1, 1, 1, 0, 0)},
	}
	for ci, tc := range cases {
		ns := len(tc.inSpatial)
		identity := make([]int, ns+2)
		for i := range identity {
			identity[i] = i
		}
		if tc.inPerm == nil {
			tc.inPerm, tc.kPerm, tc.outPerm = identity, identity, identity
		}
		x := randArray(rng, append(append([]int{tc.batch}, tc.inSpatial...), tc.inCh)...)
		k := randArray(rng, append(append([]int{}, tc.kSpatial...), tc.inCh/tc.groups, tc.outCh)...)
		want := permute(naiveConv(tc, x, k), tc.outPerm)
		var axes backends.ConvolveAxesConfig
		axes.InputBatch, axes.InputChannels = tc.inPerm[0], tc.inPerm[ns+1]
		axes.KernelInputChannels, axes.KernelOutputChannels = tc.kPerm[ns], tc.kPerm[ns+1]
		axes.OutputBatch, axes.OutputChannels = tc.outPerm[0], tc.outPerm[ns+1]
		for i := range ns {
			axes.InputSpatial = append(axes.InputSpatial, tc.inPerm[i+1])
			axes.KernelSpatial = append(axes.KernelSpatial, tc.kPerm[i])
			axes.OutputSpatial = append(axes.OutputSpatial, tc.outPerm[i+1])
		}
		strides, inDil, kDil := tc.strides, tc.inDil, tc.kDil
		if tc.nilDefaults {
			strides, inDil, kDil = nil, nil, nil
		}
		for _, variant := range []struct {
			dtype   dtypes.DType
			compose bool
		}{{dtypes.Float64, true}, {dtypes.Float32, false}, {dtypes.Float32, true}} {
			dtype := variant.dtype
			composeFloat32Conv = variant.compose
			got := runOps(t, backend, dtype, []array{permute(x, tc.inPerm), permute(k, tc.kPerm)},
				func(b backends.Builder, p []backends.Op) ([]backends.Op, error) {
					y, err := b.ConvGeneral(p[0], p[1], axes, strides, tc.paddings, inDil, kDil, tc.groups, 1)
					return []backends.Op{y}, err
				})
			tol := 1e-10
			if dtype == dtypes.Float32 {
				tol = 1e-5
			}
			composeFloat32Conv = false
			requireArraysClose(t, want, got[0], tol, fmt.Sprintf("case %d %s composed=%v", ci, dtype, variant.compose))
		}
	}
}

func TestConvGeneralErrors(t *testing.T) {
	b := New().Builder("conv")
	x, _ := b.Parameter("x", shapeOf(dtypes.Float32, 1, 5, 5, 2), nil)
	k, _ := b.Parameter("k", shapeOf(dtypes.Float32, 3, 3, 2, 4), nil)
	axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	_, err := b.ConvGeneral(x, k, axes, []int{0, 1}, nil, nil, nil, 1, 1)
	require.ErrorContains(t, err, "strides[0]=0 must be >= 1")
	_, err = b.ConvGeneral(x, k, axes, nil, nil, nil, nil, 1, 2)
	require.ErrorContains(t, err, "batchGroupCount=2 is not supported")
	_, err = b.ConvGeneral(x, k, axes, []int{1}, nil, nil, nil, 1, 1)
	require.ErrorContains(t, err, "strides has 1 values, want 2")
}
