package augment

import (
	"math"
	"math/rand/v2"
)

// RandomCrop pads the image with `pad` zero pixels on each side and crops a
// window of the original size at a uniformly random offset (torchvision
// RandomCrop(size, padding=pad)).
func RandomCrop(img Image, pad int, rng *rand.Rand) Image {
	dy := rng.IntN(2*pad+1) - pad
	dx := rng.IntN(2*pad+1) - pad
	return Shift(img, dy, dx)
}

// Shift returns the image whose pixel (y, x) is the input pixel
// (y+dy, x+dx), zero where that falls outside: the crop of a zero-padded
// image at offset (pad+dy, pad+dx).
func Shift(img Image, dy, dx int) Image {
	out := NewImage(img.H, img.W, img.C)
	rowBytes := img.W * img.C
	for y := 0; y < img.H; y++ {
		sy := y + dy
		if sy < 0 || sy >= img.H {
			continue
		}
		x0 := clampInt(-dx, 0, img.W)
		x1 := clampInt(img.W-dx, 0, img.W)
		if x1 <= x0 {
			continue
		}
		dst := out.Pix[y*rowBytes+x0*img.C : y*rowBytes+x1*img.C]
		copy(dst, img.Pix[sy*rowBytes+(x0+dx)*img.C:])
	}
	return out
}

// HFlip mirrors the image left-right.
func HFlip(img Image) Image {
	out := NewImage(img.H, img.W, img.C)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			src := (y*img.W + x) * img.C
			dst := (y*img.W + img.W - 1 - x) * img.C
			copy(out.Pix[dst:dst+img.C], img.Pix[src:src+img.C])
		}
	}
	return out
}

// CutoutRect draws the Cutout hole of DeVries & Taylor (2017): a size×size
// square whose centre is uniform over the image, clipped at the borders (so
// holes near an edge are smaller).
func CutoutRect(h, w, size int, rng *rand.Rand) Rect {
	cy, cx := rng.IntN(h), rng.IntN(w)
	return Rect{
		Y0: clampInt(cy-size/2, 0, h), Y1: clampInt(cy+size/2, 0, h),
		X0: clampInt(cx-size/2, 0, w), X1: clampInt(cx+size/2, 0, w),
	}
}

// Cutout zeroes the rectangle r of img in place.
func Cutout(img Image, r Rect) {
	for y := r.Y0; y < r.Y1; y++ {
		row := img.Pix[(y*img.W+r.X0)*img.C : (y*img.W+r.X1)*img.C]
		clear(row)
	}
}

// affineNearest resamples img with the inverse map (x, y) -> (sx, sy) given
// for pixel centres, nearest neighbour, zero fill (torchvision's AutoAugment
// defaults: InterpolationMode.NEAREST, fill=None).
func affineNearest(img Image, inv func(x, y float64) (float64, float64)) Image {
	out := NewImage(img.H, img.W, img.C)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			sx, sy := inv(float64(x)+0.5, float64(y)+0.5)
			ix, iy := int(math.Floor(sx)), int(math.Floor(sy))
			if ix < 0 || iy < 0 || ix >= img.W || iy >= img.H {
				continue
			}
			copy(out.Pix[(y*img.W+x)*img.C:(y*img.W+x+1)*img.C], img.Pix[(iy*img.W+ix)*img.C:])
		}
	}
	return out
}

// ShearX shears horizontally by factor s (x' = x + s·y about the top-left
// corner, as torchvision's AutoAugment does with center=[0,0]).
func ShearX(img Image, s float64) Image {
	return affineNearest(img, func(x, y float64) (float64, float64) { return x - s*y, y })
}

// ShearY shears vertically by factor s (y' = y + s·x about the top-left corner).
func ShearY(img Image, s float64) Image {
	return affineNearest(img, func(x, y float64) (float64, float64) { return x, y - s*x })
}

// Rotate rotates the image by deg degrees counter-clockwise about its centre.
func Rotate(img Image, deg float64) Image {
	rad := deg * math.Pi / 180
	c, s := math.Cos(rad), math.Sin(rad)
	cx, cy := float64(img.W)/2, float64(img.H)/2
	return affineNearest(img, func(x, y float64) (float64, float64) {
		dx, dy := x-cx, y-cy
		// Inverse of a counter-clockwise rotation in image coordinates (y down).
		return c*dx - s*dy + cx, s*dx + c*dy + cy
	})
}

// RandomResizedCrop crops a random area (scale in [0.08, 1] of the image,
// aspect ratio in [3/4, 4/3], log-uniform) and resizes it bilinearly to
// size×size, like torchvision RandomResizedCrop with default arguments,
// falling back to a centre crop after 10 failed draws.
func RandomResizedCrop(img Image, size int, rng *rand.Rand) Image {
	area := float64(img.H * img.W)
	logLo, logHi := math.Log(3.0/4), math.Log(4.0/3)
	for range 10 {
		target := area * (0.08 + rng.Float64()*(1-0.08))
		ratio := math.Exp(logLo + rng.Float64()*(logHi-logLo))
		w := int(math.Round(math.Sqrt(target * ratio)))
		h := int(math.Round(math.Sqrt(target / ratio)))
		if w > 0 && h > 0 && w <= img.W && h <= img.H {
			top := rng.IntN(img.H - h + 1)
			left := rng.IntN(img.W - w + 1)
			return ResizeBilinear(img, Rect{Y0: top, X0: left, Y1: top + h, X1: left + w}, size, size)
		}
	}
	// Fallback: largest centre crop with aspect ratio clamped to the range.
	w, h := img.W, img.H
	if r := float64(w) / float64(h); r < 3.0/4 {
		h = int(math.Round(float64(w) / (3.0 / 4)))
	} else if r > 4.0/3 {
		w = int(math.Round(float64(h) * 4.0 / 3))
	}
	top, left := (img.H-h)/2, (img.W-w)/2
	return ResizeBilinear(img, Rect{Y0: top, X0: left, Y1: top + h, X1: left + w}, size, size)
}

// ResizeBilinear resizes the region r of img to outH×outW with bilinear
// interpolation (half-pixel centres, edge clamped).
func ResizeBilinear(img Image, r Rect, outH, outW int) Image {
	out := NewImage(outH, outW, img.C)
	sh := float64(r.Y1-r.Y0) / float64(outH)
	sw := float64(r.X1-r.X0) / float64(outW)
	for y := 0; y < outH; y++ {
		fy := math.Max((float64(y)+0.5)*sh-0.5, 0) + float64(r.Y0)
		y0 := int(fy)
		y1 := min(y0+1, r.Y1-1)
		wy := fy - float64(y0)
		for x := 0; x < outW; x++ {
			fx := math.Max((float64(x)+0.5)*sw-0.5, 0) + float64(r.X0)
			x0 := int(fx)
			x1 := min(x0+1, r.X1-1)
			wx := fx - float64(x0)
			for c := 0; c < img.C; c++ {
				v := (1-wy)*((1-wx)*float64(img.At(y0, x0, c))+wx*float64(img.At(y0, x1, c))) +
					wy*((1-wx)*float64(img.At(y1, x0, c))+wx*float64(img.At(y1, x1, c)))
				out.Pix[(y*outW+x)*img.C+c] = clampU8(math.Round(v))
			}
		}
	}
	return out
}
