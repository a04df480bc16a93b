package experiment

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiagnosticExamples(t *testing.T) {
	resnet20 := 7*32*32*16 + 6*16*16*32 + 6*8*8*64 // neurons per CIFAR-10 example
	assert.Equal(t, 89, DiagnosticExamples(resnet20, 128), "256 MiB / (16 B × 188,416 neurons)")
	assert.Equal(t, 128, DiagnosticExamples(28*28*16+14*14*32+128, 128), "the small CNN keeps the whole batch")
	assert.Equal(t, 1, DiagnosticExamples(1<<30, 128), "at least one example")
	assert.Equal(t, 7, DiagnosticExamples(0, 7), "no neurons: the whole batch")
	for _, n := range []int{1, 1000, resnet20, 1 << 22} {
		k := DiagnosticExamples(n, 1<<30)
		assert.LessOrEqual(t, 16*n*k, DiagnosticsMemory, "%d neurons: %d examples fit", n, k)
		assert.Greater(t, 16*n*(k+1), DiagnosticsMemory, "%d neurons: %d examples are as many as fit", n, k)
	}
}

func TestHeadOfBatch(t *testing.T) {
	images := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 2, 2, 1)
	head, err := headOfBatch(images, 2)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 2, 1}, head.Shape().Dimensions)
	assert.Equal(t, []float32{1, 2, 3, 4, 5, 6, 7, 8}, tensors.MustCopyFlatData[float32](head))
	labels := tensors.FromFlatDataAndDimensions([]int32{7, 8, 9}, 3, 1)
	head, err = headOfBatch(labels, 1)
	require.NoError(t, err)
	assert.Equal(t, []int32{7}, tensors.MustCopyFlatData[int32](head))
}
