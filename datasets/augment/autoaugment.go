package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Op names one AutoAugment operation.
type Op string

// The AutoAugment operations of Cubuk et al. (2019).
const (
	OpShearX       Op = "ShearX"
	OpShearY       Op = "ShearY"
	OpTranslateX   Op = "TranslateX"
	OpTranslateY   Op = "TranslateY"
	OpRotate       Op = "Rotate"
	OpBrightness   Op = "Brightness"
	OpColor        Op = "Color"
	OpContrast     Op = "Contrast"
	OpSharpness    Op = "Sharpness"
	OpPosterize    Op = "Posterize"
	OpSolarize     Op = "Solarize"
	OpAutoContrast Op = "AutoContrast"
	OpEqualize     Op = "Equalize"
	OpInvert       Op = "Invert"
)

// noMagnitude marks operations without a magnitude.
const noMagnitude = -1

// Step is one operation of a sub-policy: applied with probability Prob at
// magnitude bin Bin (0..9, or -1 when the op has none).
type Step struct {
	Op   Op
	Prob float64
	Bin  int
}

// SubPolicy is a pair of steps applied in order.
type SubPolicy [2]Step

// CIFAR10Policy is the 25 sub-policies found on reduced CIFAR-10 by Cubuk et
// al., in the order of torchvision's AutoAugmentPolicy.CIFAR10.
var CIFAR10Policy = []SubPolicy{
	{{OpInvert, 0.1, noMagnitude}, {OpContrast, 0.2, 6}},
	{{OpRotate, 0.7, 2}, {OpTranslateX, 0.3, 9}},
	{{OpSharpness, 0.8, 1}, {OpSharpness, 0.9, 3}},
	{{OpShearY, 0.5, 8}, {OpTranslateY, 0.7, 9}},
	{{OpAutoContrast, 0.5, noMagnitude}, {OpEqualize, 0.9, noMagnitude}},
	{{OpShearY, 0.2, 7}, {OpPosterize, 0.3, 7}},
	{{OpColor, 0.4, 3}, {OpBrightness, 0.6, 7}},
	{{OpSharpness, 0.3, 9}, {OpBrightness, 0.7, 9}},
	{{OpEqualize, 0.6, noMagnitude}, {OpEqualize, 0.5, noMagnitude}},
	{{OpContrast, 0.6, 7}, {OpSharpness, 0.6, 5}},
	{{OpColor, 0.7, 7}, {OpTranslateX, 0.5, 8}},
	{{OpEqualize, 0.3, noMagnitude}, {OpAutoContrast, 0.4, noMagnitude}},
	{{OpTranslateY, 0.4, 3}, {OpSharpness, 0.2, 6}},
	{{OpBrightness, 0.9, 6}, {OpColor, 0.2, 8}},
	{{OpSolarize, 0.5, 2}, {OpInvert, 0.0, noMagnitude}},
	{{OpEqualize, 0.2, noMagnitude}, {OpAutoContrast, 0.6, noMagnitude}},
	{{OpEqualize, 0.2, noMagnitude}, {OpEqualize, 0.6, noMagnitude}},
	{{OpColor, 0.9, 9}, {OpEqualize, 0.6, noMagnitude}},
	{{OpAutoContrast, 0.8, noMagnitude}, {OpSolarize, 0.2, 8}},
	{{OpBrightness, 0.1, 3}, {OpColor, 0.7, 0}},
	{{OpSolarize, 0.4, 5}, {OpAutoContrast, 0.9, noMagnitude}},
	{{OpTranslateY, 0.9, 9}, {OpTranslateY, 0.7, 9}},
	{{OpAutoContrast, 0.9, noMagnitude}, {OpSolarize, 0.8, 3}},
	{{OpEqualize, 0.8, noMagnitude}, {OpInvert, 0.1, noMagnitude}},
	{{OpTranslateY, 0.7, 9}, {OpAutoContrast, 0.9, noMagnitude}},
}

// numBins is the number of magnitude levels of the search space.
const numBins = 10

// Magnitude returns the value of op at bin (0..9) for an image of the given
// size and whether the op's sign is drawn at random, following torchvision's
// AutoAugment._augmentation_space(10, (h, w)).
func Magnitude(op Op, bin, h, w int) (value float64, signed bool, err error) {
	if bin < 0 || bin >= numBins {
		switch op {
		case OpAutoContrast, OpEqualize, OpInvert:
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("augment: %s magnitude bin %d outside [0, %d)", op, bin, numBins)
	}
	lin := func(lo, hi float64) float64 { return lo + (hi-lo)*float64(bin)/float64(numBins-1) }
	switch op {
	case OpShearX, OpShearY:
		return lin(0, 0.3), true, nil
	case OpTranslateX:
		return lin(0, 150.0/331*float64(w)), true, nil
	case OpTranslateY:
		return lin(0, 150.0/331*float64(h)), true, nil
	case OpRotate:
		return lin(0, 30), true, nil
	case OpBrightness, OpColor, OpContrast, OpSharpness:
		return lin(0, 0.9), true, nil
	case OpPosterize:
		return float64(8 - int(math.RoundToEven(float64(bin)/(float64(numBins-1)/4)))), false, nil
	case OpSolarize:
		return lin(255, 0), false, nil
	case OpAutoContrast, OpEqualize, OpInvert:
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("augment: unknown operation %q", op)
}

// ApplyOp applies op with the given magnitude and returns the result (img may
// be modified in place).
func ApplyOp(img Image, op Op, magnitude float64) (Image, error) {
	switch op {
	case OpShearX:
		return ShearX(img, magnitude), nil
	case OpShearY:
		return ShearY(img, magnitude), nil
	case OpTranslateX:
		return Shift(img, 0, -int(magnitude)), nil
	case OpTranslateY:
		return Shift(img, -int(magnitude), 0), nil
	case OpRotate:
		return Rotate(img, magnitude), nil
	case OpBrightness:
		Brightness(img, 1+magnitude)
	case OpColor:
		Color(img, 1+magnitude)
	case OpContrast:
		Contrast(img, 1+magnitude)
	case OpSharpness:
		Sharpness(img, 1+magnitude)
	case OpPosterize:
		Posterize(img, int(magnitude))
	case OpSolarize:
		Solarize(img, magnitude)
	case OpAutoContrast:
		AutoContrast(img)
	case OpEqualize:
		Equalize(img)
	case OpInvert:
		Invert(img)
	default:
		return img, fmt.Errorf("augment: unknown operation %q", op)
	}
	return img, nil
}

// AutoAugment applies one uniformly chosen sub-policy of policy: each of its
// steps fires with its probability, with a random sign for signed ops, like
// torchvision's AutoAugment.forward.
func AutoAugment(img Image, policy []SubPolicy, rng *rand.Rand) (Image, error) {
	sp := policy[rng.IntN(len(policy))]
	for _, st := range sp {
		// Draw all three numbers every time so the random stream does not
		// depend on which steps fire.
		p, negative := rng.Float64(), rng.IntN(2) == 0
		if p > st.Prob {
			continue
		}
		mag, signed, err := Magnitude(st.Op, st.Bin, img.H, img.W)
		if err != nil {
			return img, err
		}
		if signed && negative {
			mag = -mag
		}
		if img, err = ApplyOp(img, st.Op, mag); err != nil {
			return img, err
		}
	}
	return img, nil
}
