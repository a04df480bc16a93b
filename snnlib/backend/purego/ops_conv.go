package purego

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/shapeinference"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/pkg/errors"
)

// composeFloat32Conv makes float32 convolutions use the composed im2col (as other dtypes do)
// instead of the implicit-im2col executor; tests flip it to check both.
var composeFloat32Conv = false

// ConvGeneral is XLA's general convolution. Float32 convolutions become a simplego
// ConvGeneral node run by execConvGeneral (implicit im2col feeding the blocked SGEMM). Other
// dtypes are lowered to im2col + DotGeneral composed from simplego ops:
//
//  1. the input is transposed to [batch, spatial..., channels] and padded (Pad with interior
//     padding = input dilation - 1, negative padding crops);
//  2. the patches tensor [batch, outSpatial..., kernelSpatial..., channels] is gathered with
//     strided Slices — one per kernel position, or one per output position when the output is
//     the smaller of the two (as in the kernel gradient, whose "kernel" is the full image);
//  3. one (batched over channel groups) matrix multiplication with the kernel.
//
// Nil strides or dilations mean 1. batchGroupCount > 1 is not supported.
func (b *Builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, channelGroupCount, batchGroupCount int) (backends.Op, error) {
	out, err := b.convGeneral(input, kernel, axes, strides, paddings, inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, errors.WithMessage(err, "purego ConvGeneral")
	}
	return out, nil
}

