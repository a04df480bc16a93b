//go:build !race

// The simplego backend of GoMLX v0.26.0 has a data race in its worker pool
// (backends/simplego/exec.go), which -race reports; our own code is covered
// by the race-enabled batcher tests.

package datasets

import (
	"testing"

	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
	"github.com/gomlx/gomlx/pkg/ml/train"
	"github.com/gomlx/gomlx/pkg/ml/train/losses"
	"github.com/gomlx/gomlx/pkg/ml/train/metrics"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatcherTrainsWithGoMLX checks the Batcher contract end to end: a
// linear classifier trained by train.Loop on the synthetic set with the
// sparse cross-entropy loss learns it, and Trainer.Eval accepts the
// evaluation batcher (partial last batch included).
func TestBatcherTrainsWithGoMLX(t *testing.T) {
	backend, err := simplego.New("")
	require.NoError(t, err)
	defer backend.Finalize()
	train0, test, err := Synthetic(SyntheticConfig{Seed: 2, NumClasses: 8, Size: 8, Channels: 3, Train: 256, Test: 70, NoiseStd: 24})
	require.NoError(t, err)
	trainDS, err := NewBatcher(train0, BatcherConfig{BatchSize: 32, Shuffle: true, DropLast: true, Seed: 1})
	require.NoError(t, err)
	defer trainDS.Close()
	evalDS, err := NewBatcher(test, BatcherConfig{BatchSize: 32})
	require.NoError(t, err)
	defer evalDS.Close()

	ctx := context.New()
	model := func(ctx *context.Context, _ any, inputs []*graph.Node) []*graph.Node {
		x := graph.Reshape(inputs[0], inputs[0].Shape().Dimensions[0], -1)
		return []*graph.Node{layers.DenseWithBias(ctx, x, 8)}
	}
	acc := metrics.NewSparseCategoricalAccuracy("accuracy", "acc")
	trainer := train.NewTrainer(backend, ctx, model, losses.SparseCategoricalCrossEntropyLogits,
		optimizers.StochasticGradientDescent().WithLearningRate(0.05).Done(), nil, []metrics.Interface{acc})
	before, err := trainer.Eval(evalDS)
	require.NoError(t, err)
	accBefore := tensors.ToScalar[float32](before[len(before)-1])
	loop := train.NewLoop(trainer)
	_, err = loop.RunEpochs(trainDS, 3)
	require.NoError(t, err)
	assert.Equal(t, 3, trainDS.Epoch(), "RunEpochs' Reset after each EOF advances the epoch")
	res, err := trainer.Eval(evalDS)
	require.NoError(t, err)
	accuracy := tensors.ToScalar[float32](res[len(res)-1])
	t.Logf("test accuracy %.3f before, %.3f after 3 epochs", accBefore, accuracy)
	assert.Less(t, accBefore, float32(0.5), "untrained accuracy")
	assert.Greater(t, accuracy, float32(0.9), "test accuracy")
}
