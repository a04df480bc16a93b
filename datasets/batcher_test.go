package datasets

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nqsnn/nqsnn/datasets/augment"
)

func smallSet(t testing.TB, n int) *Dataset {
	d, _, err := Synthetic(SyntheticConfig{Seed: 5, NumClasses: 3, Size: 32, Channels: 3, Train: n, Test: 1, NoiseStd: 30})
	require.NoError(t, err)
	return d
}

// epochIndices drains one epoch and returns the dataset indices in order.
func epochIndices(t *testing.T, b *Batcher) (idx []int, sizes []int) {
	for {
		batch, err := b.NextBatch()
		if errors.Is(err, io.EOF) {
			return idx, sizes
		}
		require.NoError(t, err)
		idx = append(idx, batch.Indices...)
		sizes = append(sizes, batch.N)
	}
}

func TestBatcherEpochsAndReset(t *testing.T) {
	d := smallSet(t, 10)
	b, err := NewBatcher(d, BatcherConfig{BatchSize: 4, Shuffle: true, Seed: 1})
	require.NoError(t, err)
	defer b.Close()
	assert.Equal(t, 3, b.BatchesPerEpoch())
	e0, sizes := epochIndices(t, b)
	assert.Equal(t, []int{4, 4, 2}, sizes)
	assert.Equal(t, b.Order(0), e0)
	sorted := append([]int(nil), e0...)
	sort.Ints(sorted)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, sorted)
	_, err = b.NextBatch()
	assert.ErrorIs(t, err, io.EOF, "EOF repeats until Reset")

	b.Reset() // after EOF: next epoch, new order
	assert.Equal(t, 1, b.Epoch())
	first, err := b.NextBatch()
	require.NoError(t, err)
	assert.Equal(t, b.Order(1)[:4], first.Indices)
	assert.NotEqual(t, b.Order(0), b.Order(1))

	b.Reset() // mid-epoch: restart the same epoch
	assert.Equal(t, 1, b.Epoch())
	e1, _ := epochIndices(t, b)
	assert.Equal(t, b.Order(1), e1)
}

func TestBatcherDropLastAndErrors(t *testing.T) {
	d := smallSet(t, 10)
	b, err := NewBatcher(d, BatcherConfig{BatchSize: 4, DropLast: true})
	require.NoError(t, err)
	idx, sizes := epochIndices(t, b)
	assert.Equal(t, []int{4, 4}, sizes)
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, idx, "no shuffle keeps dataset order")

	_, err = NewBatcher(d, BatcherConfig{BatchSize: 0})
	assert.ErrorContains(t, err, "batch size 0 must be positive")
	_, err = NewBatcher(d, BatcherConfig{BatchSize: 11, DropLast: true})
	assert.ErrorContains(t, err, "10 samples make no batch of 11")
	_, err = NewBatcher(d, BatcherConfig{BatchSize: 2, Indices: []int{1, 10}})
	assert.ErrorContains(t, err, "index 10 at position 1 out of range [0, 10)")
	assert.ErrorContains(t, b.Seek(0, 3), "cannot seek to epoch 0 batch 3")
}

func TestBatcherDeterministicAcrossWorkersAndSeek(t *testing.T) {
	d := smallSet(t, 24)
	p, _ := augment.Preset("paper")
	collect := func(workers int) [][]float32 {
		b, err := NewBatcher(d, BatcherConfig{BatchSize: 5, Shuffle: true, Seed: 9, Augment: p, Workers: workers})
		require.NoError(t, err)
		defer b.Close()
		var out [][]float32
		for range 2 {
			for {
				batch, err := b.NextBatch()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				out = append(out, batch.Images)
			}
			b.Reset()
		}
		return out
	}
	one, four := collect(1), collect(4)
	require.Len(t, one, 10)
	assert.Equal(t, one, four)
	assert.NotEqual(t, one[0], one[5], "epochs differ")

	// Seeking to (epoch 1, batch 2) reproduces that batch exactly.
	b, err := NewBatcher(d, BatcherConfig{BatchSize: 5, Shuffle: true, Seed: 9, Augment: p})
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.Seek(1, 2))
	batch, err := b.NextBatch()
	require.NoError(t, err)
	assert.Equal(t, one[5+2], batch.Images)
	e, k := b.Position()
	assert.Equal(t, []int{1, 3}, []int{e, k})

	// Another seed gives other augmentations.
	b2, _ := NewBatcher(d, BatcherConfig{BatchSize: 5, Shuffle: true, Seed: 10, Augment: p})
	defer b2.Close()
	other, _ := b2.NextBatch()
	assert.NotEqual(t, one[0], other.Images)
}

