package augment

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomImage(seed uint64, h, w, c int) Image {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := NewImage(h, w, c)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img
}

func TestShiftMatchesPaddedCrop(t *testing.T) {
	img := randomImage(1, 7, 5, 3)
	const pad = 4
	for dy := -pad; dy <= pad; dy++ {
		for dx := -pad; dx <= pad; dx++ {
			out := Shift(img, dy, dx)
			require.Equal(t, img.H, out.H)
			require.Equal(t, img.W, out.W)
			for y := range out.H {
				for x := range out.W {
					for c := range out.C {
						sy, sx := y+dy, x+dx
						want := uint8(0)
						if sy >= 0 && sy < img.H && sx >= 0 && sx < img.W {
							want = img.At(sy, sx, c)
						}
						require.Equalf(t, want, out.At(y, x, c), "dy=%d dx=%d y=%d x=%d c=%d", dy, dx, y, x, c)
					}
				}
			}
		}
	}
}

func TestRandomCropKeepsSizeAndWindowContent(t *testing.T) {
	img := randomImage(2, 32, 32, 3)
	rng := rand.New(rand.NewPCG(3, 3))
	for range 50 {
		out := RandomCrop(img, 4, rng)
		require.Equal(t, []int{32, 32, 3}, []int{out.H, out.W, out.C})
		// Find the offset: the output must equal exactly one shifted window.
		found := false
		for dy := -4; dy <= 4 && !found; dy++ {
			for dx := -4; dx <= 4 && !found; dx++ {
				found = assert.ObjectsAreEqual(Shift(img, dy, dx).Pix, out.Pix)
			}
		}
		require.True(t, found, "crop is not a window of the padded image")
	}
}

func TestHFlipTwiceIsIdentity(t *testing.T) {
	img := randomImage(4, 9, 6, 3)
	once := HFlip(img)
	assert.NotEqual(t, img.Pix, once.Pix)
	assert.Equal(t, img.At(2, 0, 1), once.At(2, 5, 1))
	assert.Equal(t, img.Pix, HFlip(once).Pix)
}

func TestCutoutZeroesClippedSquare(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for range 200 {
		img := NewImage(32, 32, 3)
		for i := range img.Pix {
			img.Pix[i] = 200
		}
		r := CutoutRect(32, 32, 16, rng)
		// The hole is the 16x16 square centred at (Y0+8 or clipped), clipped.
		cy, cx := r.Y0+8, r.X0+8
		if r.Y0 == 0 {
			cy = r.Y1 - 8
		}
		if r.X0 == 0 {
			cx = r.X1 - 8
		}
		require.Equal(t, Rect{Y0: max(cy-8, 0), X0: max(cx-8, 0), Y1: min(cy+8, 32), X1: min(cx+8, 32)}, r)
		require.True(t, cy >= 0 && cy < 32 && cx >= 0 && cx < 32, "centre %d,%d outside image", cy, cx)
		Cutout(img, r)
		zeros := 0
		for y := range 32 {
			for x := range 32 {
				for c := range 3 {
					if r.Contains(y, x) {
						require.Zero(t, img.At(y, x, c))
						zeros++
					} else {
						require.EqualValues(t, 200, img.At(y, x, c))
					}
				}
			}
		}
		require.Equal(t, 3*r.Area(), zeros)
		require.LessOrEqual(t, r.Area(), 256)
		require.GreaterOrEqual(t, r.Area(), 64) // centre inside: at least 8x8 survives clipping
	}
}

func TestColourOpsKnownValues(t *testing.T) {
	img := Image{Pix: []uint8{0, 100, 200, 255}, H: 2, W: 2, C: 1}
	Invert(img)
	assert.Equal(t, []uint8{255, 155, 55, 0}, img.Pix)

	img = Image{Pix: []uint8{0, 100, 200, 255}, H: 2, W: 2, C: 1}
	Posterize(img, 2)
	assert.Equal(t, []uint8{0, 64, 192, 192}, img.Pix)

	img = Image{Pix: []uint8{0, 100, 200, 255}, H: 2, W: 2, C: 1}
	Solarize(img, 128)
	assert.Equal(t, []uint8{0, 100, 55, 0}, img.Pix)

	img = Image{Pix: []uint8{50, 100, 150, 100}, H: 2, W: 2, C: 1}
	AutoContrast(img)
	assert.Equal(t, []uint8{0, 127, 255, 127}, img.Pix)

	img = Image{Pix: []uint8{10, 100, 200, 250}, H: 2, W: 2, C: 1}
	Brightness(img, 1.5)
	assert.Equal(t, []uint8{15, 150, 255, 255}, img.Pix)

	img = Image{Pix: []uint8{0, 100, 200, 100}, H: 2, W: 2, C: 1}
	Contrast(img, 0) // all pixels become the mean grey
	assert.Equal(t, []uint8{100, 100, 100, 100}, img.Pix)
}

