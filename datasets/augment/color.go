package augment

// The photometric operations below follow torchvision.transforms.functional
// on uint8 tensors: float arithmetic, clamp to [0, 255], truncate to uint8.

// grayscale returns the luma of each pixel, truncated to uint8 as
// torchvision's rgb_to_grayscale does; single-channel images are returned as is.
func grayscale(img Image) []uint8 {
	n := img.H * img.W
	g := make([]uint8, n)
	if img.C < 3 {
		for i := range n {
			g[i] = img.Pix[i*img.C]
		}
		return g
	}
	for i := range n {
		p := img.Pix[i*img.C:]
		g[i] = uint8(0.2989*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2]))
	}
	return g
}

// blend computes ratio·a + (1-ratio)·b in float32 (torchvision's _blend)
// and truncates to uint8.
func blend(ratio, a, b float64) uint8 {
	r := float32(ratio)
	return clampU8(float64(r*float32(a) + (1-r)*float32(b)))
}

// Brightness scales all values by factor (blend with black).
func Brightness(img Image, factor float64) {
	for i, v := range img.Pix {
		img.Pix[i] = blend(factor, float64(v), 0)
	}
}

// Color changes saturation: blends each pixel with its grey level.
// It does nothing to single-channel images.
func Color(img Image, factor float64) {
	if img.C < 3 {
		return
	}
	g := grayscale(img)
	for i, gv := range g {
		for c := range img.C {
			p := &img.Pix[i*img.C+c]
			*p = blend(factor, float64(*p), float64(gv))
		}
	}
}

// Contrast blends the image with the mean of its grey levels.
func Contrast(img Image, factor float64) {
	g := grayscale(img)
	var sum float64
	for _, v := range g {
		sum += float64(v)
	}
	mean := sum / float64(len(g))
	for i, v := range img.Pix {
		img.Pix[i] = blend(factor, float64(v), mean)
	}
}

// Sharpness blends the image with a 3×3 smoothed copy (kernel 1,1,1/1,5,1/1,1,1
// over 13, border pixels untouched); factor > 1 sharpens.
func Sharpness(img Image, factor float64) {
	if img.H < 3 || img.W < 3 {
		return
	}
	src := img.Clone()
	for y := 1; y < img.H-1; y++ {
		for x := 1; x < img.W-1; x++ {
			for c := 0; c < img.C; c++ {
				sum := 4 * int(src.At(y, x, c))
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						sum += int(src.At(y+dy, x+dx, c))
					}
				}
				// torch rounds the blurred uint8 image (half to even) before blending.
				blur := float64(sum) / 13
				deg := roundHalfEven(blur)
				i := (y*img.W+x)*img.C + c
				img.Pix[i] = blend(factor, float64(src.Pix[i]), deg)
			}
		}
	}
}

func roundHalfEven(v float64) float64 {
	f := float64(int(v))
	d := v - f
	switch {
	case d > 0.5:
		return f + 1
	case d < 0.5:
		return f
	case int(f)%2 == 0:
		return f
	default:
		return f + 1
	}
}

// Posterize keeps the top `bits` bits of every value.
func Posterize(img Image, bits int) {
	mask := uint8(0xFF << (8 - bits))
	for i, v := range img.Pix {
		img.Pix[i] = v & mask
	}
}

// Solarize inverts every value at or above threshold.
func Solarize(img Image, threshold float64) {
	for i, v := range img.Pix {
		if float64(v) >= threshold {
			img.Pix[i] = 255 - v
		}
	}
}

// Invert replaces every value v by 255-v.
func Invert(img Image) {
	for i, v := range img.Pix {
		img.Pix[i] = 255 - v
	}
}

// AutoContrast stretches each channel linearly so its minimum maps to 0 and
// its maximum to 255; constant channels are left alone.
func AutoContrast(img Image) {
	for c := 0; c < img.C; c++ {
		lo, hi := uint8(255), uint8(0)
		for i := c; i < len(img.Pix); i += img.C {
			lo, hi = min(lo, img.Pix[i]), max(hi, img.Pix[i])
		}
		if lo == hi {
			continue
		}
		// float32 like torch, so that e.g. 100 * (255/100) lands on 255.
		scale := float32(255) / float32(hi-lo)
		for i := c; i < len(img.Pix); i += img.C {
			img.Pix[i] = clampU8(float64(float32(img.Pix[i]-lo) * scale))
		}
	}
}

// Equalize equalises each channel's histogram (PIL/torchvision algorithm).
func Equalize(img Image) {
	for c := 0; c < img.C; c++ {
		var hist [256]int
		for i := c; i < len(img.Pix); i += img.C {
			hist[img.Pix[i]]++
		}
		last := 255
		for last > 0 && hist[last] == 0 {
			last--
		}
		total := 0
		for _, h := range hist {
			total += h
		}
		step := (total - hist[last]) / 255
		if step == 0 {
			continue
		}
		var lut [256]uint8
		cum := 0
		for v := range 256 {
			lut[v] = uint8(min((cum+step/2)/step, 255))
			cum += hist[v]
		}
		for i := c; i < len(img.Pix); i += img.C {
			img.Pix[i] = lut[img.Pix[i]]
		}
	}
}
