package purego

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/pkg/errors"
)

// bnParts holds what the three batch-norm ops share: operand shape, reduction axes and count.
type bnParts struct {
	shape       shapes.Shape
	featureAxis int
	reduceAxes  []int
	count       float64
}

func (c *composer) bnSetup(operand backends.Op, featureAxis int, perFeature ...backends.Op) (p bnParts) {
	p.shape = c.shape(operand)
	if c.err != nil {
		return
	}
	rank := p.shape.Rank()
	if featureAxis < 0 {
		featureAxis += rank
	}
	if featureAxis < 0 || featureAxis >= rank {
		c.err = errors.Errorf("feature axis %d out of range for operand shape %s", featureAxis, p.shape)
		return
	}
	p.featureAxis = featureAxis
	numFeatures := p.shape.Dimensions[featureAxis]
	for i, op := range perFeature {
		s := c.shape(op)
		if c.err != nil {
			return
		}
		if s.Rank() != 1 || s.Dimensions[0] != numFeatures || s.DType != p.shape.DType {
			c.err = errors.Errorf("per-feature input #%d has shape %s, want (%s)[%d] for operand %s and feature axis %d",
				i, s, p.shape.DType, numFeatures, p.shape, featureAxis)
			return
		}
	}
	p.count = 1
	for axis, d := range p.shape.Dimensions {
		if axis != featureAxis {
			p.reduceAxes = append(p.reduceAxes, axis)
			p.count *= float64(d)
		}
	}
	return
}

// perFeature broadcasts a [features] vector to the operand shape.
func (c *composer) perFeature(v backends.Op, p bnParts) backends.Op {
	return c.broadcast(v, p.shape, p.featureAxis)
}

// meanPerFeature averages x over all axes but the feature axis.
func (c *composer) meanPerFeature(x backends.Op, p bnParts) backends.Op {
	return c.mul(c.reduceSum(x, p.reduceAxes...), c.scalar(p.shape.DType, 1/p.count))
}

// invStd returns 1/sqrt(variance+epsilon), per feature.
func (c *composer) invStd(variance backends.Op, epsilon float32, p bnParts) backends.Op {
	return c.unary(c.b.Rsqrt, c.add(variance, c.scalar(p.shape.DType, float64(epsilon))))
}

// BatchNormForInference normalizes operand with the given per-feature mean and variance:
// (x-mean)/sqrt(variance+epsilon)*scale + offset.
func (b *Builder) BatchNormForInference(operand, scale, offset, mean, variance backends.Op, epsilon float32, featureAxis int) (backends.Op, error) {
	c := b.compose()
	p := c.bnSetup(operand, featureAxis, scale, offset, mean, variance)
	factor := c.mul(scale, c.invStd(variance, epsilon, p))
	y := c.mul(c.sub(operand, c.perFeature(mean, p)), c.perFeature(factor, p))
	y = c.add(y, c.perFeature(offset, p))
	if c.err != nil {
		return nil, errors.WithMessage(c.err, "purego BatchNormForInference")
	}
	return y, nil
}

// BatchNormForTraining normalizes operand with its own per-feature batch mean and (biased)
// variance, which it also returns.
func (b *Builder) BatchNormForTraining(operand, scale, offset backends.Op, epsilon float32, featureAxis int) (normalized, batchMean, batchVariance backends.Op, err error) {
	c := b.compose()
	p := c.bnSetup(operand, featureAxis, scale, offset)
	batchMean = c.meanPerFeature(operand, p)
	centered := c.sub(operand, c.perFeature(batchMean, p))
	batchVariance = c.meanPerFeature(c.mul(centered, centered), p)
	factor := c.mul(scale, c.invStd(batchVariance, epsilon, p))
	normalized = c.add(c.mul(centered, c.perFeature(factor, p)), c.perFeature(offset, p))
	if c.err != nil {
		return nil, nil, nil, errors.WithMessage(c.err, "purego BatchNormForTraining")
	}
	return normalized, batchMean, batchVariance, nil
}

// BatchNormGradient returns the gradients of training-mode batch norm with respect to operand,
// scale and offset, given the batch mean/variance and the output gradient:
//
//	xhat = (x-mean)/sqrt(var+eps); dOffset = Σ dy; dScale = Σ dy·xhat;
//	dx = scale/sqrt(var+eps) · (dy - dOffset/N - xhat·dScale/N).
func (b *Builder) BatchNormGradient(operand, scale, mean, variance, gradOutput backends.Op, epsilon float32, featureAxis int) (gradOperand, gradScale, gradOffset backends.Op, err error) {
	c := b.compose()
	p := c.bnSetup(operand, featureAxis, scale, mean, variance)
	if c.err == nil {
		if gs := c.shape(gradOutput); c.err == nil && !gs.Equal(p.shape) {
			c.err = errors.Errorf("gradOutput shape %s must equal operand shape %s", gs, p.shape)
		}
	}
	inv := c.invStd(variance, epsilon, p)
	xhat := c.mul(c.sub(operand, c.perFeature(mean, p)), c.perFeature(inv, p))
	gradOffset = c.reduceSum(gradOutput, p.reduceAxes...)
	gradScale = c.reduceSum(c.mul(gradOutput, xhat), p.reduceAxes...)
	invN := c.scalar(p.shape.DType, 1/p.count)
	inner := c.sub(gradOutput, c.perFeature(c.mul(gradOffset, invN), p))
	inner = c.sub(inner, c.mul(xhat, c.perFeature(c.mul(gradScale, invN), p)))
	gradOperand = c.mul(inner, c.perFeature(c.mul(scale, inv), p))
	if c.err != nil {
		return nil, nil, nil, errors.WithMessage(c.err, "purego BatchNormGradient")
	}
	return gradOperand, gradScale, gradOffset, nil
}