func TestEqualizeMatchesPIL(t *testing.T) {
	// Four distinct values, equal counts: PIL maps them to 0, 64, 128, 191.
	img := Image{Pix: []uint8{10, 20, 30, 40, 10, 20, 30, 40}, H: 2, W: 4, C: 1}
	Equalize(img)
	// hist: 2 each; step = (8-2)/255 = 0 -> unchanged (PIL does the same).
	assert.Equal(t, []uint8{10, 20, 30, 40, 10, 20, 30, 40}, img.Pix)

	big := NewImage(32, 32, 1)
	for i := range big.Pix {
		big.Pix[i] = uint8(i % 4 * 10)
	}
	Equalize(big)
	// 256 each of 0,10,20,30: step = (1024-256)/255 = 3, lut = (cum+1)/3.
	want := []uint8{0, 85, 171}
	for i := range 3 {
		assert.Equal(t, want[i], big.Pix[i], "value %d", i*10)
	}
	assert.EqualValues(t, 255, big.Pix[3])
}

func TestSharpnessFactorOneIsIdentity(t *testing.T) {
	img := randomImage(6, 8, 8, 3)
	out := img.Clone()
	Sharpness(out, 1)
	assert.Equal(t, img.Pix, out.Pix)
	Color(out, 1)
	assert.Equal(t, img.Pix, out.Pix)
}

func TestMagnitudes(t *testing.T) {
	cases := []struct {
		op     Op
		bin    int
		want   float64
		signed bool
	}{
		{OpShearX, 9, 0.3, true},
		{OpRotate, 2, 30.0 * 2 / 9, true},
		{OpTranslateX, 9, 150.0 / 331 * 32, true},
		{OpBrightness, 0, 0, true},
		{OpSolarize, 0, 255, false},
		{OpSolarize, 9, 0, false},
		{OpPosterize, 0, 8, false},
		{OpPosterize, 7, 5, false},
		{OpPosterize, 9, 4, false},
	}
	for _, c := range cases {
		got, signed, err := Magnitude(c.op, c.bin, 32, 32)
		require.NoError(t, err)
		assert.InDelta(t, c.want, got, 1e-9, "%s bin %d", c.op, c.bin)
		assert.Equal(t, c.signed, signed, "%s", c.op)
	}
	_, _, err := Magnitude(OpRotate, 10, 32, 32)
	assert.ErrorContains(t, err, "Rotate magnitude bin 10 outside [0, 10)")
	_, _, err = Magnitude("Blur", 1, 32, 32)
	assert.ErrorContains(t, err, `unknown operation "Blur"`)
}

func TestCIFAR10PolicyIsComplete(t *testing.T) {
	require.Len(t, CIFAR10Policy, 25)
	for i, sp := range CIFAR10Policy {
		for _, st := range sp {
			_, _, err := Magnitude(st.Op, st.Bin, 32, 32)
			require.NoError(t, err, "sub-policy %d", i)
			require.True(t, st.Prob >= 0 && st.Prob <= 1)
		}
	}
}

func TestEveryOpKeepsShape(t *testing.T) {
	for _, op := range []Op{OpShearX, OpShearY, OpTranslateX, OpTranslateY, OpRotate, OpBrightness, OpColor,
		OpContrast, OpSharpness, OpPosterize, OpSolarize, OpAutoContrast, OpEqualize, OpInvert} {
		for _, bin := range []int{0, 5, 9} {
			img := randomImage(7, 32, 32, 3)
			mag, _, err := Magnitude(op, bin, 32, 32)
			require.NoError(t, err)
			out, err := ApplyOp(img, op, -mag)
			require.NoError(t, err)
			require.NoError(t, out.Validate(), "%s", op)
			require.Equal(t, []int{32, 32, 3}, []int{out.H, out.W, out.C})
		}
	}
	// Zero-magnitude geometry is the identity.
	img := randomImage(8, 16, 16, 3)
	for _, op := range []Op{OpShearX, OpShearY, OpTranslateX, OpTranslateY, OpRotate} {
		out, err := ApplyOp(img.Clone(), op, 0)
		require.NoError(t, err)
		assert.Equal(t, img.Pix, out.Pix, "%s(0)", op)
	}
}

