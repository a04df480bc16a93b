package datasets

import (
	"fmt"

	"github.com/nqsnn/nqsnn/datasets/augment"
)

// Dataset is an in-memory labelled image set. Images are uint8, stored NHWC
// (sample, row, column, channel) in one flat slice.
type Dataset struct {
	// Name identifies the data set and split, e.g. "cifar10/train".
	Name string
	// Source is where the data came from: a directory, a file or a generator.
	Source string
	// Images holds Len()*H*W*C bytes, sample-major, each sample HWC.
	Images []uint8
	// Labels holds one class index in [0, len(ClassNames)) per sample.
	Labels []int32
	// ClassNames lists the class names in label order.
	ClassNames []string
	// H, W, C are the image height, width and channel count.
	H, W, C int
	// Norm is the per-channel normalisation used for this data set.
	Norm Normalization
}

// Len returns the number of samples.
func (d *Dataset) Len() int { return len(d.Labels) }

// NumClasses returns the number of classes.
func (d *Dataset) NumClasses() int { return len(d.ClassNames) }

// ImageSize returns the number of bytes of one image (H*W*C).
func (d *Dataset) ImageSize() int { return d.H * d.W * d.C }

// Image returns sample i as an augment.Image sharing the dataset's memory.
func (d *Dataset) Image(i int) augment.Image {
	n := d.ImageSize()
	return augment.Image{Pix: d.Images[i*n : (i+1)*n : (i+1)*n], H: d.H, W: d.W, C: d.C}
}

// Validate checks that sizes, labels and normalisation are consistent.
func (d *Dataset) Validate() error {
	if d.H <= 0 || d.W <= 0 || d.C <= 0 {
		return fmt.Errorf("dataset %s: image size %dx%dx%d must be positive", d.Name, d.H, d.W, d.C)
	}
	if len(d.Images) != d.Len()*d.ImageSize() {
		return fmt.Errorf("dataset %s: %d labels need %d image bytes, have %d",
			d.Name, d.Len(), d.Len()*d.ImageSize(), len(d.Images))
	}
	if len(d.ClassNames) == 0 {
		return fmt.Errorf("dataset %s: no class names", d.Name)
	}
	for i, l := range d.Labels {
		if l < 0 || int(l) >= len(d.ClassNames) {
			return fmt.Errorf("dataset %s: sample %d: label %d out of range [0, %d)", d.Name, i, l, len(d.ClassNames))
		}
	}
	if err := d.Norm.validate(d.C); err != nil {
		return fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	return nil
}

// ClassCounts returns how many samples each class has.
func (d *Dataset) ClassCounts() []int {
	counts := make([]int, len(d.ClassNames))
	for _, l := range d.Labels {
		counts[l]++
	}
	return counts
}

// Subset returns a new dataset holding copies of the samples at indices, in
// that order; name is appended to the dataset name (e.g. "val").
func (d *Dataset) Subset(indices []int, name string) (*Dataset, error) {
	n := d.ImageSize()
	out := &Dataset{
		Name: d.Name + "/" + name, Source: d.Source, ClassNames: d.ClassNames,
		H: d.H, W: d.W, C: d.C, Norm: d.Norm,
		Images: make([]uint8, 0, len(indices)*n), Labels: make([]int32, 0, len(indices)),
	}
	for pos, i := range indices {
		if i < 0 || i >= d.Len() {
			return nil, fmt.Errorf("dataset %s: subset position %d: index %d out of range [0, %d)", d.Name, pos, i, d.Len())
		}
		out.Images = append(out.Images, d.Images[i*n:(i+1)*n]...)
		out.Labels = append(out.Labels, d.Labels[i])
	}
	return out, nil
}

// Float32 returns all images as float32 NHWC, normalised with d.Norm when
// normalize is true and scaled to [0, 1] otherwise.
func (d *Dataset) Float32(normalize bool) []float32 {
	out := make([]float32, len(d.Images))
	if normalize {
		d.Norm.NormalizeTo(out, d.Images)
		return out
	}
	for i, v := range d.Images {
		out[i] = float32(v) / 255
	}
	return out
}
