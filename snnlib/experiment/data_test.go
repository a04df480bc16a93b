package experiment

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func firstBatch(t *testing.T, ds interface {
	Reset()
	Yield() (any, []*tensors.Tensor, []*tensors.Tensor, error)
}) (images []float32, labels []int32) {
	t.Helper()
	ds.Reset()
	_, in, lab, err := ds.Yield()
	require.NoError(t, err)
	images, err = tensors.CopyFlatData[float32](in[0])
	require.NoError(t, err)
	labels, err = tensors.CopyFlatData[int32](lab[0])
	require.NoError(t, err)
	return images, labels
}

// CalibAugment adds the validation split with the training augmentation:
// the same images and labels in the same order, augmented, and drawn afresh
// each epoch; without it there is no such split.
func TestCalibAugmentData(t *testing.T) {
	cfg := Config{Dataset: "synthetic", Model: "cnn", Strategy: "nq", Augment: "basic", BatchSize: 16}.WithPreset()
	plain, err := LoadData(cfg)
	require.NoError(t, err)
	defer plain.Close()
	assert.Nil(t, plain.Calib)

	cfg.CalibAugment = true
	data, err := LoadData(cfg)
	require.NoError(t, err)
	defer data.Close()
	require.NotNil(t, data.Calib)
	valImages, valLabels := firstBatch(t, data.Val)
	calImages, calLabels := firstBatch(t, data.Calib)
	assert.Equal(t, valLabels, calLabels)
	assert.NotEqual(t, valImages, calImages, "augmented")
	data.SetEpoch(1)
	cal1, _ := firstBatch(t, data.Calib)
	assert.NotEqual(t, calImages, cal1, "a fresh draw every epoch")
	data.SetEpoch(0)
	cal0, _ := firstBatch(t, data.Calib)
	assert.Equal(t, calImages, cal0, "reproducible per epoch")
}

// SplitOf gives exactly the indices a run trains and validates on: the same
// counts and the same fingerprint of the validation indices, disjoint sets.
func TestSplitOfMatchesRun(t *testing.T) {
	cfg := Config{Dataset: "synthetic", Model: "cnn", Strategy: "nq", TrainLimit: 100, ValFraction: 0.2}.WithPreset()
	split, err := SplitOf(cfg)
	require.NoError(t, err)
	data, err := LoadData(cfg)
	require.NoError(t, err)
	defer data.Close()
	assert.Len(t, split.Train, data.Info.TrainExamples)
	assert.Len(t, split.Val, data.Info.ValExamples)
	h := sha256.New()
	for _, i := range split.Val {
		_ = binary.Write(h, binary.LittleEndian, int64(i))
	}
	assert.Equal(t, data.Info.ValIndicesHash, hex.EncodeToString(h.Sum(nil)))
	seen := map[int]bool{}
	for _, i := range split.Val {
		seen[i] = true
	}
	for _, i := range split.Train {
		assert.False(t, seen[i], "index %d in both splits", i)
	}
}
