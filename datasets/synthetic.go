package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticConfig sizes the generated data set.
type SyntheticConfig struct {
	// Seed fixes the class patterns and the noise.
	Seed uint64
	// NumClasses is the number of classes (2..256).
	NumClasses int
	// Size is the side of the square images.
	Size int
	// Channels is the number of channels (1..4).
	Channels int
	// Train and Test are the numbers of samples per split.
	Train, Test int
	// NoiseStd is the standard deviation of the pixel noise, in 0..255 units.
	NoiseStd float64
}

// DefaultSyntheticConfig is small enough for end-to-end tests of the CLI.
var DefaultSyntheticConfig = SyntheticConfig{Seed: 1, NumClasses: 4, Size: 8, Channels: 3, Train: 256, Test: 64, NoiseStd: 24}

// Synthetic generates a learnable data set: each class has a fixed random
// smooth pattern (a sum of two oriented sinusoids per channel, derived from
// the seed), and every sample is its class pattern plus Gaussian pixel noise.
// Labels cycle through the classes so every class is equally represented.
func Synthetic(cfg SyntheticConfig) (train, test *Dataset, err error) {
	if cfg.NumClasses < 2 || cfg.NumClasses > 256 {
		return nil, nil, fmt.Errorf("synthetic: %d classes, want 2..256", cfg.NumClasses)
	}
	if cfg.Size < 2 || cfg.Size > 512 || cfg.Channels < 1 || cfg.Channels > 4 {
		return nil, nil, fmt.Errorf("synthetic: image %dx%dx%d, want side 2..512 and 1..4 channels", cfg.Size, cfg.Size, cfg.Channels)
	}
	if cfg.Train < cfg.NumClasses || cfg.Test < 1 {
		return nil, nil, fmt.Errorf("synthetic: %d train / %d test samples, want at least one per class for training", cfg.Train, cfg.Test)
	}
	if cfg.NoiseStd < 0 {
		return nil, nil, fmt.Errorf("synthetic: noise std %v must be >= 0", cfg.NoiseStd)
	}
	s, c := cfg.Size, cfg.Channels
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5717e71c))
	patterns := make([][]float64, cfg.NumClasses)
	for k := range patterns {
		p := make([]float64, s*s*c)
		for ch := range c {
			for range 2 {
				fy, fx := rng.Float64()*3+0.5, rng.Float64()*3+0.5
				phase, amp := rng.Float64()*2*math.Pi, 40+rng.Float64()*30
				for y := range s {
					for x := range s {
						p[(y*s+x)*c+ch] += amp * math.Sin(2*math.Pi*(fy*float64(y)+fx*float64(x))/float64(s)+phase)
					}
				}
			}
		}
		patterns[k] = p
	}
	classes := make([]string, cfg.NumClasses)
	for k := range classes {
		classes[k] = fmt.Sprintf("class%d", k)
	}
	norm := Normalization{Mean: make([]float32, c), Std: make([]float32, c), Source: "synthetic: pixels are centred on 0.5"}
	for i := range c {
		norm.Mean[i], norm.Std[i] = 0.5, 0.25
	}
	mk := func(split string, n int, stream uint64) *Dataset {
		r := rand.New(rand.NewPCG(cfg.Seed, stream))
		d := &Dataset{Name: "synthetic/" + split, Source: fmt.Sprintf("synthetic(seed=%d)", cfg.Seed),
			Images: make([]uint8, n*s*s*c), Labels: make([]int32, n), ClassNames: classes,
			H: s, W: s, C: c, Norm: norm}
		for i := range n {
			k := i % cfg.NumClasses
			d.Labels[i] = int32(k)
			img := d.Images[i*s*s*c : (i+1)*s*s*c]
			for j, v := range patterns[k] {
				img[j] = uint8(max(0, min(255, math.Round(128+v+r.NormFloat64()*cfg.NoiseStd))))
			}
		}
		return d
	}
	return mk("train", cfg.Train, 1), mk("test", cfg.Test, 2), nil
}