func TestBatcherNormalisesAndCutsOutAfterNormalisation(t *testing.T) {
	d := smallSet(t, 6)
	b, err := NewBatcher(d, BatcherConfig{BatchSize: 6})
	require.NoError(t, err)
	batch, err := b.NextBatch()
	require.NoError(t, err)
	assert.Equal(t, d.Float32(true), batch.Images)
	assert.Equal(t, d.Labels, batch.Labels)

	c, err := NewBatcher(d, BatcherConfig{BatchSize: 6, Augment: augment.Pipeline{CutoutSize: 16}, Seed: 3})
	require.NoError(t, err)
	cut, err := c.NextBatch()
	require.NoError(t, err)
	per := 32 * 32 * 3
	for i := range 6 {
		zeros := 0
		for j, v := range cut.Images[i*per : (i+1)*per] {
			if v == 0 {
				zeros++
			} else {
				require.Equal(t, batch.Images[i*per+j], v)
			}
		}
		hole := augment.CutoutRect(32, 32, 16, c.SampleRNG(0, i))
		assert.Equal(t, 3*hole.Area(), zeros, "sample %d", i)
	}
}

func TestBatcherRepeatAndYield(t *testing.T) {
	d := smallSet(t, 5)
	b, err := NewBatcher(d, BatcherConfig{BatchSize: 2, DropLast: true, Repeat: true, Shuffle: true})
	require.NoError(t, err)
	defer b.Close()
	for range 7 { // 2 batches per epoch: crosses three epoch ends without EOF
		spec, inputs, labels, err := b.Yield()
		require.NoError(t, err)
		assert.Nil(t, spec)
		require.Len(t, inputs, 1)
		require.Len(t, labels, 1)
		assert.Equal(t, dtypes.Float32, inputs[0].DType())
		assert.Equal(t, []int{2, 32, 32, 3}, inputs[0].Shape().Dimensions)
		assert.Equal(t, dtypes.Int32, labels[0].DType())
		assert.Equal(t, []int{2, 1}, labels[0].Shape().Dimensions)
		lbl := tensors.MustCopyFlatData[int32](labels[0])
		for _, l := range lbl {
			assert.True(t, l >= 0 && l < 3)
		}
	}
	assert.Equal(t, 3, b.Epoch())
	assert.Equal(t, "synthetic/train", b.Name())
}

func ExampleBatcher() {
	train, _, _ := Load("synthetic", "", WithSynthetic(SyntheticConfig{
		Seed: 1, NumClasses: 4, Size: 8, Channels: 3, Train: 64, Test: 16, NoiseStd: 20}))
	basic, _ := augment.Preset("basic")
	b, _ := NewBatcher(train, BatcherConfig{BatchSize: 32, Shuffle: true, DropLast: true, Seed: 7, Augment: basic})
	defer b.Close()
	_, inputs, labels, _ := b.Yield()
	fmt.Println(inputs[0].Shape(), labels[0].Shape())
	// Output: (Float32)[32 8 8 3] (Int32)[32 1]
}

// BenchmarkCIFAR10Batches measures augmented CIFAR-10 batches of 128 per
// second with the paper pipeline (crop + flip + AutoAugment + Cutout) on the
// shared CIFAR-10 copy.
func BenchmarkCIFAR10Batches(b *testing.B) {
	train, _, err := LoadCIFAR10Dir(sharedCIFAR10(b))
	require.NoError(b, err)
	p, _ := augment.Preset("paper")
	bt, err := NewBatcher(train, BatcherConfig{BatchSize: 128, Shuffle: true, DropLast: true, Repeat: true, Seed: 1, Augment: p})
	require.NoError(b, err)
	defer bt.Close()
	b.ResetTimer()
	for b.Loop() {
		_, inputs, labels, err := bt.Yield()
		if err != nil {
			b.Fatal(err)
		}
		inputs[0].FinalizeAll()
		labels[0].FinalizeAll()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
}
