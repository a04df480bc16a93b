package datasets

import (
	"fmt"
	"math"
)

// Normalization is a per-channel affine map x -> (x/255 - Mean[c]) / Std[c].
type Normalization struct {
	Mean, Std []float32
	// Source says where the constants come from.
	Source string
}

// Standard normalisations. The CIFAR and MNIST constants are those of the
// reference implementation (hzp2022/ANN2SNN_NQ, inherited from QCFS and the
// PyTorch examples); the others are the commonly published training-set
// statistics.
var (
	// CIFAR10Norm: mean of the training set; the std values (0.2023, ...) are
	// the widely copied kuangliu/pytorch-cifar figures the reference code uses.
	CIFAR10Norm = Normalization{
		Mean: []float32{0.4914, 0.4822, 0.4465}, Std: []float32{0.2023, 0.1994, 0.2010},
		Source: "reference code ANN2SNN_NQ/QCFS (kuangliu/pytorch-cifar constants)",
	}
	// CIFAR100Norm: training-set per-channel mean/std as used by the reference code.
	CIFAR100Norm = Normalization{
		Mean: []float32{0.5071, 0.4865, 0.4409}, Std: []float32{0.2673, 0.2564, 0.2762},
		Source: "reference code ANN2SNN_NQ/QCFS (CIFAR-100 training-set statistics)",
	}
	// MNISTNorm: training-set mean/std from the PyTorch MNIST example.
	MNISTNorm = Normalization{
		Mean: []float32{0.1307}, Std: []float32{0.3081},
		Source: "pytorch/examples mnist (training-set statistics)",
	}
	// FashionMNISTNorm: training-set mean/std of Fashion-MNIST.
	FashionMNISTNorm = Normalization{
		Mean: []float32{0.2860}, Std: []float32{0.3530},
		Source: "Fashion-MNIST training-set statistics",
	}
	// TinyImageNetNorm: training-set mean/std of Tiny-ImageNet-200.
	TinyImageNetNorm = Normalization{
		Mean: []float32{0.4802, 0.4481, 0.3975}, Std: []float32{0.2302, 0.2265, 0.2262},
		Source: "Tiny-ImageNet-200 training-set statistics",
	}
)

func (n Normalization) validate(c int) error {
	if len(n.Mean) != c || len(n.Std) != c {
		return fmt.Errorf("normalisation has %d means and %d stds for %d channels", len(n.Mean), len(n.Std), c)
	}
	for i, s := range n.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("normalisation std[%d] = %v must be positive and finite", i, s)
		}
	}
	return nil
}

// NormalizeTo writes the normalised values of the HWC (or NHWC) bytes src to
// dst, which must have the same length; the channel count is len(n.Mean).
func (n Normalization) NormalizeTo(dst []float32, src []uint8) {
	c := len(n.Mean)
	scale := make([]float32, c)
	shift := make([]float32, c)
	for i := range c {
		scale[i] = 1 / (255 * n.Std[i])
		shift[i] = n.Mean[i] / n.Std[i]
	}
	for i, v := range src {
		ch := i % c
		dst[i] = float32(v)*scale[ch] - shift[ch]
	}
}

// DenormalizeTo inverts NormalizeTo, rounding to the nearest byte and
// clamping to [0, 255].
func (n Normalization) DenormalizeTo(dst []uint8, src []float32) {
	c := len(n.Mean)
	for i, v := range src {
		ch := i % c
		x := math.Round(float64((v*n.Std[ch] + n.Mean[ch]) * 255))
		dst[i] = uint8(max(0, min(255, x)))
	}
}
