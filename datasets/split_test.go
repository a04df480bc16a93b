package datasets

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitTrainValStratifiedAndSeeded(t *testing.T) {
	labels := make([]int32, 1000)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	s, err := SplitTrainVal(labels, 10, DefaultValidationFraction, 7)
	require.NoError(t, err)
	assert.Len(t, s.Val, 100)
	assert.Len(t, s.Train, 900)
	perClass := make([]int, 10)
	seen := map[int]bool{}
	for _, i := range append(append([]int(nil), s.Train...), s.Val...) {
		require.False(t, seen[i], "index %d in both parts", i)
		seen[i] = true
	}
	assert.Len(t, seen, 1000)
	for _, i := range s.Val {
		perClass[labels[i]]++
	}
	assert.Equal(t, []int{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}, perClass)
	assert.IsIncreasing(t, s.Val)

	again, _ := SplitTrainVal(labels, 10, 0.1, 7)
	assert.Equal(t, s, again)
	other, _ := SplitTrainVal(labels, 10, 0.1, 8)
	assert.NotEqual(t, s.Val, other.Val)

	// The split round-trips through JSON for run records.
	js, err := json.Marshal(s)
	require.NoError(t, err)
	var back Split
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, s, back)

	_, err = SplitTrainVal(labels, 10, 1, 1)
	assert.ErrorContains(t, err, "validation fraction 1 must be in [0, 1)")
	_, err = SplitTrainVal([]int32{0, 12}, 10, 0.1, 1)
	assert.ErrorContains(t, err, "sample 1: label 12 out of range [0, 10)")
}

func TestSplitDataset(t *testing.T) {
	train, _, err := Synthetic(SyntheticConfig{Seed: 3, NumClasses: 4, Size: 4, Channels: 1, Train: 40, Test: 4, NoiseStd: 1})
	require.NoError(t, err)
	tr, val, s, err := SplitDataset(train, 0.25, 1)
	require.NoError(t, err)
	assert.Equal(t, 30, tr.Len())
	assert.Equal(t, 10, val.Len())
	assert.Equal(t, train.Image(s.Val[3]).Pix, val.Image(3).Pix)
	assert.Equal(t, train.Labels[s.Train[5]], tr.Labels[5])
	_, err = train.Subset([]int{0, 40}, "bad")
	assert.ErrorContains(t, err, "subset position 1: index 40 out of range [0, 40)")
}

func TestNormalizeRoundTrip(t *testing.T) {
	src := make([]uint8, 256*3)
	for i := range src {
		src[i] = uint8(i / 3)
	}
	for _, n := range []Normalization{CIFAR10Norm, CIFAR100Norm, TinyImageNetNorm} {
		f := make([]float32, len(src))
		n.NormalizeTo(f, src)
		// Channel 1 of value 255: (1 - mean)/std.
		assert.InDelta(t, (1-n.Mean[1])/n.Std[1], f[255*3+1], 1e-5)
		back := make([]uint8, len(src))
		n.DenormalizeTo(back, f)
		assert.Equal(t, src, back)
	}
	f := make([]float32, 1)
	MNISTNorm.NormalizeTo(f, []uint8{0})
	assert.InDelta(t, -0.1307/0.3081, f[0], 1e-6)
}

func TestNormalizationValidated(t *testing.T) {
	d, _, err := Synthetic(DefaultSyntheticConfig)
	require.NoError(t, err)
	d.Norm.Std[1] = 0
	assert.ErrorContains(t, d.Validate(), "normalisation std[1] = 0 must be positive")
	d.Norm = MNISTNorm
	assert.ErrorContains(t, d.Validate(), "normalisation has 1 means and 1 stds for 3 channels")
}

func TestSyntheticIsDeterministicAndLearnable(t *testing.T) {
	cfg := SyntheticConfig{Seed: 11, NumClasses: 5, Size: 8, Channels: 3, Train: 200, Test: 100, NoiseStd: 24}
	tr, te, err := Synthetic(cfg)
	require.NoError(t, err)
	tr2, _, _ := Synthetic(cfg)
	assert.Equal(t, tr.Images, tr2.Images)
	require.NoError(t, tr.Validate())
	assert.Equal(t, []int{40, 40, 40, 40, 40}, tr.ClassCounts())

	// A nearest-centroid classifier fit on train must do well on test.
	n := tr.ImageSize()
	centroids := make([][]float64, cfg.NumClasses)
	for k := range centroids {
		centroids[k] = make([]float64, n)
	}
	for i := range tr.Len() {
		for j, v := range tr.Image(i).Pix {
			centroids[tr.Labels[i]][j] += float64(v) / 40
		}
	}
	correct := 0
	for i := range te.Len() {
		best, bestD := -1, math.Inf(1)
		for k, c := range centroids {
			d := 0.0
			for j, v := range te.Image(i).Pix {
				d += (float64(v) - c[j]) * (float64(v) - c[j])
			}
			if d < bestD {
				best, bestD = k, d
			}
		}
		if int32(best) == te.Labels[i] {
			correct++
		}
	}
	assert.GreaterOrEqual(t, correct, 95, "nearest-centroid accuracy %d/100", correct)

	_, _, err = Synthetic(SyntheticConfig{NumClasses: 1, Size: 8, Channels: 3, Train: 10, Test: 1})
	assert.ErrorContains(t, err, "synthetic: 1 classes, want 2..256")
}

func ExampleSplitTrainVal() {
	labels := []int32{0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}
	s, _ := SplitTrainVal(labels, 2, 0.1, 42)
	fmt.Println(len(s.Train), len(s.Val), s.Stratified)
	// Output: 18 2 true
}
