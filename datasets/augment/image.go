package augment

import "fmt"

// Image is an 8-bit image stored row-major as height × width × channels
// (HWC), the layout of one sample of a datasets.Dataset.
type Image struct {
	Pix     []uint8
	H, W, C int
}

// NewImage returns a zero (black) image of the given size.
func NewImage(h, w, c int) Image {
	return Image{Pix: make([]uint8, h*w*c), H: h, W: w, C: c}
}

// Validate reports an error when the pixel buffer does not match the size.
func (m Image) Validate() error {
	if m.H <= 0 || m.W <= 0 || m.C <= 0 {
		return fmt.Errorf("augment: image size %dx%dx%d must be positive", m.H, m.W, m.C)
	}
	if len(m.Pix) != m.H*m.W*m.C {
		return fmt.Errorf("augment: image %dx%dx%d needs %d bytes, has %d", m.H, m.W, m.C, m.H*m.W*m.C, len(m.Pix))
	}
	return nil
}

// Clone returns a deep copy.
func (m Image) Clone() Image {
	out := m
	out.Pix = append([]uint8(nil), m.Pix...)
	return out
}

// At returns the value of channel c at row y, column x.
func (m Image) At(y, x, c int) uint8 { return m.Pix[(y*m.W+x)*m.C+c] }

// Rect is an axis-aligned pixel rectangle [Y0,Y1) × [X0,X1).
type Rect struct{ Y0, X0, Y1, X1 int }

// Empty reports whether the rectangle has no pixels.
func (r Rect) Empty() bool { return r.Y1 <= r.Y0 || r.X1 <= r.X0 }

// Area is the number of pixels in the rectangle.
func (r Rect) Area() int {
	if r.Empty() {
		return 0
	}
	return (r.Y1 - r.Y0) * (r.X1 - r.X0)
}

// Contains reports whether pixel (y, x) lies inside the rectangle.
func (r Rect) Contains(y, x int) bool { return y >= r.Y0 && y < r.Y1 && x >= r.X0 && x < r.X1 }

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// clampU8 truncates like torch's `.clamp(0, 255).to(uint8)`.
func clampU8(v float64) uint8 {
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}