func (b *Builder) convGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig, strides []int, paddings [][2]int,
	inputDilations, kernelDilations []int, groups, batchGroups int) (backends.Op, error) {
	c := b.compose()
	inShape, kShape := c.shape(input), c.shape(kernel)
	if c.err != nil {
		return nil, c.err
	}
	groups, batchGroups = max(groups, 1), max(batchGroups, 1)
	if batchGroups > 1 {
		return nil, errors.Errorf("batchGroupCount=%d is not supported (only 1)", batchGroups)
	}
	numSpatial := inShape.Rank() - 2
	if numSpatial < 0 || len(axes.InputSpatial) != numSpatial || len(axes.KernelSpatial) != numSpatial || len(axes.OutputSpatial) != numSpatial {
		return nil, errors.Errorf("input %s and axes %+v disagree on the number of spatial axes", inShape, axes)
	}
	var err error
	if strides, err = orOnes("strides", strides, numSpatial); err != nil {
		return nil, err
	}
	if inputDilations, err = orOnes("inputDilations", inputDilations, numSpatial); err != nil {
		return nil, err
	}
	if kernelDilations, err = orOnes("kernelDilations", kernelDilations, numSpatial); err != nil {
		return nil, err
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, numSpatial)
	}
	if len(paddings) != numSpatial {
		return nil, errors.Errorf("%d paddings given for %d spatial axes", len(paddings), numSpatial)
	}
	outShape, err := shapeinference.ConvGeneralOp(inShape, kShape, axes, strides, paddings, inputDilations, kernelDilations, groups, batchGroups)
	if err != nil {
		return nil, err
	}
	for _, d := range outShape.Dimensions {
		if d <= 0 {
			return nil, errors.Errorf("empty output shape %s (input %s, kernel %s)", outShape, inShape, kShape)
		}
	}
	dtype := inShape.DType
	if dtype == dtypes.Float32 && !composeFloat32Conv {
		// A simplego ConvGeneral node, executed by execConvGeneral (implicit im2col + SGEMM).
		return b.Builder.ConvGeneral(input, kernel, axes.Clone(), strides, paddings, inputDilations, kernelDilations, groups, 1)
	}
	batch, channels := inShape.Dimensions[axes.InputBatch], inShape.Dimensions[axes.InputChannels]
	outChannels := outShape.Dimensions[axes.OutputChannels]
	kSpatial := make([]int, numSpatial)
	oSpatial := make([]int, numSpatial)
	for i := range numSpatial {
		kSpatial[i] = kShape.Dimensions[axes.KernelSpatial[i]]
		oSpatial[i] = outShape.Dimensions[axes.OutputSpatial[i]]
	}
	numK, numO := product(kSpatial), product(oSpatial)

	// (1) [batch, spatial..., channels], padded and input-dilated.
	x := c.transpose(input, slices.Concat([]int{axes.InputBatch}, axes.InputSpatial, []int{axes.InputChannels})...)
	padConf := make([]backends.PadAxis, numSpatial+2)
	for i := range numSpatial {
		padConf[i+1] = backends.PadAxis{Start: paddings[i][0], End: paddings[i][1], Interior: inputDilations[i] - 1}
	}
	x = c.pad(x, c.scalar(dtype, 0), padConf...)
	xDims := c.shape(x).Dimensions
	if c.err != nil {
		return nil, c.err
	}

	// (2) patches [batch, numO, numK, channels].
	var patches backends.Op
	starts := make([]int, numSpatial+2)
	limits := slices.Clone(xDims)
	sliceStrides := ones(numSpatial + 2)
	if numK <= numO {
		parts := make([]backends.Op, 0, numK)
		forEachIndex(kSpatial, func(kIdx []int) {
			for i := range numSpatial {
				starts[i+1] = kIdx[i] * kernelDilations[i]
				limits[i+1] = starts[i+1] + (oSpatial[i]-1)*strides[i] + 1
				sliceStrides[i+1] = strides[i]
			}
			parts = append(parts, c.reshape(c.slice(x, starts, limits, sliceStrides), batch, numO, 1, channels))
		})
		patches = c.concat(2, parts...)
	} else {
		parts := make([]backends.Op, 0, numO)
		forEachIndex(oSpatial, func(oIdx []int) {
			for i := range numSpatial {
				starts[i+1] = oIdx[i] * strides[i]
				limits[i+1] = starts[i+1] + (kSpatial[i]-1)*kernelDilations[i] + 1
				sliceStrides[i+1] = kernelDilations[i]
			}
			parts = append(parts, c.reshape(c.slice(x, starts, limits, sliceStrides), batch, 1, numK, channels))
		})
		patches = c.concat(1, parts...)
	}

	// (3) kernel as [numK, channels/groups, outChannels]; one matmul per group.
	groupChannels, groupOut := channels/groups, outChannels/groups
	kern := c.transpose(kernel, slices.Concat(axes.KernelSpatial, []int{axes.KernelInputChannels, axes.KernelOutputChannels})...)
	var y backends.Op
	if groups == 1 {
		lhs := c.reshape(patches, batch*numO, numK*channels)
		rhs := c.reshape(kern, numK*channels, outChannels)
		y = c.set(b.DotGeneral(lhs, []int{1}, nil, rhs, []int{0}, nil))
	} else {
		lhs := c.reshape(patches, batch*numO, numK, groups, groupChannels)
		lhs = c.transpose(lhs, 2, 0, 1, 3)
		lhs = c.reshape(lhs, groups, batch*numO, numK*groupChannels)
		rhs := c.reshape(kern, numK*groupChannels, groups, groupOut)
		rhs = c.transpose(rhs, 1, 0, 2)
		y = c.set(b.DotGeneral(lhs, []int{2}, []int{0}, rhs, []int{1}, []int{0})) // [groups, batch*numO, groupOut]
		y = c.transpose(y, 1, 0, 2)
	}
	y = c.reshape(y, slices.Concat([]int{batch}, oSpatial, []int{outChannels})...)

	// Back to the requested output layout: output axis j comes from axis perm[j] of y.
	perm := make([]int, numSpatial+2)
	perm[axes.OutputBatch] = 0
	for i, a := range axes.OutputSpatial {
		perm[a] = i + 1
	}
	perm[axes.OutputChannels] = numSpatial + 1
	y = c.transpose(y, perm...)
	if c.err != nil {
		return nil, c.err
	}
	return y, nil
}