func TestRotate90(t *testing.T) {
	img := randomImage(9, 6, 6, 1)
	out := Rotate(img, 90)
	// Counter-clockwise: the top row becomes the left column, reversed.
	for x := range 6 {
		assert.Equal(t, img.At(0, x, 0), out.At(5-x, 0, 0), "x=%d", x)
	}
	assert.Equal(t, img.Pix, Rotate(Rotate(Rotate(out, 90), 90), 90).Pix)
}

func TestAutoAugmentDeterministicAndInRange(t *testing.T) {
	img := randomImage(10, 32, 32, 3)
	changed := 0
	for seed := range uint64(100) {
		a, err := AutoAugment(img.Clone(), CIFAR10Policy, rand.New(rand.NewPCG(seed, 0)))
		require.NoError(t, err)
		b, err := AutoAugment(img.Clone(), CIFAR10Policy, rand.New(rand.NewPCG(seed, 0)))
		require.NoError(t, err)
		require.Equal(t, a.Pix, b.Pix, "seed %d", seed)
		require.Equal(t, []int{32, 32, 3}, []int{a.H, a.W, a.C})
		if !assert.ObjectsAreEqual(a.Pix, img.Pix) {
			changed++
		}
	}
	// Every sub-policy fires at least one step with probability >= 0.1...0.9:
	// most draws must change the image, some must not.
	assert.Greater(t, changed, 50)
	assert.Less(t, changed, 100)
}

func TestPipelinePresets(t *testing.T) {
	p, err := Preset("paper")
	require.NoError(t, err)
	assert.Equal(t, "crop(pad=4)+flip+autoaugment(cifar10)+cutout(16)", p.String())
	b, err := Preset("basic")
	require.NoError(t, err)
	assert.Equal(t, Pipeline{CropPadding: 4, Flip: true}, b)
	n, err := Preset("none")
	require.NoError(t, err)
	assert.True(t, n.IsIdentity())
	ti, err := Preset("tiny-imagenet")
	require.NoError(t, err)
	h, w := ti.OutputSize(64, 64)
	assert.Equal(t, []int{64, 64}, []int{h, w})
	_, err = Preset("fancy")
	assert.ErrorContains(t, err, `unknown preset "fancy"`)
}

func TestPipelineDoesNotModifyInput(t *testing.T) {
	p, _ := Preset("paper")
	img := randomImage(11, 32, 32, 3)
	orig := img.Clone()
	for seed := range uint64(30) {
		out, err := p.ApplyCutout(img, rand.New(rand.NewPCG(seed, 9)))
		require.NoError(t, err)
		require.Equal(t, 32*32*3, len(out.Pix))
	}
	assert.Equal(t, orig.Pix, img.Pix)
	_, _, err := p.Apply(Image{Pix: make([]uint8, 5), H: 2, W: 2, C: 3}, rand.New(rand.NewPCG(1, 1)))
	assert.ErrorContains(t, err, "image 2x2x3 needs 12 bytes, has 5")
}

func TestRandomResizedCrop(t *testing.T) {
	img := randomImage(12, 64, 64, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		out := RandomResizedCrop(img, 64, rng)
		require.Equal(t, []int{64, 64, 3}, []int{out.H, out.W, out.C})
	}
	// The full-image window at the same size is the identity.
	same := ResizeBilinear(img, Rect{0, 0, 64, 64}, 64, 64)
	assert.Equal(t, img.Pix, same.Pix)
}

func ExamplePipeline_Apply() {
	p, _ := Preset("paper")
	img := NewImage(32, 32, 3)
	out, hole, _ := p.Apply(img, rand.New(rand.NewPCG(42, 0)))
	fmt.Println(out.H, out.W, out.C, hole.Area() > 0)
	// Output: 32 32 3 true
}

func BenchmarkPaperPipeline(b *testing.B) {
	p, _ := Preset("paper")
	img := randomImage(1, 32, 32, 3)
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		_, _, _ = p.Apply(img, rng)
	}
}
