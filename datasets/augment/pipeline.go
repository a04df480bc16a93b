package augment

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Pipeline is a switchable chain of augmentation stages, applied in the
// order of the fields: resized crop, crop, flip, AutoAugment, then Cutout.
type Pipeline struct {
	// RandomResizedCrop, when > 0, replaces the image by a random resized crop
	// of this side length (Tiny-ImageNet training).
	RandomResizedCrop int
	// CropPadding, when > 0, takes a random crop of the original size from the
	// image padded with this many zero pixels per side.
	CropPadding int
	// Flip mirrors the image left-right with probability 1/2.
	Flip bool
	// AutoAugment applies the CIFAR-10 AutoAugment policy.
	AutoAugment bool
	// CutoutSize, when > 0, cuts one square hole of this side. The hole is
	// returned by Apply rather than drawn so that callers can zero it after
	// normalisation, as the reference code does (Cutout after Normalize).
	CutoutSize int
}

// Preset names accepted by Preset.
const (
	PresetPaper        = "paper"
	PresetBasic        = "basic"
	PresetNone         = "none"
	PresetTinyImageNet = "tiny-imagenet"
)

// Preset returns a named pipeline: "paper" (the CIFAR pipeline of the
// reference code: crop 4 + flip + AutoAugment + Cutout 16), "basic"
// (crop 4 + flip), "tiny-imagenet" (random resized crop 64 + flip) or
// "none".
func Preset(name string) (Pipeline, error) {
	switch strings.ToLower(name) {
	case PresetPaper:
		return Pipeline{CropPadding: 4, Flip: true, AutoAugment: true, CutoutSize: 16}, nil
	case PresetBasic:
		return Pipeline{CropPadding: 4, Flip: true}, nil
	case PresetTinyImageNet:
		return Pipeline{RandomResizedCrop: 64, Flip: true}, nil
	case PresetNone, "":
		return Pipeline{}, nil
	}
	return Pipeline{}, fmt.Errorf("augment: unknown preset %q (want %s, %s, %s or %s)",
		name, PresetPaper, PresetBasic, PresetTinyImageNet, PresetNone)
}

// IsIdentity reports whether the pipeline leaves images unchanged.
func (p Pipeline) IsIdentity() bool { return p == Pipeline{} }

// String describes the enabled stages.
func (p Pipeline) String() string {
	var parts []string
	if p.RandomResizedCrop > 0 {
		parts = append(parts, fmt.Sprintf("resized-crop(%d)", p.RandomResizedCrop))
	}
	if p.CropPadding > 0 {
		parts = append(parts, fmt.Sprintf("crop(pad=%d)", p.CropPadding))
	}
	if p.Flip {
		parts = append(parts, "flip")
	}
	if p.AutoAugment {
		parts = append(parts, "autoaugment(cifar10)")
	}
	if p.CutoutSize > 0 {
		parts = append(parts, fmt.Sprintf("cutout(%d)", p.CutoutSize))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// OutputSize returns the size of the images Apply produces from h×w inputs.
func (p Pipeline) OutputSize(h, w int) (int, int) {
	if p.RandomResizedCrop > 0 {
		return p.RandomResizedCrop, p.RandomResizedCrop
	}
	return h, w
}

// Apply runs the pipeline on img (which is not modified) and returns the new
// image and the Cutout hole (empty when Cutout is off). Call ApplyCutout to
// zero the hole in uint8 space.
func (p Pipeline) Apply(img Image, rng *rand.Rand) (Image, Rect, error) {
	if err := img.Validate(); err != nil {
		return img, Rect{}, err
	}
	out := img
	if p.RandomResizedCrop > 0 {
		out = RandomResizedCrop(out, p.RandomResizedCrop, rng)
	}
	if p.CropPadding > 0 {
		out = RandomCrop(out, p.CropPadding, rng)
	}
	if p.Flip && rng.IntN(2) == 1 {
		out = HFlip(out)
	}
	if p.AutoAugment {
		if &out.Pix[0] == &img.Pix[0] {
			out = out.Clone() // colour ops work in place
		}
		var err error
		if out, err = AutoAugment(out, CIFAR10Policy, rng); err != nil {
			return out, Rect{}, err
		}
	}
	var hole Rect
	if p.CutoutSize > 0 {
		hole = CutoutRect(out.H, out.W, p.CutoutSize, rng)
	}
	return out, hole, nil
}

// ApplyCutout is Apply followed by zeroing the hole in the uint8 image.
func (p Pipeline) ApplyCutout(img Image, rng *rand.Rand) (Image, error) {
	out, hole, err := p.Apply(img, rng)
	if err != nil {
		return out, err
	}
	if !hole.Empty() {
		if &out.Pix[0] == &img.Pix[0] {
			out = out.Clone()
		}
		Cutout(out, hole)
	}
	return out, nil
}
